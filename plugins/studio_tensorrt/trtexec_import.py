"""Import trtexec's JSON exports as studio results, so a run made on a GPU server can be opened
and compared here.

`--exportTimes=times.json` writes one object per inference (TensorRT 10: startEnqMs, endEnqMs,
startH2dMs, endH2dMs, startComputeMs, endComputeMs, startD2hMs, endD2hMs, h2dMs, computeMs,
d2hMs, latencyMs; TensorRT 7/8 spelled the copies startInMs/endInMs/inMs and
startOutMs/endOutMs/outMs and added endToEndMs). trtexec's "Latency" is H2D + compute + D2H of
one query; "Enqueue Time" is endEnq - startEnq; "Throughput" is queries over the host wall time
from the first query's start to the last one's end.

`--exportProfile=profile.json` writes `[{"count": N}, {"name", "timeMs", "averageMs",
"medianMs" (TensorRT >= 8.6), "percentage"}, ...]`: per-layer time over N profiled runs."""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.bench import stats
from studio.core.bench.results import BenchResult, RunResult
from studio.core.errors import DataError

# field in our split -> (TensorRT 10 key, TensorRT 7/8 key)
_INTERVALS = {"h2d": ("h2dMs", "inMs"), "compute": ("computeMs", "computeMs"), "d2h": ("d2hMs", "outMs")}
_STARTS = ("startEnqMs", "startH2dMs", "startInMs", "startComputeMs")
_ENDS = ("endD2hMs", "endOutMs", "endComputeMs")


def _read_json(path) -> object:
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("file not found", where=str(p)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"not a trtexec JSON export ({e})", where=str(p)) from None


def _first(rec: dict, keys) -> float | None:
    for k in keys:
        if k in rec:
            return float(rec[k])
    return None


def times_to_run(records: list, batch: int = 1, where: str = "") -> RunResult:
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise DataError("not a trtexec --exportTimes file (expected a JSON list of per-inference objects)",
                        where=where or None)
    if "count" in records[0] and len(records[0]) == 1:
        raise DataError("this is a trtexec --exportProfile file; import it as a profile", where=where or None)
    split: dict[str, list[float]] = {k: [] for k in (*_INTERVALS, "enqueue")}
    latency = []
    starts, ends = [], []
    for i, r in enumerate(records):
        parts = {}
        for key, names in _INTERVALS.items():
            v = _first(r, names)
            parts[key] = v
            if v is not None:
                split[key].append(v)
        if "startEnqMs" in r and "endEnqMs" in r:
            split["enqueue"].append(float(r["endEnqMs"]) - float(r["startEnqMs"]))
        lat = _first(r, ("latencyMs",))
        if lat is None:
            if any(v is None for v in parts.values()):
                raise DataError(f"inference {i} has no latencyMs and no h2d/compute/d2h times", where=where or None)
            lat = sum(parts.values())
        latency.append(lat)
        s, e = _first(r, _STARTS), _first(r, _ENDS)
        if s is not None and e is not None:
            starts.append(s)
            ends.append(e)
    span_s = (max(ends) - min(starts)) / 1e3 if starts else 0.0
    lat = stats.summarize(latency)
    warnings = []
    w = stats.cv_warning(lat)
    if w:
        warnings.append(w)
    gpu = stats.summarize(split["compute"]) if split["compute"] else None
    w = stats.cv_warning(gpu, "GPU compute time")
    if w:
        warnings.append(w)
    if split["enqueue"] and gpu is not None and stats.summarize(split["enqueue"]).mean > 0.8 * gpu.mean:
        warnings.append("enqueue time is close to GPU compute time: throughput may be bound by the host "
                        "(trtexec: try --useCudaGraph)")
    if not span_s:
        warnings.append("no start/end timestamps: throughput unknown")
    return RunResult(
        batch=batch, concurrency=1,
        throughput=stats.throughput(len(latency) * batch, span_s), requests_per_s=stats.throughput(len(latency), span_s),
        latency_ms=lat, requests=len(latency), samples=len(latency) * batch, duration_s=span_s, cv=lat.cv,
        load={"pattern": "trtexec", "note": "trtexec's own loop (streams/CUDA graphs as it was run)"},
        timing_split={k: stats.summarize(v).to_dict() for k, v in split.items() if v},
        histogram=stats.histogram(latency), warnings=warnings)


def profile_from_json(data, where: str = "") -> dict:
    if (not isinstance(data, list) or not data or not isinstance(data[0], dict) or "count" not in data[0]):
        raise DataError("not a trtexec --exportProfile file (expected [{\"count\": N}, {layer}, ...])",
                        where=where or None)
    layers = []
    for i, r in enumerate(data[1:], start=1):
        if not isinstance(r, dict) or "name" not in r or "averageMs" not in r:
            raise DataError(f"profile entry {i} has no name/averageMs", where=where or None)
        layers.append({"name": str(r["name"]), "time_ms": float(r.get("timeMs", 0.0)),
                       "average_ms": float(r["averageMs"]),
                       "median_ms": float(r["medianMs"]) if "medianMs" in r else None,
                       "percentage": float(r.get("percentage", 0.0))})
    total = sum(l["average_ms"] for l in layers)
    return {"runs": int(data[0]["count"]), "layers": layers, "total_average_ms": total,
            "top": [l["name"] for l in sorted(layers, key=lambda l: -l["average_ms"])[:10]]}


def import_trtexec(times: str | None = None, profile: str | None = None, batch: int = 1,
                   model: str = "", precision: str = "") -> BenchResult:
    """A BenchResult from trtexec exports (either or both)."""
    if times is None and profile is None:
        raise DataError("give a trtexec --exportTimes and/or --exportProfile file")
    res = BenchResult(model=model or str(times or profile), backend="tensorrt", precision=precision,
                      source="trtexec", runner={"name": "trtexec"})
    if times is not None:
        res.runs.append(times_to_run(_read_json(times), batch, where=str(times)))
        res.artifact = str(times)
    if profile is not None:
        res.layer_profile = profile_from_json(_read_json(profile), where=str(profile))
    return res
