"""A serving plan for a traffic peak: for each target, which build, which dynamic-batching
window and how many devices keep P99 under a budget at the peak rate, and what that costs.

The plan is computed from measured service times (a sweep's closed-loop runs at concurrency 1:
one batch at a time on one device) by simulating the same dynamic batcher the open-loop
benchmark uses (studio.core.bench.batcher.form_batches) in front of one device, with Poisson
arrivals at the peak rate split evenly over the devices. A batch's service time is drawn from a
lognormal with the measured P50 and P99 of the nearest measured batch sizes (interpolated by
rows), so a plan can be checked by running `engine-studio bench --qps RATE --max-batch B
--max-delay-ms D` on one device of the target.

Assumptions, said in every plan's `assumptions`: requests of one row (one customer message);
a load balancer that spreads them evenly; one engine instance per device; a device is billed
whole per hour."""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field

from studio.core.bench.batcher import form_batches
from studio.core.errors import StudioError
from studio.core.i18n import QT_TRANSLATE_NOOP
from studio.core.serde import Record

Z99 = 2.3263478740408408          # the standard normal's 99th percentile
SIMULATED_REQUESTS = 3000         # per simulation: ~30 requests above the 99th percentile
WARMUP_SHARE = 0.05               # the first requests, before the queue reaches its steady state
DELAY_SHARES = (0.0, 0.02, 0.05, 0.1, 0.2)   # batching windows tried, as shares of the P99 budget
RATE_STEPS = 10                   # bisection steps for a device's highest rate under budget

# Stored in English with each plan; a report shows it in its own language (the source text is the key).
ASSUMPTIONS = QT_TRANSLATE_NOOP("Report", "one-row requests spread evenly over the devices; one engine instance per "
                                          "device, one batch at a time; service times drawn from the measured P50/P99 "
                                          "of each batch size (closed loop, concurrency 1); devices billed whole per "
                                          "hour")


@dataclass(frozen=True)
class ServiceCurve:
    """What one build takes to serve a batch on one target: rows -> (P50, P99) in ms."""

    target: str
    precision: str
    build: str
    points: dict[int, tuple[float, float]]

    def __post_init__(self):
        if not self.points:
            raise StudioError(f"no measured batch sizes for {self.precision} on {self.target}")

    @property
    def batches(self) -> list[int]:
        return sorted(self.points)

    def at(self, rows: int) -> tuple[float, float]:
        """(P50, P99) ms for a batch of `rows`: interpolated linearly between measured batch
        sizes; below the smallest, the smallest's (a batch never runs faster than batch 1)."""
        sizes = self.batches
        if rows <= sizes[0]:
            return self.points[sizes[0]]
        if rows >= sizes[-1]:
            b = sizes[-1]
            p50, p99 = self.points[b]
            return p50 * rows / b, p99 * rows / b      # beyond the measured range: linear in rows
        i = bisect.bisect_left(sizes, rows)
        lo, hi = sizes[i - 1], sizes[i]
        w = (rows - lo) / (hi - lo)
        (a50, a99), (b50, b99) = self.points[lo], self.points[hi]
        return a50 + w * (b50 - a50), a99 + w * (b99 - a99)


def simulate_p99(curve: ServiceCurve, rate: float, max_batch: int, max_delay_ms: float,
                 requests: int = SIMULATED_REQUESTS, seed: int = 0) -> float:
    """P99 latency (ms, arrival to result) of one device at `rate` requests/s behind the dynamic
    batcher. Deterministic for a seed."""
    if rate <= 0:
        raise StudioError(f"a rate must be positive (got {rate:g})")
    rng = random.Random(seed)
    t, arrivals = 0.0, []
    for _ in range(requests):
        t += rng.expovariate(rate)
        arrivals.append(t)
    free_at = 0.0
    latencies = []
    for batch in form_batches(arrivals, max_batch, max_delay_ms / 1000.0):
        p50, p99 = curve.at(batch.rows)
        sigma = max(math.log(max(p99, p50) / p50), 0.0) / Z99 if p50 > 0 else 0.0
        service = p50 * math.exp(sigma * rng.gauss(0.0, 1.0)) / 1000.0
        start = max(batch.closed_at, free_at)
        free_at = start + service
        latencies += [free_at - r.arrival for r in batch.requests]
    kept = sorted(latencies[int(len(latencies) * WARMUP_SHARE):])
    return kept[min(len(kept) - 1, int(math.ceil(0.99 * len(kept))) - 1)] * 1000.0


def max_rate(curve: ServiceCurve, max_batch: int, max_delay_ms: float, p99_ms: float) -> tuple[float, float] | None:
    """The highest rate (requests/s) one device holds with simulated P99 <= `p99_ms`, and that
    P99; None when even a trickle of requests misses the budget."""
    # the device busy all the time, at the batch size that serves the most rows per second
    ceiling = max(b / (curve.at(b)[0] / 1000.0) for b in {*[b for b in curve.batches if b <= max_batch], max_batch})
    hi, floor = ceiling, ceiling / 1000.0
    p = simulate_p99(curve, floor, max_batch, max_delay_ms)
    if p > p99_ms:
        return None
    lo, best = floor, (floor, p)
    for _ in range(RATE_STEPS):
        mid = (lo + hi) / 2
        p = simulate_p99(curve, mid, max_batch, max_delay_ms)
        if p <= p99_ms:
            lo, best = mid, (mid, p)
        else:
            hi = mid
    return best


@dataclass
class ServingPlan(Record):
    target: str
    build: str
    precision: str
    max_batch: int
    max_delay_ms: float
    devices: int
    rate_per_device: float           # requests/s each device serves at the peak
    max_rate_per_device: float       # the most a device holds under budget with this configuration
    p99_ms: float                    # simulated, at that rate
    price_per_device_hour: float
    device: str                      # what is billed: the target's GPU, or its CPU
    cost_per_hour: float
    cost_per_million: float          # dollars per million requests at the peak
    assumptions: str = ASSUMPTIONS


@dataclass
class PlanResult(Record):
    peak_qps: float
    p99_budget_ms: float
    plans: list[ServingPlan] = field(default_factory=list)
    unplanned: dict[str, str] = field(default_factory=dict)    # target -> why no plan

    @property
    def cheapest(self) -> ServingPlan | None:
        return min(self.plans, key=lambda p: (p.cost_per_hour, p.p99_ms), default=None)

    def to_dict(self) -> dict:
        """With the cheapest plan under "plan", for a reader who wants only the answer."""
        cheapest = self.cheapest
        d = super().to_dict()
        return {"peak_qps": d.pop("peak_qps"), "p99_budget_ms": d.pop("p99_budget_ms"),
                "plan": cheapest.to_dict() if cheapest else None, **d}


def plan_target(curves: list[ServiceCurve], peak_qps: float, p99_ms: float, price: float,
                device: str) -> ServingPlan | None:
    """The fewest devices of one target over its builds, max batch sizes (the measured ones) and
    batching windows; among those, the one with the most headroom (the highest rate a device
    holds under budget): at a peak every configuration meets easily, P99s differ by noise,
    headroom by design."""
    best: ServingPlan | None = None
    best_key = None
    for curve in curves:
        for max_batch in curve.batches:
            for share in (DELAY_SHARES if max_batch > 1 else (0.0,)):   # a batch of one never waits for company
                delay = round(share * p99_ms, 3)
                found = max_rate(curve, max_batch, delay, p99_ms)
                if found is None:
                    continue
                devices = max(1, math.ceil(peak_qps / found[0]))
                per_device = peak_qps / devices
                p99 = simulate_p99(curve, per_device, max_batch, delay)
                if p99 > p99_ms:         # bisection noise at the edge: one device more holds it
                    devices += 1
                    per_device = peak_qps / devices
                    p99 = simulate_p99(curve, per_device, max_batch, delay)
                cost = devices * price
                plan = ServingPlan(curve.target, curve.build, curve.precision, max_batch, delay, devices, per_device,
                                   found[0], p99, price, device, cost, cost / (peak_qps * 3600.0) * 1e6)
                key = (plan.devices, -found[0])
                if best_key is None or key < best_key:
                    best, best_key = plan, key
    return best


def plan_serving(curves: list[ServiceCurve], peak_qps: float, p99_ms: float, prices: dict[str, float],
                 devices: dict[str, str], default_price: float) -> PlanResult:
    """A plan per target and the cheapest overall. `prices`: per device-hour by target name;
    `devices`: what each target bills (its GPU's name, or its CPU)."""
    if not peak_qps > 0:
        raise StudioError(f"--peak-qps must be more than 0 (got {peak_qps:g})")
    if not p99_ms > 0:
        raise StudioError(f"--p99-ms must be more than 0 (got {p99_ms:g})")
    result = PlanResult(peak_qps, p99_ms)
    by_target: dict[str, list[ServiceCurve]] = {}
    for c in curves:
        by_target.setdefault(c.target, []).append(c)
    for target, mine in by_target.items():
        plan = plan_target(mine, peak_qps, p99_ms, prices.get(target, default_price), devices.get(target, target))
        if plan is None:
            fastest = min(c.at(1)[1] for c in mine)
            result.unplanned[target] = (f"no build meets P99 <= {p99_ms:g} ms even at a trickle of requests "
                                        f"(batch 1 alone takes {fastest:.1f} ms at P99)")
        else:
            result.plans.append(plan)
    return result


def parse_prices(text: str | None) -> dict[str, float]:
    """`T4=0.35,L4=0.8` -> {"T4": 0.35, "L4": 0.8} (dollars per device-hour)."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            price = float(value)
        except ValueError:
            price = -1.0
        if not sep or not name.strip() or not math.isfinite(price) or price < 0:
            raise StudioError(f"--price: {part.strip()!r} is not TARGET=DOLLARS_PER_HOUR (e.g. T4=0.35)")
        out[name.strip()] = price
    return out
