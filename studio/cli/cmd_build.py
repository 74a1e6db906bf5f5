"""`engine-studio build MODEL`: build an engine (TensorRT / TensorRT-RTX) or an optimized model
(ONNX Runtime) in a child process, with progress on stderr and, with --json, the result object
on stdout (`output`, `sidecar`, `backend`, `precision`, `build_seconds`, ...)."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

from studio.core.backends.naming import default_output
from studio.core.errors import StudioError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
CALIB_METHODS = ("minmax", "entropy", "percentile")


def parse_size(text: str) -> int:
    """'512M', '2G', '1.5g', '4096' -> bytes (binary units, as TensorRT's memory pools count)."""
    m = _SIZE.match(str(text))
    if not m:
        raise StudioError(f"bad size {text!r}; write it like 512M, 2G or 1073741824")
    n = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if n <= 0:
        raise StudioError(f"size {text!r} must be more than zero")
    return n


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build an engine or an optimized model from an ONNX file",
                       description="Build MODEL into an engine (tensorrt) or an optimized model "
                                   "(onnxruntime), in a separate process. Writes OUT and OUT.json.")
    p.add_argument("model", metavar="MODEL", help="the ONNX model")
    p.add_argument("--backend", default="tensorrt", help="tensorrt | onnxruntime (or an installed plugin)")
    p.add_argument("--precision", default="fp32", help="fp32 | fp16 | bf16 | int8 | fp8")
    p.add_argument("--workspace", metavar="SIZE", help="builder workspace limit, e.g. 512M, 1G")
    p.add_argument("--opt-level", type=int, metavar="N", help="builder optimization level (0-5)")
    add_calibration_arguments(p)
    p.add_argument("--tokenizer", metavar="FILE",
                   help="tokenizer.json or a Hugging Face tokenizer folder (default: the one beside the model)")
    p.add_argument("--shapes", action="append", default=[], metavar="NAME:MIN,OPT,MAX",
                   help="profile of one dynamic input, e.g. input_ids:1x8,32x64,64x128 (repeat per input)")
    add_keep_arguments(p)
    p.add_argument("--timing-cache", metavar="FILE", help="timing cache to read and update")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a backend build option (repeatable), e.g. ort_ffn_chunk_bytes=0; VALUE is read as "
                        "JSON when it parses (numbers, true/false, lists), else as text; a key the backend "
                        "does not read is refused with the list of those it does")
    p.add_argument("-o", "--output", metavar="OUT", help="artifact path (default: beside the model)")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="build on a cluster node instead of here: ray:HOST:PORT (see `engine-studio targets`)")
    p.add_argument("--target", metavar="NAME", help="the target machine to build on (with --cluster)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def calibration_from_args(args, model: Path):
    """The CalibrationSpec of --calib and its options (None without --calib): text data finds
    its tokenizer beside the model unless --tokenizer names one."""
    from studio.core.backends.base import CalibrationSpec

    if not args.calib:
        return None
    calib = Path(args.calib)
    if not calib.is_file():
        raise StudioError("calibration file not found", where=str(calib))
    if args.calib_samples < 1:
        raise StudioError("--calib-samples must be at least 1")
    tokenizer = args.tokenizer
    is_text = calib.suffix.lower() in (".csv", ".jsonl", ".json", ".txt", ".tsv")
    if is_text and not tokenizer:
        from studio.core.data.calibration import default_tokenizer
        tokenizer = default_tokenizer(model)
        if tokenizer is None:
            raise StudioError("text calibration data needs a tokenizer: pass --tokenizer tokenizer.json",
                              where=str(calib))
    return CalibrationSpec(path=str(calib), column=args.calib_column, label_column=args.calib_label_column,
                           tokenizer=tokenizer, max_length=args.calib_max_length, samples=args.calib_samples,
                           seed=args.calib_seed, method=args.calib_method)


def add_calibration_arguments(p, samples: int = 256) -> None:
    p.add_argument("--calib", metavar="FILE", help="calibration data: .csv/.jsonl texts or .npz/.npy arrays")
    p.add_argument("--calib-column", metavar="NAME", help="text column of a CSV/JSONL file")
    p.add_argument("--calib-label-column", metavar="NAME", help="optional label column")
    p.add_argument("--calib-samples", type=int, default=samples, metavar="N", help=f"samples to use (default {samples})")
    p.add_argument("--calib-method", default="minmax", choices=CALIB_METHODS)
    p.add_argument("--calib-max-length", type=int, default=128, metavar="N", help="tokenizer max length")
    p.add_argument("--calib-seed", type=int, default=0, metavar="N", help="shuffle seed")


def add_keep_arguments(p) -> None:
    p.add_argument("--keep-fp32", action="append", default=[], metavar="NAMES_OR_OPS",
                   help="node names, op types or patterns kept in fp32 (comma separated, repeatable): "
                        "'Softmax', '/bert/encoder/layer.0/*', 'layer:last', 'layer:0&MatMul'")
    p.add_argument("--keep-file", metavar="FILE",
                   help="keep-list saved by `engine-studio precision` (or one entry per line), added to --keep-fp32")


def keep_entries(args, model: Path) -> list[str]:
    """--keep-fp32 entries (comma separated, repeatable), then those of --keep-file, checked
    against the model: an entry that names nothing is refused with the file that holds it."""
    keep = [n.strip() for item in args.keep_fp32 for n in item.split(",") if n.strip()]
    if args.keep_file:
        from studio.core.precision.keep import KeepFile
        from studio.core.precision.model_io import load_model, name_nodes

        kf = KeepFile.load(args.keep_file)
        kf.check(name_nodes(load_model(model)), args.keep_file)  # unnamed nodes as the recipes name them
        keep += [e for e in kf.entries if e not in keep]
    return keep


def config_from_argv(argv: list[str]):
    """The BuildConfig `engine-studio build ARGV...` would build: for commands that build first
    (bench), so their builds take the same defaults and checks as this command's."""
    import argparse

    parser = argparse.ArgumentParser(prog="engine-studio")
    add_parser(parser.add_subparsers())
    return config_from_args(parser.parse_args(["build", *argv]))


def config_from_args(args):
    from studio.core.backends.base import BuildConfig, Precision, ShapeProfile, parse_build_options

    model = Path(args.model)
    if not model.is_file():
        raise StudioError("model file not found", where=str(model))
    precision = Precision.parse(args.precision).value
    profiles = [ShapeProfile.parse(s) for s in args.shapes]
    calibration = calibration_from_args(args, model)
    keep = keep_entries(args, model)
    output = Path(args.output) if args.output else default_output(model, args.backend, precision)
    if args.opt_level is not None and not 0 <= args.opt_level <= 5:
        raise StudioError(f"--opt-level {args.opt_level} is out of range 0..5")
    return BuildConfig(
        model=str(model), backend=args.backend, output=str(output), precision=precision,
        workspace=parse_size(args.workspace) if args.workspace else None,
        optimization_level=args.opt_level, profiles=profiles, calibration=calibration,
        keep_fp32=keep, timing_cache=args.timing_cache, options=parse_build_options(args.option),
    )


class ProgressPrinter:
    """One stderr line per phase, with the overall percentage; warnings and errors as they come."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.last_phase = None

    def __call__(self, ev) -> None:
        if self.quiet:
            return
        if ev.kind == "progress" and ev.phase != self.last_phase:
            self.last_phase = ev.phase
            pct = "   " if ev.fraction is None else f"{int(ev.fraction * 100):3d}"
            print(f"[{pct}%] {ev.phase}", file=self.stream, flush=True)
        elif ev.kind == "log" and ev.level in ("warning", "error"):
            print(f"  {ev.level}: {ev.message}", file=self.stream, flush=True)


def _build_on_cluster(args):
    """The build as a job of the cluster's executor, on the target asked for; the artifact and
    its sidecar come back to the output path."""
    from studio.core.backends.base import BuildResult
    from studio.core.jobs.executor import Job, executor_for

    config = config_from_args(args)
    executor = executor_for(args.cluster)
    try:
        ran = executor.run(Job.build(config), target=args.target, on_event=ProgressPrinter(quiet=args.quiet),
                           cancel=threading.Event())
    finally:
        executor.close()
    for note in ran.notes:
        print(f"note: {note}", file=sys.stderr)
    return BuildResult(**ran.payload), ran.target


def run(args) -> int:
    from studio.core.jobs.launch import JobChild

    if args.target and not args.cluster:
        raise StudioError("--target names a machine of a cluster: give --cluster too")
    if args.cluster:
        return _report(args, *_build_on_cluster(args))

    # The child starts first and loads the backend and its native library while this process
    # checks the arguments and imports the rest: the studio's fixed cost on a build is mostly
    # start-up (benchmarks/bench_build.py measures studio / raw builder time). Bad arguments stop it unused.
    with JobChild(backend=args.backend) as child:
        config = config_from_args(args)
        from studio.core.session import Session

        entry = Session().build(config, on_event=ProgressPrinter(quiet=args.quiet or False),
                                cancel=threading.Event(), child=child)
    return _report(args, entry.result, None)


def _report(args, result, where: str | None) -> int:
    from studio.cli.output import print_json

    if args.json:
        print_json(result.to_dict())
    else:
        print(f"{result.output}  ({result.size_bytes / 1e6:.1f} MB, {result.precision}, "
              f"{result.library or result.backend}, {result.build_seconds:.1f} s"
              + (f", built on {where})" if where else ")"))
        print(f"sidecar: {result.sidecar}")
        if result.layer_report:
            print(f"layer report: {result.layer_report}")
        if result.timing_cache_hit is not None:
            print(f"timing cache: {'hit' if result.timing_cache_hit else 'miss (updated)'}")
        for w in result.warnings:
            print(f"note: {w}")
    return 0
