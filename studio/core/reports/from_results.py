"""A Report from typed results in memory: the benchmark and accuracy results, the builds'
sidecars, the model's summary. Both ways to make a report end here: the application layer
hands over what the session holds, and studio.core.reports.inputs reads the user's files
first.

Every figure is coerced on the way in (results files can be hand-edited: a string where a number
belongs must not reach the renderers)."""

from __future__ import annotations

import math
import platform
from pathlib import Path

from studio import __version__
from studio.core.bench.inputs import describe_feed
from studio.core.bench.results import AccuracyResult, BenchResult
from studio.core.bench.sweep import SweepResult
from studio.core.errors import StudioError
from studio.core.reports.environment import collect_environment
from studio.core.reports.report_model import (
    DEFAULT_PRICE_PER_DEVICE_HOUR, AccuracyInfo, BenchInfo, CurvePoint, Environment, ModelInfo, Report,
    compute_speedup,
)


def as_number(v) -> float | None:
    """A finite float, or None for anything else (booleans, text, NaN)."""
    if isinstance(v, bool) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def as_int(v) -> int | None:
    f = as_number(v)
    return int(f) if f is not None else None


def as_text(v) -> str:
    return "" if v is None else str(v)


def describe_load(load) -> str:
    """Words for a results `load` dict: "closed loop, 4 clients", "open loop, Poisson 200 req/s"."""
    if not isinstance(load, dict):
        return as_text(load)
    if load.get("pattern") == "closed":
        n = load.get("clients")
        return f"closed loop, {n} client{'s' if n != 1 else ''}" if n is not None else "closed loop"
    if load.get("pattern") == "open":
        parts = ["open loop"]
        arr = load.get("arrivals")
        rate = as_number(load.get("offered_rate"))
        parts.append(f"{arr or ''} {rate:g} req/s".strip() if rate is not None else as_text(arr))
        db = load.get("dynamic_batcher")
        if isinstance(db, dict):
            parts.append(f"dynamic batcher max {db.get('max_batch')} / {db.get('max_delay_ms')} ms")
        return ", ".join(p for p in parts if p)
    return ", ".join(f"{k}={v}" for k, v in load.items())


def bench_from_results(res, source: str) -> BenchInfo:
    """One BenchResult (studio.core.bench.results): the run of highest throughput (samples/s)
    is the headline; with several runs (a sweep) they make the latency-vs-throughput curve."""
    runs = list(res.runs)
    artifact = res.artifact or res.model
    runner = res.runner if isinstance(res.runner, dict) else {}
    device = as_text(runner.get("device")) or ", ".join(map(str, runner.get("providers") or []))
    if not device:
        # A trtexec import ran on a GPU server; the host recorded is the machine that imported it.
        device = "GPU (imported from trtexec)" if res.source == "trtexec" else \
            as_text((res.host or {}).get("processor")) or as_text((res.host or {}).get("machine"))
    label = f"{Path(artifact).name} ({res.backend} {res.precision})"
    info = BenchInfo(label=label, artifact=as_text(artifact), backend=as_text(res.backend),
                     precision=as_text(res.precision), device=device, source=source,
                     inputs=describe_feed(res.inputs if isinstance(res.inputs, dict) else None),
                     warnings=[str(n) for n in res.notes])
    if not runs:
        info.warnings.append("the result holds no measured run")
        return info
    head = max(runs, key=lambda r: as_number(r.throughput) or 0.0)
    lat = head.latency_ms.to_dict()
    # Coerce every figure: results files can be hand-edited, and a string where a number belongs
    # must not reach the renderers.
    info.batch_size = as_int(head.batch)
    info.concurrency = as_int(head.concurrency)
    info.load_pattern = describe_load(head.load)
    info.requests = as_int(head.requests)
    info.duration_s = as_number(head.duration_s)
    info.throughput = as_number(head.throughput)
    info.requests_per_s = as_number(head.requests_per_s)
    info.latency_ms = {k: float(lat[k]) for k in ("min", "mean", "p50", "p90", "p95", "p99", "p99_9", "max")
                       if as_number(lat.get(k)) is not None}
    info.timing_split_ms = {k: float(v["mean"]) for k, v in (head.timing_split or {}).items()
                            if isinstance(v, dict) and as_number(v.get("mean")) is not None}
    if head.queue_ms is not None and as_number(head.queue_ms.mean) is not None:
        info.timing_split_ms["queue"] = float(head.queue_ms.mean)
    h = head.histogram or {}
    if isinstance(h, dict) and isinstance(h.get("counts"), list) and isinstance(h.get("edges"), list) \
            and len(h["edges"]) == len(h["counts"]) + 1:
        edges = [as_number(e) for e in h["edges"]]
        counts = [as_int(c) for c in h["counts"]]
        if None not in edges and None not in counts and all(c >= 0 for c in counts):
            info.histogram = {"edges_ms": edges, "counts": counts}
    info.cold_start_ms = {str(k): float(v) for k, v in (head.cold_start or {}).items()
                          if str(k).endswith("_ms") and as_number(v) is not None}
    info.warnings += [str(w) for w in head.warnings]
    if len(runs) > 1:
        info.curve = sorted((CurvePoint(as_number(r.throughput), as_number(r.latency_ms.p50), as_number(r.latency_ms.p99),
                                        f"batch {r.batch}, {describe_load(r.load)}")
                             for r in runs if as_number(r.throughput) is not None),
                            key=lambda p: p.throughput)
        info.label = f"{label}, best of {len(runs)} loads"
    return info


def accuracy_from_results(res, source: str) -> AccuracyInfo:
    """One AccuracyResult (fractions, as the report keeps them)."""
    outs = list(res.outputs)

    def over(attr, reduce=max):
        vals = [as_number(v) for v in (getattr(o, attr) for o in outs) if as_number(v) is not None]
        return reduce(vals) if vals else None

    flags = [str(a) for a in res.alarm] if isinstance(res.alarm, list) else []
    if res.flagged and as_number(res.accuracy_change) is not None:
        flags.append(f"accuracy changed {100 * as_number(res.accuracy_change):+.2f} points "
                     f"(threshold {100 * (as_number(res.threshold) or 0):g})")
    if as_int(res.nan_count) or as_int(res.inf_count):
        msg = f"{res.nan_count} NaN and {res.inf_count} Inf values in the outputs"
        if not any(msg in f for f in flags):
            flags.append(msg)
    return AccuracyInfo(
        label=f"{Path(res.build).name} ({res.precision})", artifact=as_text(res.build),
        precision=as_text(res.precision), reference=Path(as_text(res.reference)).name or "fp32",
        samples=as_int(res.samples), max_abs_error=as_number(res.max_abs_error) if as_number(res.max_abs_error) is not None
        else over("max_abs_error"),
        mean_abs_error=over("mean_abs_error"), max_rel_error=over("max_rel_error"),
        cosine_min=over("cosine_min", min), top1_agreement=as_number(res.top1_agreement),
        reference_accuracy=as_number(res.reference_accuracy), accuracy=as_number(res.accuracy),
        inputs=describe_feed(res.inputs if isinstance(res.inputs, dict) and res.inputs
                             else {"kind": "text", "source": res.data} if res.data else None),
        flags=flags, source=source, prediction=as_text(res.prediction) if res.predicted else None)


def report_from_results(*, model: ModelInfo | None = None, builds=(), runs: list[tuple[BenchResult, str]] = (),
                        accuracy: list[tuple[AccuracyResult, str]] = (), title: str | None = None,
                        price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR,
                        environment: Environment | None = None, model_from_onnx=None,
                        sweep: SweepResult | None = None) -> Report:
    """A Report from what is in memory: `builds` as BuildInfo, `runs` and `accuracy` as
    (result, where it is saved or came from), the latest sweep with its serving plan."""
    report = new_report(title, price_per_device_hour)
    report.sweep = sweep
    report.model = model
    report.builds.extend(builds)
    report.benchmarks.extend(bench_from_results(res, source) for res, source in runs)
    report.accuracy.extend(accuracy_from_results(res, source) for res, source in accuracy)
    hosts = [res.host for res, _ in [*runs, *accuracy]]
    return finish_report(report, model_from_onnx=model_from_onnx, environment=environment, hosts=hosts)


def new_report(title: str | None = None, price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR) -> Report:
    if price_per_device_hour is None or not math.isfinite(price_per_device_hour) or price_per_device_hour < 0:
        raise StudioError(f"price per device-hour must be a non-negative number, not {price_per_device_hour!r}")
    return Report(title=title or "Engine Studio report", studio_version=__version__,
                  price_per_device_hour=float(price_per_device_hour))


def finish_report(report: Report, *, model_from_onnx=None, environment: Environment | None = None,
                  measured_env: Environment | None = None, hosts: list | None = None) -> Report:
    """The parts every report computes once its inputs are in: the model summary from the builds'
    source when none was given (`model_from_onnx` summarizes it), the latency curves, the
    environment, a note when results came from other machines, and the speedup."""
    if report.model is None and model_from_onnx is not None:
        # The builds know their source model: summarize it when it is still there.
        for b in report.builds:
            m = as_text(b.config.get("model"))
            if m and Path(m).is_file() and Path(m).suffix.lower() == ".onnx":
                try:
                    report.model = model_from_onnx(Path(m))
                except StudioError:
                    continue
                report.notes.append(f"Model summary read from the builds' source model {m}.")
                break

    _fill_curves(report.benchmarks)
    env = environment or collect_environment()
    if measured_env is not None:
        # The result's own record of where it ran wins; fill its gaps from this machine.
        for k, v in env.libraries.items():
            measured_env.libraries.setdefault(k, v)
        env = measured_env
    report.environment = env
    other = sorted({as_text(h.get("node")) for h in hosts or () if isinstance(h, dict) and h.get("node")}
                   - {platform.node()})
    if other:
        report.notes.append(f"Some results were measured on another machine ({len(other)} host(s)); the "
                            f"environment section describes the machine that made this report.")
    report.speedup, notes = compute_speedup(report.benchmarks, report.price_per_device_hour)
    report.notes.extend(notes)
    if report.is_empty:
        raise StudioError("nothing to report: no model, build, benchmark or accuracy result given")
    return report


def _fill_curves(benchmarks: list[BenchInfo]) -> None:
    """Several runs of one artifact at different loads make its latency-vs-throughput curve."""
    groups: dict[tuple, list[BenchInfo]] = {}
    for b in benchmarks:
        groups.setdefault((b.artifact, b.backend, b.precision, b.device), []).append(b)
    for runs in groups.values():
        pts = [b for b in runs if b.throughput is not None and b.latency_ms]
        if len(pts) < 2:
            continue
        curve = sorted((CurvePoint(b.throughput, b.latency_ms.get("p50"), b.latency_ms.get("p99"),
                                   b.load_pattern or (f"{b.concurrency} clients" if b.concurrency else b.label))
                        for b in pts), key=lambda p: p.throughput)
        for b in runs:
            if not b.curve:
                b.curve = list(curve)
