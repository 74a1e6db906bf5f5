"""`engine-studio accuracy BUILD --data val.csv --label-column intent`: compare a build's outputs
with the FP32 ONNX reference (its source model, named by the sidecar, run by ONNX Runtime) on
the same inputs: per output errors, cosine similarity, top-1 agreement, NaN/Inf alarm; with
labels, accuracy against the reference's and a flag when the drop exceeds --threshold points.
--json prints at least top1_agreement, max_abs_error, nan_count (and accuracy,
reference_accuracy with labels)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from studio.core.errors import StudioError


def add_parser(sub) -> None:
    p = sub.add_parser("accuracy", help="compare a build with its FP32 ONNX reference on validation data",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("build", metavar="BUILD", help="built artifact (its sidecar names the source model)")
    p.add_argument("--data", required=True, metavar="FILE", help="validation data: .csv/.jsonl texts or .npz arrays")
    p.add_argument("--data-column", metavar="NAME", help="text column (default: guessed, e.g. 'text')")
    p.add_argument("--label-column", metavar="NAME", help="label column, e.g. intent")
    p.add_argument("--labels", metavar="FILE", help="label names in output index order (one per line, or a JSON list); "
                                                    "default: labels.txt beside the build or its source")
    p.add_argument("--threshold", type=float, default=1.0, metavar="POINTS",
                   help="flag the build when accuracy drops by more than this (default 1.0)")
    p.add_argument("--reference", metavar="ONNX", help="FP32 reference model (default: the sidecar's source)")
    p.add_argument("--tokenizer", metavar="FILE", help="tokenizer.json (default: beside the build or its source)")
    p.add_argument("--seq-len", type=int, metavar="N", help="pad/truncate texts to N tokens (default: own length)")
    p.add_argument("--batch", type=int, default=32, metavar="N", help="batch size for the comparison (default 32)")
    p.add_argument("--limit", type=int, metavar="N", help="first N rows only")
    p.add_argument("--threads", type=int, metavar="N", help="ONNX Runtime intra-op threads")
    p.add_argument("--fail-on-flag", action="store_true", help="exit 1 when the build is flagged")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("-o", "--output", metavar="FILE", help="save the result JSON here")
    p.set_defaults(func=run)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _first_existing(*paths) -> str | None:
    for p in paths:
        if p is not None and Path(p).is_file():
            return str(p)
    return None


def run(args) -> int:
    from studio.cli.output import print_json, print_table
    from studio.core.backends.base import sidecar_path
    from studio.core.backends.registry import get_backend
    from studio.core.bench.accuracy import compare, label_indices, read_label_names
    from studio.core.bench.inputs import open_feed

    build = Path(args.build)
    if not build.exists():
        raise StudioError("build not found", where=str(build))
    if args.batch < 1:
        raise StudioError(f"--batch must be at least 1 (got {args.batch})")
    if args.threshold < 0:
        raise StudioError("--threshold must not be negative")
    if not Path(args.data).is_file():
        raise StudioError("data file not found", where=args.data)
    sidecar = None
    if sidecar_path(build).exists():
        from studio.core.backends.sidecar import load_sidecar

        sidecar = load_sidecar(build)
    elif not args.reference:
        raise StudioError("no sidecar beside this build, so its source model is unknown; "
                          "pass --reference MODEL.onnx", where=str(build))
    if args.reference:
        reference = Path(args.reference)
    else:
        src = sidecar.get("source") or {}
        if not src.get("path"):
            raise StudioError("the sidecar names no source model; pass --reference", where=str(sidecar_path(build)))
        reference = Path(src["path"])
        if not reference.is_file():
            raise StudioError(f"the source model {reference} named by the sidecar is gone; pass --reference",
                              where=str(build))
        if src.get("sha256") and _sha256(reference) != src["sha256"]:
            raise StudioError(f"the source model {reference} changed since this build (sha256 differs); "
                              "rebuild, or pass --reference to compare anyway", where=str(build))
    if not reference.is_file():
        raise StudioError("reference model not found", where=str(reference))
    backend_name = sidecar.get("backend") if sidecar else "onnxruntime"
    precision = sidecar.get("precision", "?") if sidecar else "?"

    ort = get_backend("onnxruntime")
    ref_runner = ort.open_runner(str(reference), intra_op_threads=args.threads)
    opts = {"intra_op_threads": args.threads} if backend_name == "onnxruntime" else {}
    build_runner = get_backend(backend_name).open_runner(str(build), **opts)
    build_runner.activate()        # a TensorRT engine without a GPU stops here, with the reason
    ref_runner.activate()
    try:
        tokenizer = args.tokenizer or _first_existing(build.with_name("tokenizer.json"),
                                                      reference.with_name("tokenizer.json"))
        if tokenizer is None and Path(args.data).suffix.lower() not in (".npz", ".npy"):
            from studio.cli.cmd_build import default_tokenizer

            tokenizer = default_tokenizer(reference)
        feed = open_feed(ref_runner.input_metadata(), args.data, column=args.data_column,
                         label_column=args.label_column, tokenizer=tokenizer, seq_len=args.seq_len,
                         model_path=str(reference), limit=args.limit)
        labels = None
        if args.label_column:
            if feed.labels is None:
                raise StudioError("--label-column needs a text table (.csv/.jsonl) with that column", where=args.data)
            labels_file = args.labels or _first_existing(build.with_name("labels.txt"), reference.with_name("labels.txt"))
            names = read_label_names(labels_file) if labels_file else None
            labels = label_indices(feed.labels, names, where=args.data)
        res = compare(build_runner, ref_runner, feed, batch=args.batch, labels=labels, threshold=args.threshold,
                      build=str(build), reference=str(reference), backend=backend_name, precision=precision)
    finally:
        build_runner.deactivate()
        ref_runner.deactivate()
    res.label_column = args.label_column
    res.data = str(args.data)
    if args.output:
        res.save(args.output)
    if args.json:
        print_json(res.to_dict())
    else:
        rows = [[o.name, f"{o.max_abs_error:.3g}", f"{o.mean_abs_error:.3g}", f"{o.max_rel_error:.3g}",
                 f"{o.cosine_mean:.6f}", f"{o.cosine_min:.6f}",
                 "-" if o.top1_agreement is None else f"{100 * o.top1_agreement:.2f}%", o.nan_count + o.inf_count]
                for o in res.outputs]
        print(f"{build.name} ({backend_name}, {precision}) vs FP32 reference {reference.name}, {res.samples} samples")
        print_table(rows, ["output", "max abs", "mean abs", "max rel", "cos mean", "cos min", "top-1 agree", "NaN/Inf"])
        if res.accuracy is not None:
            print(f"accuracy {res.accuracy:.2f}%  reference {res.reference_accuracy:.2f}%  "
                  f"change {res.accuracy_change:+.2f} points (threshold {res.threshold:g})")
        for a in res.alarm:
            print(f"ALARM: {a}", file=sys.stderr)
        if res.flagged:
            print("FLAGGED: this build loses more accuracy than the threshold allows" if not res.alarm
                  else "FLAGGED: see the alarm above", file=sys.stderr)
        if args.output:
            print(f"results: {args.output}")
    return 1 if (res.flagged and args.fail_on_flag) else 0
