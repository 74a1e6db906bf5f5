import json

import numpy as np
import pytest

from studio.core.bench.harness import Bench, BenchConfig
from studio.core.bench.inputs import SyntheticFeed
from studio.core.bench.load import load_trace, poisson_arrivals
from studio.core.errors import DataError


@pytest.fixture
def feed(ort_factory):
    r = ort_factory().activate()
    try:
        return SyntheticFeed(r.input_metadata(), n=64)
    finally:
        r.deactivate()


def test_poisson_arrivals_rate_and_spacing():
    t = np.array(poisson_arrivals(2000, 5.0, seed=3))
    assert abs(len(t) / 5.0 - 2000) < 2000 * 0.05
    gaps = np.diff(t)
    assert gaps.min() >= 0 and abs(gaps.mean() - 1 / 2000) < 0.05 / 2000 * 10
    assert abs(gaps.std() / gaps.mean() - 1.0) < 0.1        # exponential: cv = 1
    assert poisson_arrivals(2000, 5.0, seed=3) == list(t)  # seeded


def test_open_loop_reports_queue_apart_from_inference(ort_factory, feed):
    res = Bench(ort_factory, feed, BenchConfig(rate=400, duration_s=0.5, warmup_s=0.05)).run()
    assert res.load["pattern"] == "open" and res.load["offered_rate"] == 400
    assert 120 < res.requests < 300 and res.unfinished == 0
    assert res.queue_ms is not None and res.inference_ms is not None
    # end to end = queue + inference per request, so the means add up
    assert res.latency_ms.mean == pytest.approx(res.queue_ms.mean + res.inference_ms.mean, rel=1e-6)


def test_open_loop_dynamic_batcher_batches_a_burst(ort_factory, feed):
    burst = [0.0] * 40 + [0.2 + 0.001 * i for i in range(5)]
    res = Bench(ort_factory, feed, BenchConfig(trace=burst, max_batch=16, max_delay_ms=20, duration_s=0.3,
                                               warmup_s=0.02)).run()
    assert res.requests == 45 and res.samples == 45
    sizes = res.batch_sizes
    assert sum(k * v for k, v in sizes.items()) == 45
    assert sizes.get(16, 0) >= 2          # the burst leaves as full batches
    assert res.load["dynamic_batcher"] == {"max_batch": 16, "max_delay_ms": 20}
    assert max(sizes) <= 16


def test_overload_is_reported(ort_factory, feed):
    # 100,000 requests at once: even the tiny MLP (~50k requests/s on a quiet machine) cannot
    # serve them in the 0.02 s run + 0.05 s drain.
    trace = [0.0] * 100_000
    res = Bench(ort_factory, feed, BenchConfig(trace=trace, batch=32, duration_s=0.02, drain_s=0.05,
                                               warmup_s=0)).run()
    assert res.unfinished > 0 and res.requests + res.unfinished == 100_000
    assert any("offered rate exceeds" in w for w in res.warnings)


def test_load_trace_files(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("# sales peak\n10.0\n10.5\n\n11\n")
    assert load_trace(p) == [0.0, 0.5, 1.0]
    j = tmp_path / "t.json"
    j.write_text(json.dumps([1, 2, 4]))
    assert load_trace(j) == [0.0, 1.0, 3.0]
    p.write_text("1\nsoon\n")
    with pytest.raises(DataError, match=r"t.txt:2: not a time"):
        load_trace(p)
    p.write_text("2\n1\n")
    with pytest.raises(DataError, match="non-decreasing"):
        load_trace(p)
