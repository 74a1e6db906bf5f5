"""`engine-studio precision MODEL --target int8 --data val.csv --budget 0.5 --calib calib.csv`:
per-node precision sensitivity and the automatic mixed-precision search. Every candidate is made
by the build's own recipe and run as written by ONNX Runtime on the CPU, so the figures are
predictions of the engine a build with the keep-file makes. Writes the keep-file (`build
--keep-file`) only when the search succeeds; --json prints the SearchResult (reference_accuracy,
predicted_accuracy, budget, lowered_gemm_flops_share, kept, sensitivity, seconds, ...)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from studio.cli.cmd_build import ProgressPrinter, add_calibration_arguments, add_keep_arguments, calibration_from_args, keep_entries
from studio.core.errors import StudioError

TOP = 10


def add_parser(sub) -> None:
    p = sub.add_parser("precision", help="find which nodes to keep high under an accuracy budget",
                       description=__doc__.split("\n\n")[0])
    add_request_arguments(p)
    p.add_argument("--budget", type=float, default=0.5, metavar="POINTS",
                   help="how many points the metric may drop against FP32 (default 0.5)")
    p.add_argument("--high-precision", default="fp16", choices=("fp16", "bf16", "fp32"),
                   help="int8/fp8: what the Q/DQ recipe leaves unquantized runs in (default fp16)")
    add_keep_arguments(p)
    p.add_argument("--sensitivity-samples", type=int, default=64, metavar="N",
                   help="validation rows each sensitivity probe runs (default 64; candidates run them all)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="keep-file to write (default: MODEL's stem + .TARGET.keep.json beside it)")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="spread the sensitivity probes over a cluster's targets: ray:HOST:PORT")
    p.add_argument("--targets", default="all", metavar="LIST", help="with --cluster: target names, or all")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def add_request_arguments(p, targets=("int8", "fp8", "fp16", "bf16")) -> None:
    """The model, target, validation data and calibration: what every precision command takes."""
    p.add_argument("model", metavar="MODEL", help="the FP32 ONNX model")
    p.add_argument("--target", default="int8", choices=targets, help="precision to lower to (default int8)")
    p.add_argument("--data", required=True, metavar="FILE", help="validation data: .csv/.jsonl texts or .npz arrays")
    p.add_argument("--data-column", metavar="NAME", help="text column (default: guessed, e.g. 'text')")
    p.add_argument("--label-column", metavar="NAME", help="label column, e.g. intent")
    p.add_argument("--labels", metavar="FILE", help="label names in output index order (default: labels.txt beside the model)")
    p.add_argument("--budget-metric", choices=("accuracy", "agreement", "cosine"),
                   help="what the drop is measured in: accuracy (needs --label-column; the default with it), "
                        "top-1 agreement with FP32 (the default without labels) or mean cosine similarity x 100")
    add_calibration_arguments(p, samples=128)
    p.add_argument("--tokenizer", metavar="FILE", help="tokenizer.json (default: beside the model)")
    p.add_argument("--seq-len", type=int, metavar="N", help="pad/truncate texts to N tokens (default: own length)")
    p.add_argument("--limit", type=int, metavar="N", help="first N validation rows only")
    p.add_argument("--threads", type=int, metavar="N", help="ONNX Runtime intra-op threads (default: all cores)")


def request_from_args(args):
    from studio.core.precision_search.search import SearchRequest

    model = Path(args.model)
    if not model.is_file():
        raise StudioError("model file not found", where=str(model))
    metric = args.budget_metric or ("accuracy" if args.label_column else "agreement")
    req = SearchRequest(model=str(model), target=args.target, data=args.data, metric=metric,
                        column=args.data_column, label_column=args.label_column, labels_file=args.labels,
                        tokenizer=args.tokenizer, seq_len=args.seq_len, limit=args.limit,
                        calibration=calibration_from_args(args, model), threads=args.threads)
    if "budget" in args:   # the search's own options
        if args.sensitivity_samples < 1:
            raise StudioError("--sensitivity-samples must be at least 1")
        req = replace(req, budget=args.budget, high_precision=args.high_precision, keep=keep_entries(args, model),
                      sensitivity_samples=args.sensitivity_samples)
    return req


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def run(args) -> int:
    from studio.cli.output import print_json, print_table
    from studio.core.jobs.executor import executor_for
    from studio.core.session import Session

    req = request_from_args(args)
    output = Path(args.output) if args.output else Path(req.model).with_name(f"{Path(req.model).stem}.{req.target}.keep.json")
    if args.targets != "all" and not args.cluster:
        raise StudioError("--targets names machines of a cluster: give --cluster too")
    session = Session()
    session.open(req.model)
    executor = executor_for(args.cluster) if args.cluster else None
    try:
        res = session.find_precision(req, on_event=ProgressPrinter(quiet=args.quiet), cancel=threading.Event(),
                                     executor=executor,
                                     targets=None if args.targets == "all" else
                                     [n.strip() for n in args.targets.split(",") if n.strip()])
    finally:
        if executor is not None:
            executor.close()
    res.keep_file().save(output)
    if args.json:
        print_json({**res.to_dict(), "keep_file": str(output)})
        return 0
    print(f"{Path(req.model).name} -> {req.target} (rest in {req.high_precision}), budget {req.budget:g} points "
          f"of {req.metric}, {res.seconds:.0f} s")
    rows = [[s["node"], f"{s['score']:.4f}", "-" if s["sqnr_db"] is None else f"{s['sqnr_db']:.1f}",
             f"{s['flops'] / 1e9:.3f}"] for s in res.sensitivity[:TOP]]
    print_table(rows, ["most sensitive node", "drift (100 x (1 - cos))", "SQNR dB", "GFLOP/batch"])
    if len(res.sensitivity) > TOP:
        print(f"... {len(res.sensitivity) - TOP} more (--json lists them all)")
    if res.reference_accuracy is not None:
        print(f"accuracy: FP32 {_pct(res.reference_accuracy)}, predicted {_pct(res.predicted_accuracy)}")
    print(f"{req.metric}: FP32 {_pct(res.reference_score)}, predicted {_pct(res.predicted_score)}, "
          f"drop {res.drop_points:+.2f} points (budget {req.budget:g})")
    print(f"kept high: {len(res.kept)} of {len(res.sensitivity)} quantizable nodes; "
          f"{100 * res.lowered_gemm_flops_share:.1f}% of GEMM FLOPs in {req.target}")
    print("PREDICTED (CPU execution of the typed candidates; it cannot see kernel accumulation order, tactics "
          "or fused kernels)")
    print(f"keep-file: {output}")
    calib = ""
    if req.calibration:
        calib = f" --calib {req.calibration.path}" + (f" --calib-column {req.calibration.column}"
                                                      if req.calibration.column else "")
    print(f"build it:  engine-studio build {req.model} --precision {req.target}{calib} --keep-file {output}"
          + (f" --option high_precision={req.high_precision}" if req.high_precision != "fp16" else ""))
    return 0
