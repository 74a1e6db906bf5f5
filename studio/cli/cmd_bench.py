"""`engine-studio bench MODEL_OR_ENGINE`: benchmark an ONNX model (ONNX Runtime, as is), a model
built first (--backend/--precision, through the build job, cached under .cache/bench-builds),
or a built artifact (its sidecar names the backend). Closed loop over --batch x --concurrency,
or open loop at --qps (Poisson, or --trace) through the dynamic batcher (--max-batch,
--max-delay-ms); --qps-sweep and --p99-budget give the latency/throughput curve and the highest
rate under budget. Every configuration is measured as the window's Benchmark panel measures it
(studio.core.session's bench_sequence): in a child process here, or as a job on --cluster's
--target. --json prints {"runs": [{batch, concurrency, throughput, latency_ms{...}}]}."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

from studio.core.errors import StudioError

CACHE = Path(".cache") / "bench-builds"


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="benchmark a model or a built engine (latency, throughput, load patterns)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("model", metavar="MODEL_OR_ENGINE", nargs="?",
                   help=".onnx model, or a built artifact with its sidecar")
    p.add_argument("--import-trtexec", metavar="TIMES_JSON",
                   help="instead of running: import a trtexec --exportTimes file (GPU-server run) as results")
    p.add_argument("--import-profile", metavar="PROFILE_JSON", help="with --import-trtexec: its --exportProfile file")
    p.add_argument("--backend", help="build the .onnx first with this backend (tensorrt | onnxruntime)")
    p.add_argument("--precision", help="build the .onnx first at this precision (fp32 | fp16 | bf16 | int8 | fp8)")
    p.add_argument("--calib", metavar="FILE", help="calibration data for int8 builds (default: --data)")
    p.add_argument("--batch", default="1", metavar="LIST", help="batch sizes, e.g. 1,8,32 (default 1)")
    p.add_argument("--concurrency", default="1", metavar="LIST", help="concurrent clients, e.g. 1,4 (default 1)")
    p.add_argument("--duration", type=float, default=10.0, metavar="S", help="measured seconds per configuration")
    p.add_argument("--iterations", type=int, metavar="N", help="measured requests per configuration (instead of --duration)")
    p.add_argument("--passes", type=int, metavar="N",
                   help="closed loop: N whole passes over the inputs' batches per configuration (instead of --duration): "
                        "every build is timed on the same texts")
    p.add_argument("--warmup", type=float, default=1.0, metavar="S", help="warm-up seconds (default 1)")
    p.add_argument("--warmup-iters", type=int, metavar="N", help="warm-up requests instead of seconds")
    p.add_argument("--shared-session", action="store_true", help="clients share one session (default: one each)")
    p.add_argument("--qps", type=float, metavar="RATE", help="open loop: Poisson arrivals at RATE requests/s")
    p.add_argument("--trace", metavar="FILE", help="open loop: replay arrival times (JSON list or one per line, seconds)")
    p.add_argument("--max-batch", type=int, metavar="N", help="open loop: dynamic batcher's max batch")
    p.add_argument("--max-delay-ms", type=float, default=5.0, metavar="MS", help="dynamic batcher's max queue delay")
    p.add_argument("--qps-sweep", metavar="LIST", help="open loop at each rate, e.g. 50,100,200,400")
    p.add_argument("--p99-budget", type=float, metavar="MS", help="find the highest rate whose P99 stays under MS")
    p.add_argument("--data", metavar="FILE", help="inputs: .csv/.jsonl texts (tokenized) or .npz/.npy arrays; default synthetic")
    p.add_argument("--data-column", metavar="NAME", help="text column of the data file")
    p.add_argument("--seq-len", type=int, metavar="N", help="pad/truncate texts to N tokens (default: each text's own length)")
    p.add_argument("--tokenizer", metavar="FILE", help="tokenizer.json or a Hugging Face tokenizer folder (default: the one beside the model)")
    p.add_argument("--threads", type=int, metavar="N", help="ONNX Runtime intra-op threads per session")
    p.add_argument("--provider", help="ONNX Runtime provider: cpu | cuda (default cpu)")
    p.add_argument("--cluster", metavar="ADDRESS", help="run on a cluster's target instead of here: ray:HOST:PORT")
    p.add_argument("--target", metavar="NAME", help="with --cluster: the target machine (see `engine-studio targets`)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("-o", "--output", metavar="FILE", help="save the results JSON here")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)


def _say(args, msg: str) -> None:
    if not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def _code_fingerprint(backend: str) -> str:
    """A hash of the studio's and the backend package's Python sources, so a build cached before
    the pipeline changed is not benchmarked as if it were current (a developer's edit leaves the
    version as it was). ~100 small files: a few milliseconds."""
    import importlib.util

    from studio.core.backends.registry import backend_entry

    roots = [Path(__file__).resolve().parents[1]]
    entry = backend_entry(backend)
    spec = importlib.util.find_spec(entry.split(":")[0].split(".")[0]) if entry else None
    if spec is not None and spec.submodule_search_locations:
        roots += [Path(p) for p in spec.submodule_search_locations]
    h = hashlib.sha256()
    for root in roots:
        for f in sorted(root.rglob("*.py")):
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _build_first(args, model: Path) -> Path:
    """Build the .onnx with --backend/--precision through the build job; reuse a cached build
    of the same model file (path, size, mtime), settings and code (_code_fingerprint)."""
    from studio.cli.cmd_build import ProgressPrinter, config_from_argv
    from studio.core.backends.naming import default_output
    from studio.core.session import Session

    backend = args.backend or "onnxruntime"
    precision = (args.precision or "fp32").lower()
    st = model.stat()
    calib = args.calib or (args.data if precision in ("int8", "fp8") else None)
    key = (f"{model.resolve()}|{st.st_size}|{st.st_mtime_ns}|{backend}|{precision}|{calib}|{args.tokenizer}"
           f"|{_code_fingerprint(backend)}")
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    out = CACHE / default_output(Path(f"{model.stem}-{digest}.onnx"), backend, precision).name
    if out.exists() and out.with_name(out.name + ".json").exists():
        _say(args, f"using cached build {out}")
        return out
    argv = [str(model), "--backend", backend, "--precision", precision, "--output", str(out)]
    if calib:
        argv += ["--calib", str(calib)]
        if calib == args.data and args.data_column:
            argv += ["--calib-column", args.data_column]
    if args.tokenizer:
        argv += ["--tokenizer", str(args.tokenizer)]
    config = config_from_argv(argv)
    _say(args, f"building {model.name} with {backend} at {precision} -> {out}")
    Session().build(config, on_event=ProgressPrinter(quiet=args.quiet))
    return out


def profile_max_batch(sidecar: dict) -> int | None:
    """The largest batch every input profile admits (first dim), or None when unbounded."""
    maxes = []
    for p in sidecar.get("input_profiles") or []:
        try:
            maxes.append(int(p["max"][0]))
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return min(maxes) if maxes else None


def resolve_target(args):
    """The build to measure (a BuildEntry): the artifact its sidecar describes, the .onnx built
    first with --backend/--precision, or a plain .onnx run by ONNX Runtime as it is."""
    from studio.core.backends.base import sidecar_path
    from studio.core.jobs.build_job import BuildEntry

    path = Path(args.model)
    if not path.exists():
        raise StudioError("file not found", where=str(path))
    has_sidecar = sidecar_path(path).exists()
    if path.suffix.lower() == ".onnx" and not has_sidecar and (args.backend or args.precision):
        path = _build_first(args, path)
        has_sidecar = True
    if has_sidecar:
        entry = BuildEntry.from_sidecar(path)
        if args.backend and args.backend != entry.result.backend and Path(args.model) == path:
            raise StudioError(f"this artifact was built for {entry.result.backend}, not {args.backend}",
                              where=str(path))
        if not Path(entry.config.model).is_file():   # the source moved: feed the artifact's own inputs
            entry = replace(entry, config=replace(entry.config, model=entry.result.output))
        return entry
    if path.suffix.lower() != ".onnx":
        raise StudioError("not an .onnx model and no sidecar beside it: build it with Engine Studio first",
                          where=str(path))
    return BuildEntry.unbuilt(path, "onnxruntime")


def runner_options(entry, args) -> dict | None:
    if entry.result.backend == "onnxruntime":
        return {"threads": args.threads, "providers": [args.provider] if args.provider else None}
    if args.threads:
        raise StudioError("--threads applies to ONNX Runtime only")
    return None


def _import(args) -> int:
    from studio.cli.output import print_json
    from studio.core.backends.registry import get_backend
    from studio.core.bench.plan import parse_counts

    import_trtexec = get_backend("tensorrt").import_trtexec  # trtexec's files belong to TensorRT
    batch = parse_counts(args.batch, "--batch")
    if len(batch) != 1:
        raise StudioError("with --import-trtexec give the one --batch the engine ran at")
    res = import_trtexec(args.import_trtexec, args.import_profile, batch=batch[0], model=args.model or "",
                         precision=args.precision or "")
    if args.output:
        res.save(args.output)
    if args.json:
        print_json(res.to_dict())
    else:
        for r in res.runs:
            lm = r.latency_ms
            print(f"trtexec: {r.requests} queries, {r.throughput:.1f} samples/s, latency mean {lm.mean:.3f} "
                  f"p50 {lm.p50:.3f} p99 {lm.p99:.3f} ms; " + ", ".join(
                      f"{k} {v['mean']:.3f}" for k, v in r.timing_split.items()) + " ms mean")
        if res.layer_profile:
            print(f"layer profile: {len(res.layer_profile['layers'])} layers, "
                  f"{res.layer_profile['total_average_ms']:.3f} ms per run")
        if args.output:
            print(f"results: {args.output}")
    return 0


def run(args) -> int:
    from studio.cli.output import print_json, print_table
    from studio.core.backends.sidecar import load_sidecar
    from studio.core.bench import load as loadmod
    from studio.core.bench import rate_search
    from studio.core.bench.harness import BenchConfig
    from studio.core.bench.plan import parse_counts, parse_rates, plan
    from studio.core.bench.sequence import BenchRun
    from studio.core.session import Session

    if args.import_trtexec or args.import_profile:
        return _import(args)
    if not args.model:
        raise StudioError("give MODEL_OR_ENGINE (or --import-trtexec TIMES_JSON)")
    batches = parse_counts(args.batch, "--batch")
    concs = parse_counts(args.concurrency, "--concurrency")
    BenchConfig(duration_s=args.duration, iterations=args.iterations, passes=args.passes).validate()   # before a build
    if args.threads is not None and args.threads < 1:
        raise StudioError(f"--threads must be at least 1 (got {args.threads})")
    rates = parse_rates(args.qps_sweep, "--qps-sweep") if args.qps_sweep else None
    trace = loadmod.load_trace(args.trace) if args.trace else None
    if args.max_batch is not None and args.qps is None and trace is None and rates is None and args.p99_budget is None:
        raise StudioError("--max-batch is for open-loop runs: give --qps, --trace, --qps-sweep or --p99-budget")
    if args.p99_budget is not None and not args.p99_budget > 0:
        raise StudioError("--p99-budget must be more than 0 ms")
    if args.target and not args.cluster:
        raise StudioError("--target names a machine of a cluster: give --cluster too")

    session = Session()
    entry = session.add_build(resolve_target(args))
    artifact = entry.result.output
    sidecar = load_sidecar(artifact) if entry.result.sidecar else None
    max_rows = profile_max_batch(sidecar) if sidecar else None
    for b in batches + ([args.max_batch] if args.max_batch else []):
        if max_rows is not None and b > max_rows:
            raise StudioError(f"batch {b} is larger than the engine's optimization profile allows "
                              f"(max batch {max_rows}); rebuild with --shapes covering it", where=artifact)
    tokenizer = args.tokenizer
    if args.data and not tokenizer and Path(args.data).suffix.lower() not in (".npz", ".npy"):
        from studio.core.data.calibration import default_tokenizer

        tokenizer = default_tokenizer(Path(args.model)) or default_tokenizer(Path(entry.config.model))

    base = BenchConfig(duration_s=args.duration, iterations=args.iterations, passes=args.passes,
                       warmup_s=args.warmup, warmup_iters=args.warmup_iters, shared_runner=args.shared_session,
                       max_batch=args.max_batch, max_delay_ms=args.max_delay_ms, max_batch_rows=max_rows)
    base.validate()

    def progress(_run, r):
        lm = r.latency_ms
        _say(args, f"batch {r.batch:>3} x {r.concurrency} {r.load.get('pattern')}: {r.throughput:10.1f} samples/s  "
                   f"p50 {lm.p50:8.3f} ms  p99 {lm.p99:8.3f} ms  cv {r.cv:6.1%}")

    open_loop = args.qps is not None or trace is not None
    configs = []
    if trace is not None:
        configs += [replace(base, batch=b, concurrency=c, trace=trace)
                    for c in concs for b in (batches if not args.max_batch else [1])]
    elif args.qps is not None:
        configs += plan(base, batches=batches, concurrencies=concs, rates=[args.qps])
    if rates:
        configs += plan(base, batches=batches, concurrencies=concs, rates=rates)
    if not (open_loop or rates or args.p99_budget is not None):
        configs = plan(base, batches=batches, concurrencies=concs)

    # Every run in a child process here (a runtime that crashes costs the run, not the command),
    # or as a job on the cluster's target: the window's Benchmark panel runs the same sequence.
    notes = []
    with session.bench_sequence(data=args.data, seq_len=args.seq_len, tokenizer=tokenizer, column=args.data_column,
                                remote=(args.cluster, args.target) if args.cluster else None,
                                runner_options=runner_options(entry, args), on_result=progress) as seq:
        runs = [r for _, r in seq.run([BenchRun(entry, c) for c in configs])]
        if args.p99_budget is not None:
            start = args.qps or (rates[0] if rates else 10.0)
            search_base = replace(base, concurrency=concs[0], trace=None)
            search = rate_search.max_rate_under_p99(
                lambda q: seq.measure(BenchRun(entry, replace(search_base, rate=q))), args.p99_budget, start)
            runs += [t[3] for t in search.tried]
            notes.append({"p99_budget_search": search.to_dict()})
            _say(args, f"highest rate with P99 <= {args.p99_budget:g} ms: "
                       + (f"{search.best_rate:.1f} req/s" if search.best_rate else "none of the rates tried"))
    result = session.add_runs(entry, runs, inputs=seq.inputs_of(runs), runner=seq.runner(entry, shared=args.shared_session),
                              notes=notes, save=False)
    if args.output:
        result.save(args.output)
    if args.json:
        print_json(result.to_dict())
        return 0
    cs = result.runs[0].cold_start if result.runs else None
    if cs:
        print(f"cold start: load {cs['load_ms']:.1f} ms, session/context {cs['context_ms']:.1f} ms, "
              f"first inference {cs['first_infer_ms']:.2f} ms")
    rows = []
    for r in result.runs:
        lm = r.latency_ms
        load = r.load.get("pattern")
        if load == "open":
            load = f"open {r.load.get('offered_rate', 'trace')}"
        rows.append([r.batch, r.concurrency, load, f"{r.throughput:.1f}", f"{lm.mean:.3f}", f"{lm.p50:.3f}",
                     f"{lm.p90:.3f}", f"{lm.p95:.3f}", f"{lm.p99:.3f}", f"{lm.max:.3f}", f"{r.cv:.1%}",
                     f"{r.queue_ms.p50:.3f}" if r.queue_ms else "-"])
    print_table(rows, ["batch", "conc", "load", "samples/s", "mean", "p50", "p90", "p95", "p99", "max", "cv", "queue p50"])
    for r in result.runs:
        for w in r.warnings:
            print(f"warning (batch {r.batch} x {r.concurrency}): {w}", file=sys.stderr)
    if args.output:
        print(f"results: {args.output}")
    return 0
