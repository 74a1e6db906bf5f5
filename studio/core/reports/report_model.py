"""The report as data: what one or more builds, benchmarks and accuracy checks say, assembled
from the files they left behind, before any renderer (HTML, PDF, JSON) sees it.

Every section is optional: a report of one build with no benchmark is still a report. The
shapes of the inputs belong to other modules (sidecars: studio.core.backends.sidecar; results:
studio.core.bench.results; model summary: studio.core.graph.summary; fused-graph stats:
studio.core.graph.fusion); `inputs.py` reads them into the plain records below."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from studio.core.bench.sweep import SweepResult
from studio.core.i18n import QT_TRANSLATE_NOOP, translate
from studio.core.pricing import DEFAULT_PRICE_PER_DEVICE_HOUR
from studio.core.serde import Record

REPORT_SCHEMA = "engine-studio/report"
REPORT_SCHEMA_VERSION = 2

# How each benchmark figure is defined, in trtexec's terms, so a reader can compare them with
# numbers from trtexec itself.
# Marked for lupdate; the renderers translate keys and texts when they show them.
METRIC_DEFINITIONS: dict[str, str] = {
    QT_TRANSLATE_NOOP("Report", "Throughput"): QT_TRANSLATE_NOOP(
        "Report", "Samples (texts classified) per second over the timed window. Requests per second = "
        "throughput / batch size; trtexec's 'Throughput' counts queries, that is requests."),
    QT_TRANSLATE_NOOP("Report", "Latency"): QT_TRANSLATE_NOOP(
        "Report", "Wall time of one request from submit to its outputs on the host (trtexec: "
        "'Latency' = H2D + GPU compute + D2H for one query)."),
    QT_TRANSLATE_NOOP("Report", "P50 / P90 / P95 / P99"): QT_TRANSLATE_NOOP(
        "Report", "Percentiles of per-request latency over the timed requests "
        "(trtexec reports the same percentiles of 'Latency')."),
    QT_TRANSLATE_NOOP("Report", "Enqueue time"): QT_TRANSLATE_NOOP(
        "Report", "Host time to enqueue the work (trtexec: 'Enqueue Time'); GPU backends only."),
    QT_TRANSLATE_NOOP("Report", "H2D / D2H latency"): QT_TRANSLATE_NOOP(
        "Report", "Host-to-device copy of inputs / device-to-host copy of outputs "
        "(trtexec: 'H2D Latency', 'D2H Latency'); GPU backends only."),
    QT_TRANSLATE_NOOP("Report", "GPU compute time"): QT_TRANSLATE_NOOP(
        "Report", "Device time of the enqueued work, measured with events (trtexec: 'GPU Compute Time')."),
    QT_TRANSLATE_NOOP("Report", "Cold start"): QT_TRANSLATE_NOOP(
        "Report", "Time before steady state: loading or deserializing the artifact, creating the "
        "session or execution context, and the first inference."),
    QT_TRANSLATE_NOOP("Report", "Warm-up"): QT_TRANSLATE_NOOP(
        "Report", "Requests run before timing starts; they are not counted (trtexec --warmUp)."),
}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class ReportTensor(Record):
    name: str
    dtype: str = ""
    shape: list = field(default_factory=list)    # ints, or str for symbolic dims


@dataclass
class ModelInfo(Record):
    name: str = ""
    path: str = ""
    inputs: list[ReportTensor] = field(default_factory=list)
    outputs: list[ReportTensor] = field(default_factory=list)
    parameters: int | None = None
    parameter_bytes: int | None = None
    nodes: int | None = None
    op_histogram: dict[str, int] = field(default_factory=dict)
    opsets: dict[str, int] = field(default_factory=dict)
    producer: str = ""


@dataclass
class Environment(Record):
    source: str = ""              # where these facts come from: "report machine", a result file
    cpu: str = ""
    cores: int | None = None
    gpu: str | None = None
    gpu_driver: str | None = None
    os: str = ""
    python: str = ""
    libraries: dict[str, str | None] = field(default_factory=dict)   # None = not installed


@dataclass
class FusionPattern(Record):
    pattern: str                   # e.g. "MatMul+Add+Relu"
    count: int = 0


@dataclass
class FusedLayer(Record):
    """One of the engine layers that absorbed the most ONNX nodes."""

    layer: str
    nodes: int = 0
    pattern: str = ""
    precision: str = ""


@dataclass
class BuildInfo(Record):
    label: str
    artifact: str = ""
    backend: str = ""
    precision: str = ""
    library: str = ""
    size_bytes: int | None = None
    build_seconds: float | None = None
    config: dict = field(default_factory=dict)
    layers_before: int | None = None      # ONNX nodes
    layers_after: int | None = None       # engine layers after fusion
    fusion_patterns: list[FusionPattern] = field(default_factory=list)
    precision_per_layer: dict[str, int] = field(default_factory=dict)   # precision -> layers
    fused_layers: list[FusedLayer] = field(default_factory=list)        # largest fusions first
    warnings: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class CurvePoint(Record):
    throughput: float              # samples/s
    p50_ms: float | None = None
    p99_ms: float | None = None
    label: str = ""                # the load that produced it: "4 clients", "200 req/s"


@dataclass
class BenchInfo(Record):
    label: str
    artifact: str = ""
    backend: str = ""
    precision: str = ""
    device: str = ""
    batch_size: int | None = None
    concurrency: int | None = None
    load_pattern: str = ""
    requests: int | None = None
    duration_s: float | None = None
    throughput: float | None = None            # samples/s (texts classified a second)
    requests_per_s: float | None = None        # requests a second: throughput / batch size
    latency_ms: dict[str, float] = field(default_factory=dict)   # min mean p50 p90 p95 p99 max
    timing_split_ms: dict[str, float] = field(default_factory=dict)  # h2d compute d2h enqueue
    histogram: dict = field(default_factory=dict)  # {"edges_ms": [...], "counts": [...]}
    curve: list[CurvePoint] = field(default_factory=list)
    cold_start_ms: dict[str, float] = field(default_factory=dict)  # load, context, first_infer
    inputs: str = ""                           # what the run was fed (studio.core.bench.inputs.describe_feed)
    warnings: list[str] = field(default_factory=list)
    source: str = ""


@dataclass
class AccuracyInfo(Record):
    label: str
    artifact: str = ""
    precision: str = ""
    reference: str = "fp32"
    samples: int | None = None
    max_abs_error: float | None = None
    mean_abs_error: float | None = None
    max_rel_error: float | None = None
    cosine_min: float | None = None
    top1_agreement: float | None = None     # fraction 0..1
    reference_accuracy: float | None = None  # accuracy of the FP32 reference on the labelled data, 0..1
    accuracy: float | None = None            # accuracy of this build on the same data, 0..1
    inputs: str = ""                         # the validation data and tokenizer it was scored on
    flags: list[str] = field(default_factory=list)
    source: str = ""
    prediction: str | None = None            # how the figures were predicted, when the build could not run

    @property
    def accuracy_change(self) -> float | None:
        if self.accuracy is None or self.reference_accuracy is None:
            return None
        return self.accuracy - self.reference_accuracy


@dataclass
class Speedup(Record):
    baseline: str                    # labels of the two benchmarks compared
    best: str
    baseline_precision: str = ""
    best_precision: str = ""
    baseline_throughput: float | None = None
    best_throughput: float | None = None
    throughput_ratio: float | None = None
    baseline_p99_ms: float | None = None
    best_p99_ms: float | None = None
    p99_saved_ms: float | None = None
    price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR
    priced_device: str = ""          # the device whose hour the price is for (a CPU is not a GPU)
    baseline_cost_per_million: float | None = None
    best_cost_per_million: float | None = None
    assumption: str = ""
    same_device: bool = True


@dataclass
class SourceFile(Record):
    path: str
    kind: str                        # model | build | benchmark | accuracy | sweep


@dataclass
class Report(Record):
    title: str = "Engine Studio report"
    created: str = field(default_factory=_now)
    studio_version: str = ""
    price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR
    model: ModelInfo | None = None
    environment: Environment | None = None
    builds: list[BuildInfo] = field(default_factory=list)
    benchmarks: list[BenchInfo] = field(default_factory=list)
    accuracy: list[AccuracyInfo] = field(default_factory=list)
    speedup: Speedup | None = None
    sweep: SweepResult | None = None          # a sweep over targets, with its serving plan if one was asked
    metric_definitions: dict[str, str] = field(default_factory=lambda: dict(METRIC_DEFINITIONS))
    sources: list[SourceFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schema: str = REPORT_SCHEMA
    schema_version: int = REPORT_SCHEMA_VERSION

    def to_dict(self) -> dict:
        d = super().to_dict()
        # Put the schema tag first so a reader (or a person) sees what the file is.
        # `kind` lets a results reader tell a report from bench or accuracy results.
        return {"schema": d.pop("schema"), "schema_version": d.pop("schema_version"), "kind": "report", **d}

    @property
    def is_empty(self) -> bool:
        return not (self.model or self.builds or self.benchmarks or self.accuracy or self.sweep)


# ----------------------------------------------------------------------------- the speedup story

def cost_per_million(throughput: float | None, price_per_hour: float) -> float | None:
    """Dollars per million samples (texts classified) for one device kept busy at `throughput`
    samples/s: what serving a million customer messages costs, whatever the batch size."""
    if not throughput or throughput <= 0:
        return None
    return price_per_hour / (throughput * 3600.0) * 1e6


def _is_fp32(b: BenchInfo) -> bool:
    return (b.precision or "").lower() in ("fp32", "float32", "")


def compute_speedup(benchmarks: list[BenchInfo], price_per_hour: float) -> tuple[Speedup | None, list[str]]:
    """Baseline (the FP32 run; the slowest one if several) vs the best run (highest throughput).

    Returns the comparison and notes that say what was assumed."""
    notes: list[str] = []
    runs = [b for b in benchmarks if b.throughput]
    if len(runs) < 2:
        return None, notes
    best = max(runs, key=lambda b: b.throughput)
    fp32 = [b for b in runs if _is_fp32(b) and b is not best]
    # Prefer an FP32 run of the same backend and device as the best one: a like-for-like change.
    same = [b for b in fp32 if b.backend == best.backend and b.device == best.device]
    pool = same or fp32
    if pool:
        baseline = min(pool, key=lambda b: b.throughput)
    else:
        baseline = min((b for b in runs if b is not best), key=lambda b: b.throughput)
        notes.append(translate("Report", "No FP32 benchmark besides the best run; the baseline is the slowest run "
                                         "({run}, {precision}).").format(
            run=baseline.label, precision=baseline.precision or translate("Report", "unknown precision")))
    same_device = baseline.device == best.device
    if not same_device:
        notes.append(translate("Report", "Baseline and best run used different devices ({baseline} vs {best}); "
                                         "the ratio mixes hardware and engine changes.").format(
            baseline=baseline.device or "?", best=best.device or "?"))
    p99_b = baseline.latency_ms.get("p99")
    p99_n = best.latency_ms.get("p99")
    sp = Speedup(
        baseline=baseline.label, best=best.label,
        baseline_precision=baseline.precision, best_precision=best.precision,
        baseline_throughput=baseline.throughput, best_throughput=best.throughput,
        throughput_ratio=best.throughput / baseline.throughput,
        baseline_p99_ms=p99_b, best_p99_ms=p99_n,
        p99_saved_ms=(p99_b - p99_n) if p99_b is not None and p99_n is not None else None,
        price_per_device_hour=price_per_hour,
        priced_device=best.device or "",
        baseline_cost_per_million=cost_per_million(baseline.throughput, price_per_hour),
        best_cost_per_million=cost_per_million(best.throughput, price_per_hour),
        assumption=translate("Report", "Cost assumes one device fully busy at the measured throughput, billed at "
                                       "${price:.2f} per device-hour of {device} (set with --price-per-device-hour); "
                                       "cost per million samples = price / (samples per second x 3600) x 10^6.").format(
            price=price_per_hour, device=best.device or translate("Report", "the device measured")),
        same_device=same_device,
    )
    return sp, notes
