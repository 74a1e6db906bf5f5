"""Runner base class in the spirit of Polygraphy's BaseRunner: public activate / infer /
deactivate wrap the subclasses' *_impl methods, check the feed against the model's inputs and
time each call. The benchmark harness only ever talks to this interface."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from studio.core.errors import StudioError


@dataclass(frozen=True)
class TensorMeta:
    name: str
    dtype: str                      # numpy dtype name, e.g. "int64", "float32"
    shape: tuple                    # ints, or str for symbolic / -1 dims


@dataclass
class InferTiming:
    """One request's timing in milliseconds, trtexec's terms where the backend has them:
    h2d = host-to-device copy of inputs, compute = GPU time of the enqueued work,
    d2h = device-to-host copy of outputs, enqueue = host time to enqueue, latency = end to end."""

    latency: float
    h2d: float | None = None
    compute: float | None = None
    d2h: float | None = None
    enqueue: float | None = None


@dataclass
class ColdStart:
    """Milliseconds spent before steady state: load/deserialize, session/context, first run."""

    load_ms: float = 0.0
    context_ms: float = 0.0
    first_infer_ms: float | None = None
    extra: dict = field(default_factory=dict)


class Runner:
    name = "runner"

    def __init__(self):
        self.is_active = False
        self.last_timing: InferTiming | None = None
        self.cold_start = ColdStart()

    # ----- to implement
    def activate_impl(self) -> None:
        raise NotImplementedError

    def deactivate_impl(self) -> None:
        raise NotImplementedError

    def infer_impl(self, feed: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], InferTiming | None]:
        """Run one request. Return outputs and, where the backend knows more than wall time,
        an InferTiming with its split (latency is filled in by `infer` if left 0)."""
        raise NotImplementedError

    def input_metadata(self) -> list[TensorMeta]:
        raise NotImplementedError

    def output_metadata(self) -> list[TensorMeta]:
        raise NotImplementedError

    # ----- public
    def activate(self) -> "Runner":
        if self.is_active:
            return self
        t0 = time.perf_counter()
        self.activate_impl()
        if not self.cold_start.load_ms and not self.cold_start.context_ms:
            self.cold_start.context_ms = (time.perf_counter() - t0) * 1e3
        self.is_active = True
        return self

    def deactivate(self) -> None:
        if self.is_active:
            self.deactivate_impl()
            self.is_active = False

    def __enter__(self):
        return self.activate()

    def __exit__(self, *exc):
        self.deactivate()

    def check_feed(self, feed: dict[str, np.ndarray]) -> None:
        expected = {m.name: m for m in self.input_metadata()}
        missing = sorted(set(expected) - set(feed))
        extra = sorted(set(feed) - set(expected))
        if missing or extra:
            raise StudioError(f"inputs do not fit the model: missing {missing or 'none'}, unexpected {extra or 'none'}")
        for name, arr in feed.items():
            meta = expected[name]
            if len(meta.shape) != arr.ndim:
                raise StudioError(f"input {name!r}: rank {arr.ndim} given, model expects {len(meta.shape)} ({meta.shape})")
            for i, (want, got) in enumerate(zip(meta.shape, arr.shape)):
                if isinstance(want, int) and want >= 0 and want != got:
                    raise StudioError(f"input {name!r}: dim {i} is {got}, model expects {want} (shape {meta.shape})")

    def infer(self, feed: dict[str, np.ndarray], check: bool = False) -> dict[str, np.ndarray]:
        out, timing = self.infer_timed(feed, check)
        self.last_timing = timing
        return out

    def infer_timed(self, feed: dict[str, np.ndarray], check: bool = False
                    ) -> tuple[dict[str, np.ndarray], InferTiming]:
        """`infer` that returns this call's timing with the outputs, so several threads may
        share one runner whose backend session is thread-safe (last_timing is not)."""
        if not self.is_active:
            raise StudioError(f"runner {self.name} is not active")
        if check:
            self.check_feed(feed)
        t0 = time.perf_counter()
        out, timing = self.infer_impl(feed)
        wall = (time.perf_counter() - t0) * 1e3
        if timing is None:
            timing = InferTiming(latency=wall)
        elif not timing.latency:
            timing.latency = wall
        if self.cold_start.first_infer_ms is None:
            self.cold_start.first_infer_ms = timing.latency
        return out, timing
