"""A sweep: each precision built once per target, then every batch size x concurrency measured
there, the targets in parallel (one thread each; the jobs themselves run where the executor
puts them: a child process here, or a node of a cluster). One row per configuration and
target; with a peak rate and a P99 budget, a serving plan from the measured curves
(studio.core.bench.serving).

    req = SweepRequest(model, builds={"fp32": fp32_config, "int8": int8_config}, batches=[1, 8],
                       concurrencies=[1], out_dir="model-sweep")
    result = run_sweep(req, executor_for(cluster), on_run=print)
    print(result.to_dict())        # {"runs": [...], "failed": [...], "targets": [...]}"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from studio.core.backends.base import BuildConfig, BuildResult
from studio.core.bench.harness import BenchConfig
from studio.core.bench.inputs import declare_inputs
from studio.core.bench.isolated import bench_job, check_build_isolated, feed_spec
from studio.core.bench.results import RunResult
from studio.core.bench.serving import PlanResult, ServiceCurve, plan_serving
from studio.core.errors import Cancelled, StudioError
from studio.core.jobs.executor import Executor, Job, on_each, pick_targets
from studio.core.jobs.targets import Target
from studio.core.serde import Record, fields_to_dict


SWEEP_SCHEMA = "engine-studio/sweep"
SWEEP_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SweepRequest:
    model: str
    builds: dict[str, BuildConfig]       # precision -> how to build it (its output is set per target)
    batches: list[int]
    concurrencies: list[int]
    out_dir: str                         # builds land in OUT_DIR/<target>/
    targets: list[str] | None = None     # None: every target of the executor
    data: str | None = None              # benchmark inputs (and accuracy data with label_column)
    column: str | None = None
    label_column: str | None = None
    tokenizer: str | None = None
    seq_len: int | None = None
    duration_s: float = 10.0
    passes: int | None = None            # whole passes over the inputs instead of duration_s
    warmup_s: float = 1.0
    threads: int | None = None

    @property
    def backend(self) -> str:
        return next(iter(self.builds.values())).backend


@dataclass
class SweepRun(Record):
    target: str
    node: str
    backend: str
    precision: str
    build: str
    batch: int
    concurrency: int
    throughput: float                    # samples/s
    requests_per_s: float
    latency_ms: dict                     # p50, p90, p99, mean
    accuracy: dict | None = None         # {"metric", "value", "predicted"} of the build, when data was given


@dataclass
class SweepFailure(Record):
    target: str
    precision: str
    what: str                            # "build" | "batch 8 x 1" | "accuracy"
    error: str


@dataclass
class SweepResult(Record):
    runs: list[SweepRun] = field(default_factory=list)
    failed: list[SweepFailure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    plan: PlanResult | None = None

    def curves(self) -> list[ServiceCurve]:
        """Per target and build, P50/P99 by batch size at the lowest concurrency measured: the
        time one batch takes when it has the device to itself."""
        groups: dict[tuple[str, str, str], dict[int, tuple[float, float]]] = {}
        lowest = min((r.concurrency for r in self.runs), default=1)
        for r in self.runs:
            if r.concurrency == lowest:
                groups.setdefault((r.target, r.precision, r.build), {})[r.batch] = (
                    r.latency_ms["p50"], r.latency_ms["p99"])
        return [ServiceCurve(t, p, b, pts) for (t, p, b), pts in groups.items()]

    def pareto(self) -> list[SweepRun]:
        """Each target's Pareto front (studio.core.bench.sweep.pareto), target by target."""
        return [r for t in dict.fromkeys(r.target for r in self.runs)
                for r in pareto([x for x in self.runs if x.target == t])]

    def to_dict(self) -> dict:
        """What `sweep --json` prints and `sweep -o` saves (and a report reads back): each run
        marked when it is on its target's Pareto front, the plan's fields at the top level."""
        front = {id(r) for r in self.pareto()}
        d = fields_to_dict(self, runs=[{**r.to_dict(), "pareto": id(r) in front} for r in self.runs])
        plan = d.pop("plan")
        return {"schema": SWEEP_SCHEMA, "schema_version": SWEEP_SCHEMA_VERSION, "kind": "sweep", **d, **(plan or {})}

    @classmethod
    def from_dict(cls, d: dict, where: str | None = None) -> "SweepResult":
        if not isinstance(d, dict) or d.get("schema_version") != SWEEP_SCHEMA_VERSION or d.get("kind") != "sweep":
            version = d.get("schema_version") if isinstance(d, dict) else None
            raise StudioError(f"not a sweep result this studio reads (schema version {version!r})", where=where)
        result = super().from_dict({k: d[k] for k in ("runs", "failed", "targets", "inputs") if k in d}, where)
        if "peak_qps" in d:
            result.plan = PlanResult.from_dict(
                {k: d[k] for k in ("peak_qps", "p99_budget_ms", "plans", "unplanned") if k in d}, where)
        return result


def pareto(runs: list[SweepRun]) -> list[SweepRun]:
    """The runs no other run beats on both throughput (higher) and P99 (lower), by throughput:
    the configurations worth choosing between."""
    front = [r for r in runs if not any(
        o.throughput >= r.throughput and o.latency_ms["p99"] <= r.latency_ms["p99"]
        and (o.throughput > r.throughput or o.latency_ms["p99"] < r.latency_ms["p99"]) for o in runs)]
    return sorted(front, key=lambda r: r.throughput)


def billed_device(target: Target) -> str:
    """What a device-hour of this target is: its GPU, or its CPU when it has none."""
    if target.gpu:
        return target.gpu.get("name") or "GPU"
    return f"CPU ({target.cpu.get('model') or 'unknown model'}, {target.cpu.get('cores') or '?'} cores)"


def choose_targets(executor: Executor, names: list[str] | None, backend: str) -> list[Target]:
    """The targets asked for (None: all), each able to build and run `backend`; refuses an
    unknown name or one that cannot, saying why, before anything runs."""
    chosen = pick_targets(executor, names)
    usable = [t for t in chosen if t.can(backend, "build") and t.can(backend, "run")]
    if not usable:
        why = "; ".join(f"{t.name}: " + next((b.get("why_not") or "cannot" for b in t.backends if b["name"] == backend),
                                             f"no {backend} there") for t in chosen)
        raise StudioError(f"no target can build and run {backend}: {why}")
    if names is not None and len(usable) < len(chosen):
        bad = [t.name for t in chosen if t not in usable]
        raise StudioError(f"{', '.join(bad)} cannot build and run {backend}")
    return usable


def run_sweep(req: SweepRequest, executor: Executor, *, on_run: Callable[[SweepRun], None] | None = None,
              on_failure: Callable[[SweepFailure], None] | None = None,
              cancel: threading.Event | None = None) -> SweepResult:
    """Every configuration of `req` on every chosen target. A failed build or run is recorded
    with its reason and the rest goes on; a cancel stops every target and raises."""
    if not req.builds or not req.batches or not req.concurrencies:
        raise StudioError("a sweep needs at least one precision, batch size and concurrency")
    cancel = cancel or threading.Event()
    targets = choose_targets(executor, req.targets, req.backend)
    args, declared = declare_inputs(req.data, req.seq_len, req.tokenizer, req.column)
    feed = feed_spec(req.model, **args)
    result = SweepResult(targets=targets, inputs=declared)
    lock = threading.Lock()

    def record(item) -> None:
        with lock:
            (result.runs if isinstance(item, SweepRun) else result.failed).append(item)
        callback = on_run if isinstance(item, SweepRun) else on_failure
        if callback is not None:
            callback(item)

    def one_target(target: Target) -> None:
        for precision, template in req.builds.items():
            if cancel.is_set():
                return
            output = Path(req.out_dir) / target.name / Path(template.output).name
            config = replace(template, output=str(output))
            try:
                ran = executor.run(Job.build(config), target=target.name, cancel=cancel)
            except StudioError as e:
                if cancel.is_set():
                    return
                record(SweepFailure(target.name, precision, "build", str(e)))
                continue
            build = BuildResult(**ran.payload)
            accuracy = _accuracy(req, build, target, precision, record, cancel)
            for conc in req.concurrencies:
                for batch in req.batches:
                    if cancel.is_set():
                        return
                    config = BenchConfig(batch=batch, concurrency=conc, duration_s=req.duration_s,
                                         passes=req.passes, warmup_s=req.warmup_s)
                    job = bench_job(build.output, build.backend, feed, config,
                                    {"threads": req.threads} if req.threads else None)
                    try:
                        measured = executor.run(job, target=target.name, cancel=cancel)
                    except StudioError as e:
                        if cancel.is_set():
                            return
                        record(SweepFailure(target.name, precision, f"batch {batch} x {conc}", str(e)))
                        continue
                    run = RunResult.from_dict(measured.payload)
                    lm = run.latency_ms
                    record(SweepRun(target.name, measured.node, build.backend, precision, build.output, batch, conc,
                                    run.throughput, run.requests_per_s,
                                    {"p50": lm.p50, "p90": lm.p90, "p99": lm.p99, "mean": lm.mean}, accuracy))

    on_each(targets, one_target, name="sweep", cancel=cancel)
    if cancel.is_set():
        raise Cancelled("sweep cancelled: nothing was counted")
    order = {t.name: i for i, t in enumerate(targets)}
    prec = {p: i for i, p in enumerate(req.builds)}
    result.runs.sort(key=lambda r: (order[r.target], prec[r.precision], r.concurrency, r.batch))
    return result


def _accuracy(req: SweepRequest, build: BuildResult, target: Target, precision: str, record, cancel) -> dict | None:
    """The build's accuracy on the user's data: measured against its FP32 source where it runs
    here, predicted from its typed model where it cannot (a TensorRT engine without a GPU).
    Computed here, once per build: the figure depends on the engine, not on the node."""
    if not req.data:
        return None
    try:
        res = check_build_isolated(build.output, req.data, cancel=cancel, label_column=req.label_column,
                                   column=req.column, tokenizer=req.tokenizer, seq_len=req.seq_len)
    except StudioError as e:
        if not cancel.is_set():
            record(SweepFailure(target.name, precision, "accuracy", str(e)))
        return None
    if res.accuracy is not None:
        return {"metric": "accuracy", "value": res.accuracy, "predicted": bool(res.predicted)}
    return {"metric": "top1_agreement", "value": res.top1_agreement, "predicted": bool(res.predicted)}


def check_prices(prices: dict[str, float], targets: list[str]) -> None:
    unknown = sorted(set(prices) - set(targets))
    if unknown:
        raise StudioError(f"--price names {', '.join(unknown)}, not a target of this sweep ({', '.join(targets)})")


def with_plan(result: SweepResult, peak_qps: float, p99_ms: float, prices: dict[str, float],
              default_price: float) -> SweepResult:
    """The sweep with its serving plan (studio.core.bench.serving) for the peak."""
    check_prices(prices, [t.name for t in result.targets])
    devices = {t.name: billed_device(t) for t in result.targets}
    result.plan = plan_serving(result.curves(), peak_qps, p99_ms, prices, devices, default_price)
    return result
