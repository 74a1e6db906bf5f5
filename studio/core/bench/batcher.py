"""Dynamic batcher (in the spirit of Triton's): requests wait in arrival order until either
`max_batch` rows are pending or the oldest has waited `max_delay_s`; then they leave as one batch.

The batcher is pure: it never reads a clock, the caller passes `now`. The open-loop load thread
drives it with real time; tests drive it with a recorded arrival trace."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from studio.core.errors import StudioError


@dataclass
class Request:
    id: int
    arrival: float                   # seconds on the caller's clock
    indices: list = field(default_factory=list)   # feed sample indices (rows)

    @property
    def rows(self) -> int:
        return len(self.indices) or 1


@dataclass
class Batch:
    requests: list
    closed_at: float
    reason: str                      # "full" | "delay" | "flush"

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.requests)


class DynamicBatcher:
    def __init__(self, max_batch: int, max_delay_s: float):
        if max_batch < 1:
            raise StudioError(f"--max-batch must be at least 1 (got {max_batch})")
        if max_delay_s < 0:
            raise StudioError(f"--max-delay-ms must not be negative (got {max_delay_s * 1e3:g})")
        self.max_batch = max_batch
        self.max_delay_s = max_delay_s
        self._pending: deque[Request] = deque()
        self._rows = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def deadline(self) -> float | None:
        """When the oldest pending request's delay runs out (None when nothing waits)."""
        return self._pending[0].arrival + self.max_delay_s if self._pending else None

    def add(self, req: Request, now: float) -> list[Batch]:
        """Queue one request; return the batches that close because of it (full ones, plus an
        expired one if the caller was late)."""
        out = self.poll(now)
        if req.rows > self.max_batch:
            raise StudioError(f"request of {req.rows} rows exceeds --max-batch {self.max_batch}")
        if self._rows + req.rows > self.max_batch:
            out.append(self._close(now, "full"))
        self._pending.append(req)
        self._rows += req.rows
        if self._rows == self.max_batch:
            out.append(self._close(now, "full"))
        return out

    def poll(self, now: float) -> list[Batch]:
        dl = self.deadline()
        if dl is not None and now >= dl:
            return [self._close(now, "delay")]
        return []

    def flush(self, now: float) -> list[Batch]:
        return [self._close(now, "flush")] if self._pending else []

    def _close(self, now: float, reason: str) -> Batch:
        b = Batch(list(self._pending), now, reason)
        self._pending.clear()
        self._rows = 0
        return b


def form_batches(arrivals: list[float], max_batch: int, max_delay_s: float) -> list[Batch]:
    """The batches a trace of single-row arrivals forms when a free worker is always waiting:
    what the load thread does, minus the threads. Batches close at the latest at their deadline."""
    b = DynamicBatcher(max_batch, max_delay_s)
    out: list[Batch] = []
    for i, t in enumerate(arrivals):
        dl = b.deadline()
        if dl is not None and dl <= t:
            out += b.poll(dl)
        out += b.add(Request(i, t, [i]), t)
    dl = b.deadline()
    if dl is not None:
        out += b.poll(dl)
    return out
