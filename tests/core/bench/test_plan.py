"""Benchmark plans: the lists a person types, and the runs they make, for the window's panel and
`engine-studio bench` alike; the closed and open-loop plans run for real."""

import pytest

from studio.core.bench.harness import Bench, BenchConfig
from studio.core.bench.inputs import SyntheticFeed
from studio.core.bench.plan import describe, parse_counts, parse_rates, plan
from studio.core.errors import StudioError


def test_lists_are_read_as_typed_and_refused_with_the_field_named():
    assert parse_counts(" 1, 8,32 ", "--batch") == [1, 8, 32]
    assert parse_rates("50,100.5", "--qps-sweep") == [50.0, 100.5]
    with pytest.raises(StudioError, match=r"--batch '1,x': expected whole numbers separated by commas"):
        parse_counts("1,x", "--batch")
    with pytest.raises(StudioError, match=r"batch sizes '0': every value must be at least 1"):
        parse_counts("0", "batch sizes")
    with pytest.raises(StudioError, match=r"--qps-sweep '-5': every value must be more than 0"):
        parse_rates("-5", "--qps-sweep")
    with pytest.raises(StudioError, match="every value must be at least 1"):
        parse_counts("", "--batch")


def test_plans_nest_clients_batches_and_rates():
    base = BenchConfig(duration_s=1)
    closed = plan(base, batches=[1, 8], concurrencies=[1, 2])
    assert [(c.batch, c.concurrency, c.rate) for c in closed] == [(1, 1, None), (1, 2, None), (8, 1, None), (8, 2, None)]
    assert [describe(c) for c in closed] == ["b1", "b1 x2", "b8", "b8 x2"]
    open_loop = plan(base, batches=[1, 8], rates=[100, 200])
    assert [(c.batch, c.rate) for c in open_loop] == [(1, 100), (1, 200), (8, 100), (8, 200)]
    assert describe(open_loop[-1]) == "b8 200/s"
    dynamic = plan(BenchConfig(duration_s=1, max_batch=16), batches=[8], rates=[300])
    assert [(c.batch, c.rate, c.max_batch) for c in dynamic] == [(1, 300, 16)]   # the batcher makes the batches
    assert describe(dynamic[0]) == "300/s dyn<=16"
    with pytest.raises(StudioError, match="batch must be at least 1"):
        plan(base, batches=[0])


def test_a_plan_runs(ort_factory):
    r = ort_factory().activate()
    feed = SyntheticFeed(r.input_metadata())
    r.deactivate()
    runs = [Bench(ort_factory, feed, c).run()
            for c in plan(BenchConfig(duration_s=0.15, warmup_s=0.02), batches=[1, 8], concurrencies=[1, 2])]
    assert [(x.batch, x.concurrency) for x in runs] == [(1, 1), (1, 2), (8, 1), (8, 2)]
    assert all(x.requests > 0 for x in runs)
    rated = [Bench(ort_factory, feed, c).run()
             for c in plan(BenchConfig(duration_s=0.2, warmup_s=0.02), batches=[1], rates=[100, 300])]
    assert [x.load["offered_rate"] for x in rated] == [100, 300]
    assert rated[1].requests > rated[0].requests
