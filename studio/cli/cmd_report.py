"""`engine-studio report RESULTS... -o report.html|report.pdf|report.json`: one report from
builds (sidecars or artifacts with their sidecar), benchmark and accuracy results, a model
summary or the ONNX model. The output format follows the extension; the write is atomic."""

from __future__ import annotations

import argparse
import math


def _price(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative number: {text!r}")
    return v


def add_parser(sub) -> None:
    from studio.core.pricing import DEFAULT_PRICE_PER_DEVICE_HOUR

    p = sub.add_parser("report", help="write an HTML, PDF or JSON report of builds, benchmarks and accuracy",
                       description=__doc__)
    p.add_argument("results", nargs="+", metavar="RESULTS",
                   help="build sidecars or artifacts, bench/accuracy result JSON, inspect --json output, ONNX model")
    p.add_argument("-o", "--output", required=True, help="report.html, report.pdf or report.json")
    p.add_argument("--price-per-device-hour", "--price-per-gpu-hour", dest="price_per_device_hour", type=_price,
                   default=DEFAULT_PRICE_PER_DEVICE_HOUR, metavar="USD",
                   help=f"hourly price of the device measured, for the cost per million samples "
                        f"(default {DEFAULT_PRICE_PER_DEVICE_HOUR:.2f})")
    p.add_argument("--title", default=None, help="report title")
    p.set_defaults(func=run)


def _pdf_writer(report, path) -> None:
    # Qt stays out of the core and out of the other formats' start-up: import it only here.
    from studio.ui.report_pdf import write_pdf
    write_pdf(report, path)


def run(args) -> int:
    from studio.core.reports.export import report_format, write_report
    from studio.core.reports.inputs import assemble_report

    report_format(args.output)   # refuse an unknown extension before reading anything
    report = assemble_report(args.results, title=args.title, price_per_device_hour=args.price_per_device_hour)
    fmt = write_report(report, args.output, pdf_writer=_pdf_writer)
    parts = [f"{len(report.builds)} build(s)", f"{len(report.benchmarks)} benchmark(s)",
             f"{len(report.accuracy)} accuracy result(s)"]
    if report.sweep is not None:
        parts.append(f"a sweep of {len(report.sweep.runs)} configuration(s)"
                     + (" with its serving plan" if report.sweep.plan is not None else ""))
    if report.speedup and report.speedup.throughput_ratio:
        parts.append(f"best {report.speedup.throughput_ratio:.2f}x throughput")
    print(f"wrote {fmt.upper()} report {args.output}: " + ", ".join(parts))
    return 0
