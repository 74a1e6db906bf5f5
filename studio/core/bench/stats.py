"""Latency statistics with trtexec's vocabulary.

Percentiles use numpy's default (linear interpolation between closest ranks), so a figure can be
checked with `numpy.percentile` by anyone. The coefficient of variation is the population
standard deviation over the mean, as trtexec prints it ("coefficient of variance"), kept as a
fraction like every ratio the studio stores; above CV_WARN the run is noisy and the result says so."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.core.serde import Record

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}
CV_WARN = 0.025


@dataclass
class LatencyStats(Record):
    """Milliseconds over `count` measurements."""

    count: int
    mean: float
    min: float
    p50: float
    p90: float
    p95: float
    p99: float
    p99_9: float
    max: float
    std: float
    cv: float        # fraction

    @property
    def noisy(self) -> bool:
        return self.cv > CV_WARN


def summarize(values_ms) -> LatencyStats | None:
    a = np.asarray(values_ms, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return None
    pct = np.percentile(a, list(PERCENTILES.values()))
    mean = float(a.mean())
    std = float(a.std())
    return LatencyStats(count=int(a.size), mean=mean, min=float(a.min()),
                        **{k: float(v) for k, v in zip(PERCENTILES, pct)},
                        max=float(a.max()), std=std, cv=(std / mean) if mean > 0 else 0.0)


def throughput(samples: int, seconds: float) -> float:
    """Samples (rows, not requests) per second over a wall-clock window."""
    return samples / seconds if seconds > 0 else 0.0


def histogram(values_ms, bins: int = 40) -> dict:
    """Latency histogram for plots and reports: `edges` (bins+1) and `counts` (bins)."""
    a = np.asarray(values_ms, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return {"edges": [], "counts": []}
    lo, hi = float(a.min()), float(np.percentile(a, 99.9))
    if hi <= lo:
        hi = lo + 1e-6
    counts, edges = np.histogram(np.clip(a, lo, hi), bins=bins, range=(lo, hi))
    return {"edges": [round(float(e), 6) for e in edges], "counts": [int(c) for c in counts]}


def cv_warning(stats: LatencyStats | None, what: str = "latency") -> str | None:
    if stats is not None and stats.noisy:
        return (f"{what} is unstable: coefficient of variation {stats.cv:.1%} > {CV_WARN:.1%} "
                "(other load on the machine, too short a run, or thermal throttling)")
    return None
