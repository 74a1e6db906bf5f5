"""Schema-versioned benchmark and accuracy results: what the CLI prints with --json, what the
window plots and what the reports render. Results made by trtexec on a GPU server are imported
into the same shape (the TensorRT plugin's trtexec import), so runs can be compared here.

Metric definitions (trtexec's terms; every result carries them in its `definitions` field):

- latency: end-to-end time of one request as the caller sees it (host clock), in milliseconds.
  For trtexec imports it is trtexec's "Latency" = H2D + GPU compute + D2H of one query.
- h2d: host-to-device copy of the request's inputs (trtexec "H2D Latency").
- compute: GPU time of the enqueued work, measured with CUDA events around the enqueue
  (trtexec "GPU Compute Time").
- d2h: device-to-host copy of the outputs (trtexec "D2H Latency").
- enqueue: host time spent enqueueing the work (trtexec "Enqueue Time"); when it approaches
  compute, throughput is bound by the host, not the GPU.
- queue: in open-loop runs, time a request waited (arrival -> its batch starts inference);
  reported apart from inference so that batching delay is visible.
- inference: time the request's batch spent in the runner (start -> outputs on host).
- throughput: samples (rows, batch x requests) per second over the measured wall-clock window;
  `requests_per_s` is trtexec's "Throughput" in queries per second.
- percentiles: numpy linear interpolation; cv = population std / mean (trtexec's "coefficient of
  variance"); a cv above 0.025 is flagged as an unstable measurement.
- cold_start: load (read/deserialize), context (session / execution context creation) and the
  first inference, measured before warm-up and excluded from the steady-state figures.

Units, one convention for every JSON file the studio writes: times are in milliseconds (names end
in `_ms`, or sit under a `*_ms` key) or seconds (`_s`); every ratio (accuracy, agreement, cv, a
change of accuracy, a threshold) is a fraction between 0 and 1, never a percentage. Only text meant
for people shows percent. Files written by schema version 1, which held accuracies, changes,
thresholds and cv in percent, are converted when read (`upgrade`).
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.bench.stats import LatencyStats
from studio.core.errors import StudioError
from studio.core.io import write_json_atomic
from studio.core.serde import Record

SCHEMA_VERSION = 2

DEFINITIONS = {
    "latency": "end-to-end time of one request on the host clock (ms); trtexec imports: H2D + GPU compute + D2H",
    "h2d": "host-to-device copy of the inputs (trtexec 'H2D Latency', ms)",
    "compute": "GPU time of the enqueued work, CUDA events around the enqueue (trtexec 'GPU Compute Time', ms)",
    "d2h": "device-to-host copy of the outputs (trtexec 'D2H Latency', ms)",
    "enqueue": "host time to enqueue the work (trtexec 'Enqueue Time', ms)",
    "queue": "open loop: arrival -> the request's batch starts inference (ms)",
    "inference": "open loop: the batch's time in the runner (ms)",
    "throughput": "samples (batch rows) per second over the measured window",
    "requests_per_s": "requests (queries) per second over the measured window (trtexec 'Throughput')",
    "percentiles": "numpy linear interpolation over per-request latencies",
    "cv": "coefficient of variation = population std / mean, a fraction; > 0.025 flagged",
    "cold_start": "load + context/session creation + first inference, before warm-up (ms)",
    "top1_agreement": "fraction of samples whose argmax over the last axis matches the FP32 reference",
    "cosine": "cosine similarity per sample between build and reference outputs",
    "accuracy": "fraction of labelled samples whose top-1 class is their label",
    "reference_accuracy": "the same fraction for the FP32 reference",
    "accuracy_change": "accuracy - reference_accuracy, a fraction (-0.01 = one point lost)",
    "threshold": "largest drop of accuracy tolerated before the build is flagged, a fraction",
}


def _host() -> dict:
    return {"machine": platform.machine(), "system": platform.system(), "python": platform.python_version(),
            "processor": platform.processor() or "", "node": platform.node()}


@dataclass
class RunResult(Record):
    """One configuration (batch x concurrency x load pattern)."""

    batch: int
    concurrency: int
    throughput: float                          # samples / s
    requests_per_s: float
    latency_ms: LatencyStats
    requests: int
    samples: int
    duration_s: float
    cv: float
    load: dict = field(default_factory=lambda: {"pattern": "closed"})
    timing_split: dict = field(default_factory=dict)   # h2d/compute/d2h/enqueue -> LatencyStats dict
    queue_ms: LatencyStats | None = None
    inference_ms: LatencyStats | None = None
    cold_start: dict | None = None
    histogram: dict = field(default_factory=dict)
    batch_sizes: dict[int, int] = field(default_factory=dict)    # formed batch size -> count (dynamic batcher)
    unfinished: int = 0                                # open loop: arrivals not served by the end
    stopped_early: bool = False
    warnings: list = field(default_factory=list)
    feed: dict | None = None     # what the run was fed, as its feed describes itself (samples, lengths)


@dataclass
class BenchResult(Record):
    model: str
    backend: str
    precision: str
    runs: list[RunResult] = field(default_factory=list)
    artifact: str | None = None
    runner: dict = field(default_factory=dict)     # name, threads, providers, library
    inputs: dict = field(default_factory=dict)     # feed description (data file, seq-len, lengths)
    source: str = "engine-studio"                  # or "trtexec"
    created: float = field(default_factory=time.time)
    host: dict = field(default_factory=_host)
    notes: list = field(default_factory=list)
    layer_profile: dict | None = None              # per-layer times (trtexec --exportProfile)
    definitions: dict = field(default_factory=lambda: dict(DEFINITIONS))
    schema_version: int = SCHEMA_VERSION
    kind: str = "bench"

    def save(self, path) -> None:
        save(self, path)


@dataclass
class OutputComparison(Record):
    """One output tensor, build vs FP32 reference, over all samples."""

    name: str
    shape: list
    max_abs_error: float
    mean_abs_error: float
    max_rel_error: float
    mean_rel_error: float
    cosine_mean: float
    cosine_min: float
    nan_count: int
    inf_count: int
    top1_agreement: float | None = None       # outputs of rank >= 2 only


@dataclass
class AccuracyResult(Record):
    build: str
    reference: str
    backend: str
    precision: str
    samples: int
    outputs: list[OutputComparison] = field(default_factory=list)
    top1_agreement: float | None = None
    max_abs_error: float = 0.0
    nan_count: int = 0
    inf_count: int = 0
    alarm: list = field(default_factory=list)         # reasons the result must not be trusted (NaN/Inf)
    accuracy: float | None = None                     # fraction 0-1
    reference_accuracy: float | None = None           # fraction 0-1
    accuracy_change: float | None = None              # fraction, accuracy - reference_accuracy
    threshold: float = 0.01                           # drop tolerated, fraction
    flagged: bool = False
    label_column: str | None = None
    data: str | None = None
    inputs: dict = field(default_factory=dict)     # feed description (data file, tokenizer, lengths)
    # True when the build could not run here and its outputs were predicted from a CPU run of
    # the typed model it was compiled from; `prediction` says so and what that cannot see.
    predicted: bool = False
    prediction: str | None = None
    created: float = field(default_factory=time.time)
    host: dict = field(default_factory=_host)
    definitions: dict = field(default_factory=lambda: dict(DEFINITIONS))
    schema_version: int = SCHEMA_VERSION
    kind: str = "accuracy"

    def save(self, path) -> None:
        save(self, path)


_KINDS = {"bench": BenchResult, "accuracy": AccuracyResult}


def save(result, path) -> None:
    """Atomic: a reader sees the previous file or the whole new one."""
    write_json_atomic(path, _finite(result.to_dict()))


def _finite(obj):
    # JSON has no NaN/Inf; a NaN in a metric becomes null rather than an invalid file.
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _percent_to_fraction(d: dict, keys) -> None:
    for k in keys:
        if isinstance(d.get(k), (int, float)):
            d[k] = d[k] / 100.0


def _upgrade_v1(d: dict) -> dict:
    """Version 1 held accuracies, their change, the threshold and every cv in percent."""
    if d.get("kind") == "accuracy":
        _percent_to_fraction(d, ("accuracy", "reference_accuracy", "accuracy_change", "threshold"))
    for run in d.get("runs") or []:
        if not isinstance(run, dict):
            continue
        _percent_to_fraction(run, ("cv",))
        for k in ("latency_ms", "queue_ms", "inference_ms"):
            if isinstance(run.get(k), dict):
                _percent_to_fraction(run[k], ("cv",))
        for split in (run.get("timing_split") or {}).values():
            if isinstance(split, dict):
                _percent_to_fraction(split, ("cv",))
    if "definitions" in d:
        d["definitions"] = dict(DEFINITIONS)
    return d


# schema version -> the function that brings a document of that version one version up
_UPGRADES = {1: _upgrade_v1}


def upgrade(d: dict) -> dict:
    """A results document of any version this studio reads, in the current version's units."""
    d = dict(d)
    while d.get("schema_version") in _UPGRADES:
        d = _UPGRADES[d["schema_version"]](d)
        d["schema_version"] += 1
    return d


def from_dict(d: dict, where: str = "results"):
    if not isinstance(d, dict) or "schema_version" not in d or "kind" not in d:
        raise StudioError("not an Engine Studio results file (no schema_version/kind)", where=where)
    if d["kind"] == "report":
        # Reports sit above results (they are made from them) and have a reader of their own.
        raise StudioError("a report, not bench or accuracy results", where=where)
    if d["schema_version"] not in _UPGRADES and d["schema_version"] != SCHEMA_VERSION:
        raise StudioError(f"results schema version {d['schema_version']} is not supported "
                          f"(this studio reads versions {', '.join(map(str, sorted(_UPGRADES)))} "
                          f"and {SCHEMA_VERSION})", where=where)
    d = upgrade(d)
    cls = _KINDS.get(d["kind"])
    if cls is None:
        raise StudioError(f"unknown results kind {d['kind']!r}", where=where)
    return cls.from_dict(d, where=where)


def load(path):
    """BenchResult or AccuracyResult, after checking the schema version."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudioError("results file not found", where=str(p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StudioError(f"results file is not valid JSON ({e})", where=str(p)) from None
    return from_dict(d, where=str(p))
