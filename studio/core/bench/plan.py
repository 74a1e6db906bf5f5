"""A benchmark plan from what a person types: lists of batch sizes, client counts and request
rates ("1,8,32"), and the configurations they make. The window's Benchmark panel and
`engine-studio bench` plan through here, so the same entries give the same runs.

    configs = plan(BenchConfig(duration_s=5), batches=parse_counts("1,8", "batch sizes"),
                   concurrencies=[1, 4])          # closed loop: 2 x 2 runs
    configs = plan(base, batches=[8], rates=parse_rates("100,200", "target QPS"))   # open loop
"""

from __future__ import annotations

from dataclasses import replace

from studio.core.bench.harness import BenchConfig
from studio.core.errors import StudioError
from studio.core.i18n import translate


def _parse(text: str, what: str, kind: type, minimum_ok) -> list:
    try:
        values = [kind(x) for x in str(text).replace(" ", "").split(",") if x]
    except ValueError:
        expected = (translate("Bench", "{what} {text!r}: expected whole numbers separated by commas, like 1,8,32")
                    if kind is int else
                    translate("Bench", "{what} {text!r}: expected numbers separated by commas, like 50,100,200"))
        raise StudioError(expected.format(what=what, text=text)) from None
    if not values or not all(minimum_ok(v) for v in values):
        raise StudioError(translate("Bench", "{what} {text!r}: every value must be {rule}")
                          .format(what=what, text=text, rule=translate("Bench", "at least 1") if kind is int
                                  else translate("Bench", "more than 0")))
    return values


def parse_counts(text: str, what: str) -> list[int]:
    """Batch sizes or client counts: whole numbers, each at least 1. `what` names the field as
    the user knows it ("--batch", or the panel's label)."""
    return _parse(text, what, int, lambda v: v >= 1)


def parse_rates(text: str, what: str) -> list[float]:
    """Request rates per second, each more than 0."""
    return _parse(text, what, float, lambda v: v > 0)


def plan(base: BenchConfig, *, batches: list[int], concurrencies: list[int] = (1,),
         rates: list[float] | None = None) -> list[BenchConfig]:
    """Closed loop: every batch size with every client count. Open loop (`rates`): every
    offered rate for every client count and batch size, except that a dynamic batcher
    (`base.max_batch`) forms the batches itself from single requests. Each is validated."""
    if rates is None:
        configs = [replace(base, batch=b, concurrency=c) for b in batches for c in concurrencies]
    else:
        sizes = [1] if base.max_batch else batches
        configs = [replace(base, batch=b, concurrency=c, rate=r, trace=None)
                   for c in concurrencies for b in sizes for r in rates]
    for config in configs:
        config.validate()
    return configs


def describe(config: BenchConfig) -> str:
    """A run's configuration in a few words: "b8 x4", "b8 200/s", "200/s dyn<=16"."""
    if config.rate is not None and config.max_batch:
        return f"{config.rate:g}/s dyn<={config.max_batch}"
    words = [f"b{config.batch}"]
    if config.concurrency > 1:
        words.append(f"x{config.concurrency}")
    if config.rate is not None:
        words.append(f"{config.rate:g}/s")
    return " ".join(words)
