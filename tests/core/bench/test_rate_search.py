import pytest

from studio.core.bench import stats
from studio.core.bench.harness import BenchConfig
from studio.core.bench.inputs import SyntheticFeed
from studio.core.bench.results import RunResult
from studio.core.bench.rate_search import max_rate_under_p99


def _queue_model(capacity: float, service_ms: float):
    """Latency of an M/M/1 queue: P99 = -ln(0.01) * 1/(mu - lambda); past capacity, overload.
    Stands for a served model so the search itself is checked exactly."""
    import math

    calls = []

    def run_at(rate):
        calls.append(rate)
        if rate >= capacity:
            p99, unfinished = 1e9, 10
        else:
            p99, unfinished = -math.log(0.01) * 1e3 / (capacity - rate) + service_ms, 0
        lat = stats.summarize([p99 / 2, p99])
        lat.p99 = p99
        return RunResult(batch=1, concurrency=1, throughput=rate, requests_per_s=rate, latency_ms=lat, requests=2,
                         samples=2, duration_s=1, cv=0, unfinished=unfinished)
    return run_at, calls


def test_max_rate_under_budget_brackets_the_true_limit():
    import math

    run_at, calls = _queue_model(capacity=1000.0, service_ms=2.0)
    budget = 50.0
    true_max = 1000.0 - (-math.log(0.01) * 1e3) / (budget - 2.0)     # ~904 req/s
    s = max_rate_under_p99(run_at, budget, start_rate=50, refine_steps=6)
    assert s.best_rate <= true_max
    assert s.best_rate > true_max - 800 / 2 ** 6 - 1       # bisection of the [800, 1600] bracket
    assert calls[:5] == [50, 100, 200, 400, 800]
    assert all(t[2] == (t[1] <= budget) for t in s.tried)


def test_max_rate_when_even_the_start_fails():
    run_at, _ = _queue_model(capacity=100.0, service_ms=1.0)
    s = max_rate_under_p99(run_at, 200.0, start_rate=500, refine_steps=5)
    assert s.best_rate is not None and s.best_rate < 100
