"""ONNX Runtime's build: the source model normalized, its attention, GELU and LayerNorm fused
(ORT's transformer optimizer, or the studio's own fusion where ORT does not match the export),
padding cut and FFNs chunked where that is exact, the precision recipe applied, then ORT's
offline graph optimization written as the artifact. Only a build imports this module: its ONNX
and optimizer imports (~0.7 s) stay out of a benchmark's or accuracy check's child, which only
opens runners."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import onnxruntime as ort

from studio.core.backends.base import BuildConfig, BuildResult, sidecar_path
from studio.core.errors import BuildError, Cancelled
from studio.core.graph.onnx_loader import load_model_proto
from studio.core.io import move_atomic
from studio.core.precision.model_io import load_model, save_model
from studio.core.precision.prepare import PRECISION_OPTIONS, prepare_precision
from studio.core.progress import TaskState

from studio_onnxruntime import speed_probe
from studio_onnxruntime.attention import attention_dims, find_cores, fuse_attention
from studio_onnxruntime.denormals import SESSION_CONFIG_KEY
from studio_onnxruntime.ffn_chunks import CHUNK_BYTES, chunk_ffn
from studio_onnxruntime.optimize import DEFAULT_DISABLED_OPTIMIZERS, LEVELS, op_histogram, session_optimize, transformer_fusions
from studio_onnxruntime.normalize import normalize
from studio_onnxruntime.padding import cut_padding, same_outputs
from studio_onnxruntime.rewrites import (
    ATTENTION_OPSET, Original, RewriteReport, _convert_opset, _default_opset, fold_gelu_bias, split_attention, trim_kv,
)

LAYER_NORM_OPSET = 17

# Session settings every build is measured with, recorded in its sidecar (the runner applies
# them; a deployment should too). Denormals flushed to zero: padded texts fill attention softmax
# with denormal floats, which cost the demo model 15-25 % of its CPU throughput (denormals.py).
DEFAULT_SESSION_CONFIG = {SESSION_CONFIG_KEY: "1"}

# Where the attention core runs: "onnx" splits ORT's contrib Attention into projections and
# ONNX's Attention op (rewrites.py: ~2x faster core, and its projections quantize as plain int8
# GEMMs); "contrib" keeps ORT's fused op (QAttention after int8).
ATTENTION_KINDS = ("onnx", "contrib")

# Build options (BuildConfig.options; `engine-studio build --option KEY=VALUE`) this backend reads.
ORT_OPTIONS = {
    "ort_optimization": "ORT graph optimization level run at build time: " + ", ".join(LEVELS) + " (default all)",
    "ort_attention": "'onnx' (default: attention core on ONNX's Attention op) or 'contrib' (ORT's fused op)",
    "ort_ffn_chunk_bytes": f"FFN row chunks' intermediate budget in bytes (default {CHUNK_BYTES}; 0: no chunks)",
    "ort_cut_padding": "cut inputs to the batch's longest row where the outputs do not depend on padding "
                       "(checked on a probe batch; default true)",
    "ort_trim_kv": "cut keys and values to the batch's longest sequence (default true; exact)",
    "ort_disabled_optimizers": "ORT optimizers left off at build and run time (default SkipLayerNormFusion)",
    "ort_session_config": "session config entries the build is measured with (default: denormals flushed)",
    "ort_fusion_options": "overrides of the transformer optimizer's FusionOptions flags",
    "num_heads": "attention heads (0, the default: read from the model's reshapes and weights)",
    "hidden_size": "hidden size (0, the default: read from the model's attention projections)",
    "gelu_approximation": "fuse GELU as its tanh approximation (default false)",
    "attention_fusion": "fuse attention at all (default true)",
    "provider": "'cuda' to optimize for ORT's CUDA provider (default: CPU)",
    "ort_speed_probe": "time the build against its source on a probe batch and warn when it is not faster "
                       "(default true)",
}


def build(backend, config: BuildConfig, state: TaskState) -> BuildResult:
    """`backend`'s build of `config` (studio_onnxruntime.backend.OnnxRuntimeBackend.build)."""
    config.check_options(ORT_OPTIONS | PRECISION_OPTIONS)
    caps = backend.capabilities()
    caps.check_precision(config.precision)
    level = str(config.options.get("ort_optimization", "all"))
    if level not in LEVELS:
        raise BuildError(f"unknown ort_optimization {level!r}; choose one of {', '.join(LEVELS)}")
    attention = str(config.options.get("ort_attention", "onnx"))
    if attention not in ATTENTION_KINDS:
        raise BuildError(f"unknown ort_attention {attention!r}; choose one of {', '.join(ATTENTION_KINDS)}")
    try:
        chunk_bytes = int(config.options.get("ort_ffn_chunk_bytes", CHUNK_BYTES))
    except (TypeError, ValueError):
        chunk_bytes = -1
    if chunk_bytes < 0:
        raise BuildError(f"ort_ffn_chunk_bytes must be a whole number >= 0 (0: no chunking), "
                         f"got {config.options.get('ort_ffn_chunk_bytes')!r}")
    cut, trim = (config.options.get(k, True) for k in ("ort_cut_padding", "ort_trim_kv"))
    for key, value in (("ort_cut_padding", cut), ("ort_trim_kv", trim)):
        if not isinstance(value, bool):  # `--option KEY=false` arrives parsed as JSON
            raise BuildError(f"{key} must be true or false, got {value!r}")
    disabled = [str(o) for o in config.options.get("ort_disabled_optimizers", DEFAULT_DISABLED_OPTIMIZERS)]
    session_config = {str(k): str(v) for k, v in
                      config.options.get("ort_session_config", DEFAULT_SESSION_CONFIG).items()}
    providers = ["CPUExecutionProvider"]
    if config.options.get("provider") == "cuda":
        if not backend.has_cuda():
            raise BuildError("the CUDA provider is not available in this onnxruntime")
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    t0 = time.perf_counter()
    output = Path(config.output)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="studio-ort-", dir=output.parent if output.parent.exists() else None) as tmp:
        tmp = Path(tmp)
        state.progress("Transformer fusions", 0.0, force=True)
        model, fusion, blocks, fused_here = _fuse(config, tmp, attention, state)
        if not fusion.applied:
            notes.append(f"transformer fusions not applied: {fusion.reason}")
            state.log(notes[-1])
        if blocks.get("unfused"):
            notes.append(f"attention: {blocks['fused']} of {blocks['found']} blocks fused; not fused: "
                         + "; ".join(blocks["unfused"])[:600])
            state.log(notes[-1])
        rewrites: list[RewriteReport] = [fused_here] if fused_here is not None else []
        original = Original.of(config.model)  # lends its node names to the rewritten layers
        if fusion.applied and fused_here is None and attention == "onnx":
            split = tmp / "split.onnx"
            rewrites.append(split_attention(model, split, original=original))
            if rewrites[-1].applied:
                model = split
            state.log(_describe(rewrites[-1]))
        if state.cancelled:
            raise Cancelled("build cancelled")
        state.progress("Precision", 0.3, force=True)

        # Precision after fusion and the attention split: dynamic int8 then quantizes the Q/K/V
        # projections with one shared activation quantization (a contrib Attention as one op).
        pconfig = replace(config, model=str(model))
        prepared = prepare_precision(pconfig, backend.precision_target(), workdir=str(tmp / "precision"), state=state)
        notes += prepared.notes
        if prepared.precision == "fp16":
            notes.append(f"fp16 {backend.cpu_fp16_note}")
        if state.cancelled:
            raise Cancelled("build cancelled")
        state.progress("Graph optimization", 0.7, force=True)
        optimized = tmp / "optimized.onnx"
        session_optimize(prepared.path, optimized, level, providers, disabled)
        # The rewrites after ORT's optimizer work on one model in memory: one read and one write
        # of the file whatever runs (a BERT-base is 436 MB).
        if prepared.precision == "int8" or attention == "onnx" and (cut or trim) or chunk_bytes:
            model = load_model(optimized)
            done = []
            if prepared.precision == "int8":
                done.append(fold_gelu_bias(model, original=original))
            if cut and attention == "onnx":
                done.append(cut_padding(model, config.model))
            if trim and attention == "onnx" and not (cut and done[-1].applied):
                done.append(trim_kv(model))  # nothing left to trim where the inputs were cut
            if chunk_bytes:
                done.append(chunk_ffn(model, budget=chunk_bytes, original=original))
            for report in done:
                state.log(_describe(report))
            rewrites += done
            if any(r.applied for r in done):
                optimized = save_model(model, tmp / "rewritten.onnx")
            del model
        if level == "all":
            notes.append("optimization level 'all' may add CPU-specific layouts: run the model on this kind of CPU")
        probes = []
        if config.options.get("ort_speed_probe", True) is not False and providers == ["CPUExecutionProvider"]:
            state.progress("Timing against the source", 0.9, force=True)
            try:
                probes = speed_probe.measure(config.model, optimized, session_config, disabled)
            except Exception as e:  # the build stands; only the comparison is missing
                state.log(f"speed probe skipped: {type(e).__name__}: {str(e)[:200]}")
            for p in probes:
                state.log(f"speed probe: {p.speedup:.2f}x the source ({p.shape})")
            if probes and speed_probe.worst(probes).warning():
                notes.append(speed_probe.worst(probes).warning())
        state.progress("Writing", 0.95, force=True)
        move_atomic(optimized, output)
    seconds = time.perf_counter() - t0
    ops_after = op_histogram(output)
    metadata = {
        "onnxruntime_version": ort.__version__,
        "providers": providers,
        "available_providers": backend.providers(),
        "optimization_level": level,
        "ort_disabled_optimizers": disabled,
        "ort_session_config": session_config,
        "transformer_fusions": fusion.to_dict(),
        "attention_blocks": {k: v for k, v in blocks.items() if k != "not_optimized"},
        "not_optimized": blocks["not_optimized"],
        # the worse of the probe batches (what a warning is about), and each of them
        "speed_probe": speed_probe.worst(probes).to_dict() if probes else None,
        "speed_probes": [p.to_dict() for p in probes],
        "attention": attention,
        "ffn_chunk_bytes": chunk_bytes,
        "graph_rewrites": [r.to_dict() for r in rewrites],
        "recipe": prepared.recipe,
        "calibration": prepared.calibration,
        "op_types_after": ops_after,
        "nodes_after": sum(ops_after.values()),
    }
    state.progress("Done", 1.0, force=True)
    return BuildResult(output=str(output), sidecar=str(sidecar_path(output)), backend=backend.name,
                       precision=prepared.precision, build_seconds=seconds, size_bytes=output.stat().st_size,
                       layer_report=None, timing_cache_hit=None, library=f"onnxruntime {ort.__version__}",
                       warnings=notes, metadata=metadata)


def _fuse(config: BuildConfig, tmp: Path, attention: str, state: TaskState):
    """The fusion step: (the model to go on with, ORT's FusionReport, the attention blocks
    {found, fused, by, unfused, not_optimized}, the studio's own fuse_attention report or None).

    ORT's transformer optimizer runs first, told the head count and hidden size the model shows
    where the options do not give them. Where it fuses fewer attention blocks than the model has
    (exports it does not know: SDPA, dynamo, other architectures' shapes), the studio's own
    fusion (attention.py) rewrites the source instead, kept only when a probe batch gives the
    source's outputs; ORT's optimizer then runs on that for the rest (GELU, bias folds).

    `not_optimized` maps the Softmax node of each block left unfused to the reason, so that the
    after-fusion view can mark the layer that still holds it."""
    source = load_model(config.model)
    converted = False
    if attention == "onnx" and _default_opset(source) < LAYER_NORM_OPSET:
        # ORT's fusions write LayerNormalization (opset 17) into an older model, which the opset
        # converter then cannot take to ONNX Attention's opset: convert before they run.
        try:
            source, converted = _convert_opset(source, ATTENTION_OPSET), True
            state.log(f"opset converted to {ATTENTION_OPSET} for ONNX Attention")
        except Exception as e:
            state.log(f"opset conversion to {ATTENTION_OPSET} failed ({type(e).__name__}): attention stays as it is")
    normalized = {k: v for k, v in normalize(source).items() if v}
    if normalized:
        state.log("normalized: " + ", ".join(f"{k} x{v}" for k, v in normalized.items()))
    cores, skipped = find_cores(source)
    found = len(cores) + len(skipped)
    softmax_node = {n.output[0]: n.name or n.output[0] for n in source.graph.node if n.op_type == "Softmax"}
    core_nodes = [softmax_node[c.softmax] for c in cores]
    heads, hidden = int(config.options.get("num_heads", 0)), int(config.options.get("hidden_size", 0))
    dims = attention_dims(source) if not (heads and hidden) else None
    if dims is not None:
        heads, hidden = heads or dims.num_heads, hidden or dims.hidden_size
        state.log(f"attention: {dims.num_heads} heads, hidden size {dims.hidden_size} ({dims.evidence})")
    options = dict(gelu_approximation=bool(config.options.get("gelu_approximation", False)),
                   flags=config.options.get("ort_fusion_options"))
    want_attention = bool(config.options.get("attention_fusion", True))
    fused = tmp / "fused.onnx"
    fusion = transformer_fusions(source, fused, num_heads=heads, hidden_size=hidden, attention=want_attention,
                                 **options)
    by_ort = fusion.fused.get("Attention", 0) + fusion.fused.get("MultiHeadAttention", 0) if fusion.applied else 0
    blocks = {"found": found, "fused": by_ort, "by": "onnxruntime" if by_ort else "",
              "unfused": [] if by_ort >= found or not want_attention else _reasons(skipped),
              "not_optimized": dict(skipped) if want_attention else {}}
    model = fused if fusion.applied else (save_model(source, tmp / "normalized.onnx") if normalized or converted
                                          else Path(config.model))
    if not want_attention:
        blocks["not_optimized"] = {n: "attention fusion turned off (attention_fusion=false)"
                                   for n in [*core_nodes, *skipped]}
        return model, fusion, blocks, None
    if by_ort >= found or not cores or attention != "onnx":
        if by_ort < found:
            why = "ORT's optimizer did not match it" + (
                "" if attention == "onnx" else " (ort_attention=contrib keeps to ORT's fusion)")
            left = _still_there(model, core_nodes)
            blocks["not_optimized"].update({n: why for n in left})
            if not blocks["unfused"]:
                blocks["unfused"] = [f"{found - by_ort} block(s): {why}"]
        return model, fusion, blocks, None
    rewritten, report = fuse_attention(source)
    if report.applied:
        why = same_outputs(config.model, rewritten, next((c.mask for c in cores if c.mask), None))
        if why:
            report.reason, report.applied = f"rewritten model failed the probe batch: {why}", 0
    state.log(_describe(report))
    if not report.applied:
        blocks["unfused"] = [report.reason]
        blocks["not_optimized"].update({n: report.reason for n in _still_there(model, core_nodes)})
        return model, fusion, blocks, report
    plain = save_model(rewritten, tmp / "attention.onnx")
    rest = transformer_fusions(rewritten, fused, num_heads=heads, hidden_size=hidden, attention=False, **options)
    blocks.update(fused=report.applied, by="studio", unfused=_reasons(skipped))
    return (fused if rest.applied else plain), rest, blocks, report


def _reasons(skipped: dict[str, str]) -> list[str]:
    return [f"{node}: {why}" for node, why in skipped.items()]


def _still_there(model: Path, nodes: list[str]) -> list[str]:
    """Those of `nodes` that the model at `model` still holds (read without its weights)."""
    names = {n.name for n in load_model_proto(str(model), with_weights=False).graph.node}
    return [n for n in nodes if n in names]


def _describe(report: RewriteReport) -> str:
    if report.applied:
        return f"{report.name}: {report.applied} rewritten" + (f" (left: {report.reason})" if report.reason else "")
    return f"{report.name}: not applied ({report.reason})"
