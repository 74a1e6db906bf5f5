"""`engine-studio sweep MODEL --precisions fp16,int8 --batch 1,8,32 --concurrency 1,4 --targets all
[--cluster ray:HOST:PORT] [--data val.csv] [--peak-qps 5000 --p99-ms 200 --price T4=0.35,L4=0.8]
[--json]`: each precision built once per target, every batch size x concurrency measured there,
the targets in parallel; with --peak-qps and --p99-ms, the serving plan for that peak (which
build, batching window and how many devices of which target, at what cost). --json prints
{"runs": [...], "failed": [...], "targets": [...]} and, with a peak, "plan" and "plans"."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from studio.core.errors import StudioError


def add_parser(sub) -> None:
    from studio.cli.cmd_build import add_calibration_arguments

    p = sub.add_parser("sweep", help="precisions x batch sizes x concurrencies on each target, and a serving plan",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("model", metavar="MODEL", help="the ONNX model")
    p.add_argument("--precisions", default="fp32", metavar="LIST", help="e.g. fp16,int8 (default fp32)")
    p.add_argument("--backend", help="the backend to build and run with (default: the first one every target runs)")
    p.add_argument("--batch", default="1", metavar="LIST", help="batch sizes, e.g. 1,8,32 (default 1)")
    p.add_argument("--concurrency", default="1", metavar="LIST", help="concurrent clients, e.g. 1,4 (default 1)")
    p.add_argument("--targets", default="all", metavar="LIST", help="target names (see `engine-studio targets`) or all")
    p.add_argument("--cluster", metavar="ADDRESS", help="a cluster: ray:HOST:PORT (default: this machine)")
    p.add_argument("--duration", type=float, default=10.0, metavar="S", help="measured seconds per configuration")
    p.add_argument("--passes", type=int, metavar="N",
                   help="N whole passes over the inputs' batches per configuration (instead of --duration): "
                        "every build is timed on the same texts")
    p.add_argument("--warmup", type=float, default=1.0, metavar="S", help="warm-up seconds (default 1)")
    p.add_argument("--data", metavar="FILE", help="inputs: .csv/.jsonl texts or .npz arrays (default synthetic); "
                                                 "each build's accuracy is checked on it too")
    p.add_argument("--data-column", metavar="NAME", help="text column of the data file")
    p.add_argument("--label-column", metavar="NAME", help="label column: accuracy instead of top-1 agreement")
    p.add_argument("--seq-len", type=int, metavar="N", help="pad/truncate texts to N tokens")
    p.add_argument("--tokenizer", metavar="FILE", help="tokenizer.json or folder (default: the one beside the model)")
    p.add_argument("--threads", type=int, metavar="N", help="ONNX Runtime intra-op threads per session")
    add_calibration_arguments(p)
    p.add_argument("--shapes", action="append", default=[], metavar="NAME:MIN,OPT,MAX",
                   help="profile of one dynamic input (as `engine-studio build`)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a backend build option")
    p.add_argument("--out-dir", metavar="DIR", help="where the builds go, a folder per target (default MODEL_STEM-sweep/ "
                                                    "beside the model)")
    p.add_argument("--peak-qps", type=float, metavar="RATE", help="plan serving for this peak (requests/s)")
    p.add_argument("--p99-ms", type=float, metavar="MS", help="the P99 budget of the plan")
    p.add_argument("--price", metavar="LIST", help="dollars per device-hour by target, e.g. T4=0.35,L4=0.8 "
                                                   "(default: the report's price for each)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("-o", "--output", metavar="FILE", help="save the result JSON here")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def _build_configs(args, backend: str, precisions: list[str]) -> dict:
    from studio.cli.cmd_build import config_from_argv

    configs = {}
    for precision in precisions:
        argv = [args.model, "--backend", backend, "--precision", precision]
        for flag, value in (("--calib", args.calib), ("--calib-column", args.calib_column),
                            ("--calib-label-column", args.calib_label_column), ("--tokenizer", args.tokenizer)):
            if value:
                argv += [flag, str(value)]
        argv += ["--calib-samples", str(args.calib_samples), "--calib-method", args.calib_method]
        for s in args.shapes:
            argv += ["--shapes", s]
        for o in args.option:
            argv += ["--option", o]
        configs[precision] = config_from_argv(argv)
        if precision in ("int8", "fp8") and configs[precision].calibration is None:
            raise StudioError(f"{precision} needs calibration data: give --calib FILE")
    return configs


def _backend(args, executor) -> str:
    if args.backend:
        return args.backend
    targets = executor.targets()
    names = None if args.targets == "all" else set(_names(args.targets))
    chosen = [t for t in targets if names is None or t.name in names] or targets
    for b in chosen[0].backends:
        if all(t.can(b["name"], "build") and t.can(b["name"], "run") for t in chosen):
            return b["name"]
    raise StudioError("no backend builds and runs on every target chosen: give --backend, or fewer --targets")


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def run(args) -> int:
    from studio.cli.output import print_json, print_table
    from studio.core.backends.base import Precision
    from studio.core.bench.harness import BenchConfig
    from studio.core.bench.plan import parse_counts
    from studio.core.bench.serving import parse_prices
    from studio.core.bench.sweep import SweepRequest, check_prices, choose_targets
    from studio.core.data.calibration import default_tokenizer
    from studio.core.io import write_text_atomic
    from studio.core.jobs.executor import executor_for
    from studio.core.pricing import DEFAULT_PRICE_PER_DEVICE_HOUR
    from studio.core.session import Session

    model = Path(args.model)
    if not model.is_file():
        raise StudioError("model file not found", where=str(model))
    precisions = [Precision.parse(p).value for p in _names(args.precisions)]
    if not precisions:
        raise StudioError("--precisions names none")
    batches = parse_counts(args.batch, "--batch")
    concs = parse_counts(args.concurrency, "--concurrency")
    BenchConfig(duration_s=args.duration, passes=args.passes).validate()   # before anything is built
    if (args.peak_qps is None) != (args.p99_ms is None):
        raise StudioError("a serving plan needs both --peak-qps and --p99-ms")
    prices = parse_prices(args.price)
    if prices and args.peak_qps is None:
        raise StudioError("--price is for a serving plan: give --peak-qps and --p99-ms too")
    tokenizer = args.tokenizer
    if args.data and not tokenizer and not args.data.lower().endswith((".npz", ".npy")):
        tokenizer = default_tokenizer(model)
        if tokenizer is None:
            raise StudioError("text data needs a tokenizer: pass --tokenizer tokenizer.json", where=args.data)
    args.tokenizer = tokenizer
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    executor = executor_for(args.cluster)
    try:
        backend = _backend(args, executor)
        check_prices(prices, [t.name for t in choose_targets(
            executor, None if args.targets == "all" else _names(args.targets), backend)])
        req = SweepRequest(
            model=str(model), builds=_build_configs(args, backend, precisions), batches=batches,
            concurrencies=concs, out_dir=args.out_dir or str(model.with_name(f"{model.stem}-sweep")),
            targets=None if args.targets == "all" else _names(args.targets), data=args.data,
            column=args.data_column, label_column=args.label_column, tokenizer=tokenizer, seq_len=args.seq_len,
            duration_s=args.duration, passes=args.passes, warmup_s=args.warmup, threads=args.threads)
        cancel = threading.Event()
        try:
            result = Session().sweep(
                req, executor, peak=(args.peak_qps, args.p99_ms) if args.peak_qps is not None else None,
                prices=prices, default_price=DEFAULT_PRICE_PER_DEVICE_HOUR, cancel=cancel,
                on_run=lambda r: say(
                    f"{r.target} {r.precision} batch {r.batch} x {r.concurrency}: {r.throughput:.1f} samples/s, "
                    f"p50 {r.latency_ms['p50']:.2f} ms, p99 {r.latency_ms['p99']:.2f} ms"),
                on_failure=lambda f: say(f"{f.target} {f.precision} {f.what} failed: {f.error}"))
        except KeyboardInterrupt:
            cancel.set()
            raise
    finally:
        executor.close()
    data = result.to_dict()
    if args.output:
        import json
        write_text_atomic(args.output, json.dumps(data, indent=2) + "\n")
    if args.json:
        print_json(data)
        return 0 if result.runs else 2
    rows = []
    front = {id(r) for r in result.pareto()}
    for r in result.runs:
        acc = r.accuracy
        rows.append(["*" if id(r) in front else "", r.target, r.precision, r.batch, r.concurrency, f"{r.throughput:.1f}",
                     f"{r.latency_ms['p50']:.2f}", f"{r.latency_ms['p99']:.2f}",
                     "-" if acc is None else ("" if acc["metric"] == "accuracy" else "agreement ") + f"{acc['value']:.2%}" + (" (predicted)" if acc["predicted"] else "")])
    print_table(rows, ["pareto", "target", "precision", "batch", "conc", "samples/s", "p50 ms", "p99 ms", "accuracy"])
    for f in result.failed:
        print(f"failed: {f.target} {f.precision} {f.what}: {f.error}", file=sys.stderr)
    plan = result.plan
    if plan is not None:
        print(f"\nserving plan: {plan.peak_qps:g} requests/s with P99 <= {plan.p99_budget_ms:g} ms")
        print_table([[p.target, p.precision, p.max_batch, f"{p.max_delay_ms:g}", p.devices, f"{p.p99_ms:.1f}",
                      f"{p.cost_per_hour:.2f}", f"{p.cost_per_million:.3f}", p.device] for p in plan.plans],
                    ["target", "precision", "max batch", "delay ms", "devices", "p99 ms", "$/hour", "$/M requests",
                     "billed device"])
        for target, why in plan.unplanned.items():
            print(f"no plan for {target}: {why}")
        best = plan.cheapest
        if best is not None:
            print(f"cheapest: {best.devices} x {best.target} ({best.device}) with {best.precision}, max batch "
                  f"{best.max_batch}, window {best.max_delay_ms:g} ms: ${best.cost_per_hour:.2f}/hour")
    if args.output:
        print(f"results: {args.output}")
    return 0 if result.runs else 2
