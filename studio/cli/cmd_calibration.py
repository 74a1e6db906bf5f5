"""`engine-studio calibration MODEL --calib calib.csv --data val.csv`: can the calibration be
trusted? The calibration and validation sets side by side (samples, duplicates, sequence
lengths, unknown tokens), each quantized tensor's share of validation values clipped by the
range calibration gave it, and minmax / entropy / percentile compared by predicted score, in one
run. Warnings say what looks wrong; --json prints the whole check."""

from __future__ import annotations

import sys

from studio.cli.cmd_build import ProgressPrinter
from studio.cli.cmd_precision import add_request_arguments, request_from_args
from studio.core.errors import StudioError

TOP = 8


def add_parser(sub) -> None:
    p = sub.add_parser("calibration", help="check a calibration set against the validation data",
                       description=__doc__.split("\n\n")[0])
    add_request_arguments(p, targets=("int8", "fp8"))
    p.add_argument("--json", action="store_true", help="print the check as one JSON object")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def _lengths(facts: dict) -> str:
    s = facts["lengths"]
    return "-" if s is None else f"{s['min']}-{s['max']} tokens, median {s['p50']:g}, 90 % up to {s['p90']:g}"


def run(args) -> int:
    import threading

    from studio.cli.output import print_json, print_table
    from studio.core.precision_search.job import run_calibration_check

    req = request_from_args(args)
    if req.calibration is None:
        raise StudioError("--calib FILE is required: the calibration set to check")
    res = run_calibration_check(req, on_event=ProgressPrinter(quiet=args.quiet), cancel=threading.Event())
    if args.json:
        print_json(res)
        return 0
    rows = []
    for name in ("calibration", "validation"):
        f = res[name]
        unk = "-" if f["unknown_token_share"] is None else f"{100 * f['unknown_token_share']:.2f} %"
        rows.append([name, f["samples"], f"{100 * f['duplicate_share']:.1f} %", unk, _lengths(f)])
    print_table(rows, ["set", "samples", "duplicates", "unknown tokens", "lengths"])
    print()
    print_table([[c["tensor"], f"{c['limit']:.4g}", f"{c['max_abs']:.4g}", f"{100 * c['clipped_share']:.2f} %"]
                 for c in res["clipping"][:TOP]],
                [f"most clipped tensor ({res['method']})", "range +/-", "max |x|", "clipped"])
    print()
    print_table([[m["method"], f"{100 * m['predicted_score']:.2f} %", f"{m['drop_points']:+.2f}"] for m in res["methods"]],
                ["method", f"predicted {res['metric']}", "drop (points)"])
    print(f"best: {res['methods'][0]['method']} (predicted on the CPU; {res['seconds']:.0f} s)")
    for w in res["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    return 0
