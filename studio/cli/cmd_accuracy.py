"""`engine-studio accuracy BUILD --data val.csv --label-column intent`: compare a build's outputs
with the FP32 ONNX reference (its source model, named by the sidecar, run by ONNX Runtime) on
the same inputs: per output errors, cosine similarity, top-1 agreement, NaN/Inf alarm; with
labels, accuracy against the reference's and a flag when the drop exceeds --threshold points.
A build that cannot run here (a TensorRT engine without its GPU) gets a predicted accuracy: its
typed ONNX run on the CPU, with "predicted": true in the JSON.
--json prints at least top1_agreement, max_abs_error, nan_count (and accuracy,
reference_accuracy with labels)."""

from __future__ import annotations

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
    p.add_argument("--cluster", metavar="ADDRESS", help="check on a cluster's target instead of here: ray:HOST:PORT "
                                                      "(an engine's real accuracy on the GPU it serves on)")
    p.add_argument("--target", metavar="NAME", help="with --cluster: the target machine")
    p.add_argument("--fail-on-flag", action="store_true", help="exit 1 when the build is flagged")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("-o", "--output", metavar="FILE", help="save the result JSON here")
    p.set_defaults(func=run)


def _on_cluster(args, build: Path, options: dict):
    from studio.core.bench.isolated import accuracy_job
    from studio.core.bench.results import AccuracyResult
    from studio.core.jobs.executor import executor_for

    if not Path(args.data).is_file():
        raise StudioError("data file not found", where=args.data)
    job = accuracy_job(build, args.data, **options)
    executor = executor_for(args.cluster)
    try:
        return AccuracyResult.from_dict(executor.run(job, target=args.target).payload)
    finally:
        executor.close()


def run(args) -> int:
    from studio.cli.output import print_json, print_table
    from studio.core.session import Session

    build = Path(args.build)
    if not build.exists():
        raise StudioError("build not found", where=str(build))
    if args.target and not args.cluster:
        raise StudioError("--target names a machine of a cluster: give --cluster too")
    options = dict(label_column=args.label_column, labels_file=args.labels, column=args.data_column,
                   threshold=args.threshold / 100.0, reference=args.reference, tokenizer=args.tokenizer,
                   seq_len=args.seq_len, batch=args.batch, limit=args.limit, threads=args.threads)
    if args.cluster:
        res = _on_cluster(args, build, options)
    else:
        # The window's check, in a child process: a runtime that crashes costs the check, not the caller.
        res = Session().check_accuracy(str(build), args.data, save=False, **options)
    backend_name, precision, reference = res.backend, res.precision, Path(res.reference)
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
        if res.predicted:
            print(f"PREDICTED ({res.prediction})")
        print_table(rows, ["output", "max abs", "mean abs", "max rel", "cos mean", "cos min", "top-1 agree", "NaN/Inf"])
        if res.accuracy is not None:
            print(f"accuracy {res.accuracy:.2%}  reference {res.reference_accuracy:.2%}  "
                  f"change {100 * res.accuracy_change:+.2f} points (threshold {100 * res.threshold:g})")
        for a in res.alarm:
            print(f"ALARM: {a}", file=sys.stderr)
        if res.flagged:
            print("FLAGGED: this build loses more accuracy than the threshold allows" if not res.alarm
                  else "FLAGGED: see the alarm above", file=sys.stderr)
        if args.output:
            print(f"results: {args.output}")
    return 1 if (res.flagged and args.fail_on_flag) else 0
