"""ONNX -> TensorRT / TensorRT-RTX engine, in the calling process (studio.core.jobs runs this in
a child so a native crash cannot take the caller down).

Order: precision pass (strongly typed: the precision lives in the ONNX model), parse (every
parser error listed, nothing written), builder config (workspace, optimization level, one
profile, DETAILED profiling verbosity, progress monitor, timing cache), build, then atomic
writes of the engine and of the `Layers:` report."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from studio.core.backends.base import BuildConfig, BuildResult, PrecisionTarget, sidecar_path
from studio.core.backends.profiles import resolve_profiles, scan_model
from studio.core.backends.sidecar import typed_model_path
from studio.core.errors import BuildError, Cancelled, ModelError, StudioError
from studio.core.io import atomic_path, sha256_file, write_bytes_atomic, write_text_atomic
from studio.core.jobs.substate import SubState
from studio.core.precision.prepare import prepare_precision
from studio.core.progress import TaskState

from studio_tensorrt.library import RTX_DEFAULT_TARGETS, TrtLibrary, detect_gpu, load_library
from studio_tensorrt.logger import make_logger
from studio_tensorrt.monitor import make_progress_monitor

# Slices of the overall progress bar.
PREPARE_END_CALIBRATED = 0.35   # int8/fp8: calibration runs the model over the samples
PREPARE_END_CAST = 0.05
PARSE_SHARE = 0.05
WRITE_SHARE = 0.03

MAX_LISTED_PARSER_ERRORS = 50

# TensorRT is strongly typed: int8 comes as calibrated Q/DQ in the model.
PRECISION_TARGET = PrecisionTarget(int8_recipes=("qdq",), high_precision="fp16")


def layer_report_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".layers.txt")


def prepare(config: BuildConfig, workdir: str, state: TaskState):
    return prepare_precision(config, PRECISION_TARGET, workdir=workdir, state=state)


def _check_external_data(model: Path, external: bool, state: TaskState) -> None:
    """The TensorRT parser follows external-data locations by itself; a location that leaves
    the model's folder must be refused before it gets the path (onnx_loader's checks). Only
    models that reference external data (scan_model says) pay for the check: importing onnx
    costs more than a small model's whole build overhead."""
    if not external:
        return
    # lazy: 685 ms off this module's import
    from studio.core.graph.onnx_loader import check_model_file

    for w in check_model_file(model):
        state.log(w, "warning")


def _parser_errors(parser) -> list[str]:
    lines = []
    for i in range(parser.num_errors):
        e = parser.get_error(i)
        node, name, op = e.node(), e.node_name(), e.node_operator()
        where = f"node {node}" if node >= 0 else "model"
        if name:
            where += f" {name!r}"
        if op:
            where += f" ({op})"
        lines.append(f"{where}: {e.desc()} [{e.code().name if hasattr(e.code(), 'name') else e.code()}]")
    return lines


def _seq_lengths(calibration: dict | None) -> dict | None:
    if not calibration:
        return None
    for key in ("sequence_length", "sequence_lengths", "seq_lengths", "lengths"):
        v = calibration.get(key)
        if isinstance(v, dict):
            return {**v, "limit": calibration.get("max_length")}
    return None


def _network_flags(lib: TrtLibrary, precision: str) -> int:
    # TensorRT 10 is weakly typed unless asked; the precision recipe (casts, Q/DQ) is only
    # honoured as written in a strongly typed network. TensorRT 11 and TensorRT-RTX are always so.
    flag = getattr(lib.module.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    if flag is not None and not lib.is_rtx and precision != "fp32":
        return 1 << int(flag)
    return 0


def _timing_cache(lib, config_trt, path: str | None, state: TaskState) -> dict | None:
    if not path:
        return None
    info = {"path": str(path), "supported": not lib.is_rtx, "loaded": False, "hit": None,
            "entries_added": None}
    if lib.is_rtx:
        info["note"] = "TensorRT-RTX treats timing caches as no-ops (it keeps a runtime cache for its JIT instead)"
        state.log(info["note"] + "; the file is neither read nor written", "warning")
        return info
    data = b""
    p = Path(path)
    if p.exists():
        data = p.read_bytes()
    cache = config_trt.create_timing_cache(data)
    if cache is None or not config_trt.set_timing_cache(cache, False):
        state.log(f"timing cache {path} does not fit this TensorRT/GPU; starting a new one", "warning")
        cache = config_trt.create_timing_cache(b"")
        config_trt.set_timing_cache(cache, False)
        data = b""
    info["loaded"] = bool(data)
    info["loaded_bytes"] = len(data)
    info["_before"] = data
    return info


def _save_timing_cache(config_trt, info: dict | None) -> None:
    if not info or not info.get("supported"):
        return
    before = info.pop("_before", b"")
    cache = config_trt.get_timing_cache()
    after = bytes(memoryview(cache.serialize())) if cache is not None else b""
    info["saved_bytes"] = len(after)
    # A loaded cache that the build did not grow served every tactic from the cache.
    info["entries_added"] = after != before
    info["hit"] = bool(before) and after == before
    if after and after != before:
        write_bytes_atomic(info["path"], after)


def _cc_text(cc) -> str:
    """ComputeCapability.SM86 -> "8.6", SM120 -> "12.0"."""
    name = getattr(cc, "name", str(cc)).rsplit(".", 1)[-1]
    digits = name[2:] if name.startswith("SM") else name
    return f"{digits[:-1]}.{digits[-1]}" if digits.isdigit() else name


def _write_and_hash(view: memoryview, output: Path) -> str:
    """Write the plan to a temp file beside `output` and rename it into place, hashing it in
    another thread meanwhile (hashlib and file writes both release the GIL).

    Unlike studio.core.io.atomic_path this does not fsync: flushing a 440 MB BERT-base plan to
    this kind of disk costs seconds, more than all the rest of the studio's overhead on a build
    (the goal is studio / raw builder <= 1.05). Atomicity against a crashed or killed process
    comes from the rename alone; after a power loss a torn plan cannot pass for a good one,
    because its sha256 no longer matches the sidecar's and `check` refuses to trust it."""
    box = {}

    def digest():
        import hashlib  # here, beside the write, rather than before the parse: ~2 ms of start-up

        box["sha"] = hashlib.sha256(view).hexdigest()

    hasher = threading.Thread(target=digest, name="engine-sha256")
    hasher.start()
    try:
        with atomic_path(output, fsync=False) as tmp, open(tmp, "wb") as fh:
            fh.write(view)
    finally:
        hasher.join()
    return box["sha"]


def _keep_typed_model(prepared: Path | None, output: Path, notes: list[str]) -> dict | None:
    """Keep beside the engine the typed ONNX it was compiled from (None for an fp32 build, whose
    typed model is its source): TensorRT 11 runs exactly the precisions written there, so ONNX
    Runtime running it predicts the engine's accuracy on a machine without a GPU."""
    dest = typed_model_path(output)
    if prepared is None:
        dest.unlink(missing_ok=True)  # an older build's would describe another engine
        return None
    if prepared.with_name(prepared.name + ".data").exists():
        dest.unlink(missing_ok=True)
        notes.append("the typed model is over 2 GiB and was not kept: no predicted accuracy for this engine")
        return None

    with atomic_path(dest, fsync=False) as tmp:
        shutil.copyfile(prepared, tmp)
    return {"file": dest.name, "sha256": sha256_file(dest)}


def build_engine(config: BuildConfig, state: TaskState, lib: TrtLibrary | None = None) -> BuildResult:
    lib = lib or load_library(config.options.get("library"))
    trt = lib.module
    t0 = time.perf_counter()
    marks: list[tuple[str, float]] = [("start", t0)]
    model = Path(config.model)
    output = Path(config.output)
    if not model.is_file():
        raise ModelError("model file not found", where=str(model))
    if output.resolve() == model.resolve():
        raise StudioError("the output would overwrite the model", where=str(output))
    calibrated = config.precision in ("int8", "fp8")
    prep_end = PREPARE_END_CALIBRATED if calibrated else PREPARE_END_CAST
    notes: list[str] = []

    with tempfile.TemporaryDirectory(prefix="studio-trt-") as workdir:
        # The user's profiles are checked before anything slow: a contradiction is theirs to fix.
        inputs, external = scan_model(model)
        resolve_profiles(inputs, config.profiles, None, where=str(model))
        marks.append(("Preparing precision", time.perf_counter()))
        state.progress("Preparing precision", 0.0, force=True)
        prepared = prepare(config, workdir, SubState(state, 0.0, prep_end))
        if state.cancelled:
            raise Cancelled("build cancelled")
        onnx_path = Path(prepared.path)
        calibration, recipe = prepared.calibration, prepared.recipe
        notes += prepared.notes

        if onnx_path != model:
            inputs, external = scan_model(onnx_path)
        profiles = resolve_profiles(inputs, config.profiles, _seq_lengths(calibration), where=str(model))

        marks.append(("Parsing ONNX", time.perf_counter()))
        state.progress("Parsing ONNX", prep_end, force=True)
        _check_external_data(onnx_path, external, state)
        logger = make_logger(trt, state, forward_verbose=bool(config.options.get("verbose")))
        builder = trt.Builder(logger)
        if builder is None:  # full TensorRT without a usable GPU/driver says why in its log
            raise BuildError(f"{lib.describe()} could not create a builder: "
                             + (" | ".join(logger.errors[-3:]) or "no GPU or CUDA driver?"),
                             where=str(model), log_tail=list(logger.tail))
        network = builder.create_network(_network_flags(lib, config.precision))
        parser = trt.OnnxParser(network, logger)
        if not parser.parse_from_file(str(onnx_path)):
            errors = _parser_errors(parser)
            shown = errors[:MAX_LISTED_PARSER_ERRORS]
            more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
            raise BuildError(f"the ONNX parser refused the model: {len(errors)} error(s): "
                             + "; ".join(shown) + more, where=str(model), log_tail=errors)

        cfg = builder.create_builder_config()
        if config.workspace is not None:
            cfg.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(config.workspace))
        if config.optimization_level is not None:
            if not 0 <= config.optimization_level <= 5:
                raise StudioError(f"optimization level {config.optimization_level} is out of range 0..5")
            cfg.builder_optimization_level = int(config.optimization_level)
        cfg.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
        net_inputs = {network.get_input(i).name for i in range(network.num_inputs)}
        if profiles:
            prof = builder.create_optimization_profile()
            for p in profiles:
                if p.name in net_inputs:
                    prof.set_shape(p.name, p.min, p.opt, p.max)
            cfg.add_optimization_profile(prof)
        tc = _timing_cache(lib, cfg, config.timing_cache, state)
        build_lo = prep_end + PARSE_SHARE
        monitor = make_progress_monitor(trt, state, build_lo, 1.0 - WRITE_SHARE)
        cfg.progress_monitor = monitor

        marks.append(("Building engine", time.perf_counter()))
        state.progress("Building engine", build_lo, force=True)
        t_build = time.perf_counter()
        engine = builder.build_serialized_network(network, cfg)
        build_only = time.perf_counter() - t_build
        if engine is None or state.cancelled:
            if state.cancelled or monitor.cancel_seen:
                raise Cancelled("build cancelled")
            words = logger.errors[-5:] or list(logger.tail)[-5:]
            raise BuildError("the builder failed: " + (" | ".join(words) or "no message"),
                             where=str(model), log_tail=list(logger.tail))

        marks.append(("Writing engine", time.perf_counter()))
        state.progress("Writing engine", 1.0 - WRITE_SHARE, force=True)
        view = memoryview(engine)
        sha = _write_and_hash(view, output)
        size = len(view)
        del view, engine
        report = None
        if logger.layer_report:
            report = layer_report_path(output)
            # Not flushed to disk, like the plan it describes (see _write_and_hash); flushing it
            # alone cost 20-30 ms on BERT-base and bought nothing.
            write_text_atomic(report, logger.layer_report, fsync=False)
        else:  # an older build's report beside this engine would describe another plan
            layer_report_path(output).unlink(missing_ok=True)
            notes.append("the builder logged no `Layers:` report")
        _save_timing_cache(cfg, tc)
        typed = _keep_typed_model(onnx_path if onnx_path != model else None, output, notes)

    gpu = detect_gpu()
    if lib.is_rtx:
        n = cfg.num_compute_capabilities
        targets = [_cc_text(cfg.get_compute_capability(i)) for i in range(n)] if n else list(RTX_DEFAULT_TARGETS)
    else:
        targets = [gpu.cc_text] if gpu.cc_text else []
    warnings = [f"{k} warning(s) from the builder" for k in [logger.counts["warning"]] if k]
    if tc and tc.get("note"):
        warnings.append(tc["note"])
    marks.append(("end", time.perf_counter()))
    phase_seconds = {a[0]: round(b[1] - a[1], 3) for a, b in zip(marks[1:], marks[2:])}
    state.progress("Done", 1.0, force=True)
    return BuildResult(
        output=str(output), sidecar=str(sidecar_path(output)), backend="tensorrt",
        precision=config.precision, build_seconds=round(time.perf_counter() - t0, 3),
        size_bytes=size, layer_report=str(report) if report else None,
        timing_cache_hit=tc.get("hit") if tc else None, library=lib.describe(), warnings=warnings,
        metadata={
            "library": lib.name, "library_version": lib.version, "cuda_version": lib.cuda_version,
            "target_compute_capabilities": targets,
            "build_gpu": gpu.to_dict(),
            "recipe": recipe, "calibration": calibration, "notes": notes,
            "input_profiles": [p.to_dict() for p in profiles],
            "model_inputs": [{"name": i.name, "dtype": i.dtype, "shape": list(i.shape)} for i in inputs],
            "timing_cache": tc, "artifact_sha256": sha, "typed_model": typed,
            "builder_seconds": round(build_only, 3),
            "phase_seconds": phase_seconds,
            "builder_log_counts": dict(logger.counts),
        })
