"""The serving plan: measured service curves, the dynamic batcher simulated in front of one
device, the fewest devices that hold the P99 budget at the peak, and the cheapest target."""

import pytest

from studio.core.bench.serving import (ServiceCurve, max_rate, parse_prices, plan_serving, plan_target,
                                       simulate_p99)
from studio.core.errors import StudioError

# shaped like a small encoder on a GPU: a batch of 32 costs ~5x a batch of 1
T4 = ServiceCurve("t4", "int8", "m.int8.engine", {1: (2.0, 2.6), 8: (4.0, 5.2), 32: (10.0, 13.0)})
L4 = ServiceCurve("l4", "fp16", "m.fp16.engine", {1: (1.0, 1.3), 8: (2.0, 2.6), 32: (5.0, 6.5)})


def test_service_time_is_interpolated_by_rows():
    assert T4.at(1) == (2.0, 2.6) and T4.at(8) == (4.0, 5.2)
    p50, p99 = T4.at(20)
    assert p50 == pytest.approx(7.0) and p99 == pytest.approx(9.1)
    assert T4.at(64) == pytest.approx((20.0, 26.0))          # beyond the measured range: linear in rows
    with pytest.raises(StudioError, match="no measured batch sizes"):
        ServiceCurve("t", "fp32", "b", {})


def test_simulation_is_deterministic_and_queues_grow_with_the_rate():
    slow = simulate_p99(T4, 2.0, 1, 0.0)
    assert slow == simulate_p99(T4, 2.0, 1, 0.0)
    # a trickle: each request alone on the device, so P99 is about the service time's own P99
    assert 2.0 <= slow <= 2.6 * 1.3
    busy = simulate_p99(T4, 450.0, 1, 0.0)                   # 90 % of batch 1's capacity
    assert busy > 3 * slow
    # batching absorbs the same rate: the device never waits behind a queue of single requests
    assert simulate_p99(T4, 450.0, 32, 5.0) < busy


def test_the_highest_rate_under_budget_meets_it_and_a_little_more_does_not():
    rate, p99 = max_rate(T4, 32, 5.0, 50.0)
    assert p99 <= 50.0
    assert simulate_p99(T4, rate * 1.15, 32, 5.0) > 50.0
    assert max_rate(T4, 1, 0.0, 2.0) is None                  # batch 1 alone takes longer than the budget


def test_a_tighter_budget_needs_more_devices():
    loose = plan_target([T4], 5000.0, 200.0, 0.35, "Tesla T4")
    tight = plan_target([T4], 5000.0, 15.0, 0.35, "Tesla T4")
    assert loose.devices < tight.devices
    for plan, budget in ((loose, 200.0), (tight, 15.0)):
        assert plan.p99_ms <= budget
        assert plan.rate_per_device * plan.devices == pytest.approx(5000.0)
        assert plan.cost_per_hour == pytest.approx(plan.devices * 0.35)
        assert plan.cost_per_million == pytest.approx(plan.cost_per_hour / (5000 * 3600) * 1e6)
        # what one device is asked to carry, it carries within budget
        assert simulate_p99(T4, plan.rate_per_device, plan.max_batch, plan.max_delay_ms) <= budget


def test_the_cheapest_target_wins_and_each_target_gets_a_plan():
    result = plan_serving([T4, L4], 5000.0, 200.0, {"t4": 0.35, "l4": 0.8}, {"t4": "Tesla T4", "l4": "NVIDIA L4"},
                          default_price=2.5)
    plans = {p.target: p for p in result.plans}
    assert set(plans) == {"t4", "l4"}
    assert result.cheapest.cost_per_hour == min(p.cost_per_hour for p in result.plans)
    assert plans["l4"].device == "NVIDIA L4" and plans["t4"].price_per_device_hour == 0.35
    doc = result.to_dict()
    assert doc["plan"]["target"] == result.cheapest.target
    assert {"target", "build", "max_batch", "max_delay_ms", "devices", "cost_per_million"} <= doc["plan"].keys()
    # an expensive L4 loses to the T4s it replaces; a cheap one wins
    cheap = plan_serving([T4, L4], 5000.0, 200.0, {"t4": 0.35, "l4": 0.05}, {}, default_price=2.5)
    assert cheap.cheapest.target == "l4"


def test_a_target_that_cannot_meet_the_budget_says_why():
    result = plan_serving([T4, L4], 100.0, 2.0, {}, {}, default_price=2.5)
    assert "t4" in result.unplanned and "batch 1 alone takes 2.6 ms" in result.unplanned["t4"]
    assert [p.target for p in result.plans] == ["l4"] and result.plans[0].price_per_device_hour == 2.5
    with pytest.raises(StudioError, match="--peak-qps must be more than 0"):
        plan_serving([T4], 0.0, 200.0, {}, {}, 2.5)


def test_prices_parse_or_say_which_part_is_wrong():
    assert parse_prices("T4=0.35, L4=0.8") == {"T4": 0.35, "L4": 0.8}
    assert parse_prices(None) == {}
    for bad in ("T4", "T4=cheap", "=1", "T4=-1", "T4=nan"):
        with pytest.raises(StudioError, match="TARGET=DOLLARS_PER_HOUR"):
            parse_prices(bad)
