"""Where a late tick of an event loop went, from the late thread's scheduler statistics (Linux
`/proc/thread-self/schedstat`): its own work, waiting for a CPU, or blocked (a lock, Python's
GIL). The scripted demo's heartbeat and the stall benchmarks attribute their worst tick with it."""

from __future__ import annotations

from dataclasses import dataclass


def thread_schedstat() -> tuple[int, int] | None:
    """This thread's time on a CPU and waiting for one, in ns (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/thread-self/schedstat") as fh:
            on_cpu, waiting, _ = fh.read().split()
        return int(on_cpu), int(waiting)
    except (OSError, ValueError):
        return None


@dataclass
class Stall:
    """Where the time of one late tick went: the thread's own work, waiting for a CPU (other
    processes, a benchmark filling the cores, the host), or blocked (a lock, Python's GIL)."""
    late_ms: float
    ui_work_ms: float | None = None
    cpu_wait_ms: float | None = None

    @classmethod
    def between(cls, late_ms: float, before: tuple[int, int] | None, after: tuple[int, int] | None) -> "Stall":
        """The stall of a tick `late_ms` late, from the thread's schedstat before and after it."""
        if before is None or after is None:
            return cls(late_ms)
        return cls(late_ms, (after[0] - before[0]) / 1e6, (after[1] - before[1]) / 1e6)

    @property
    def blocked_ms(self) -> float | None:
        if self.ui_work_ms is None:
            return None
        return max(0.0, self.late_ms - self.ui_work_ms - self.cpu_wait_ms)

    def to_dict(self) -> dict:
        return {"late_ms": round(self.late_ms, 1), "ui_work_ms": _round(self.ui_work_ms),
                "cpu_wait_ms": _round(self.cpu_wait_ms), "blocked_ms": _round(self.blocked_ms)}


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)
