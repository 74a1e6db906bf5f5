"""The highest offered rate that keeps P99 under a budget (the plans of fixed grids of batch
sizes, clients and rates are studio.core.bench.plan's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from studio.core.errors import StudioError


@dataclass
class RateSearch:
    budget_ms: float
    best_rate: float | None                      # highest offered rate meeting the budget
    best: object | None                          # its RunResult
    tried: list = field(default_factory=list)    # (rate, p99, met, RunResult)

    def to_dict(self) -> dict:
        return {"p99_budget_ms": self.budget_ms, "max_rate": self.best_rate,
                "tried": [{"rate": q, "p99_ms": p, "met": m} for q, p, m, _ in self.tried]}


def meets_budget(run, budget_ms: float) -> bool:
    """P99 within budget, and the backlog served (an overloaded queue only grows)."""
    return run.latency_ms.p99 <= budget_ms and not run.unfinished


def max_rate_under_p99(run_at: Callable[[float], object], budget_ms: float, start_rate: float,
                       growth: float = 2.0, refine_steps: int = 4, max_runs: int = 16) -> RateSearch:
    """Grow the offered rate geometrically from `start_rate` until P99 breaks the budget, then
    bisect between the last good and first bad rate. `run_at(rate)` returns a RunResult."""
    if budget_ms <= 0 or start_rate <= 0:
        raise StudioError("the P99 budget and the start rate must be positive")
    search = RateSearch(budget_ms, None, None)

    def probe(q):
        r = run_at(q)
        ok = meets_budget(r, budget_ms)
        search.tried.append((q, r.latency_ms.p99, ok, r))
        if ok and (search.best_rate is None or q > search.best_rate):
            search.best_rate, search.best = q, r
        return ok

    lo, hi, q = None, None, start_rate
    while len(search.tried) < max_runs:
        if probe(q):
            lo, q = q, q * growth
        else:
            hi = q
            break
    if hi is None:          # never broke the budget within max_runs
        return search
    if lo is None:          # even the start rate fails: bisect below it
        lo = 0.0
    for _ in range(refine_steps):
        if len(search.tried) >= max_runs:
            break
        q = (lo + hi) / 2
        if probe(q):
            lo = q
        else:
            hi = q
    return search
