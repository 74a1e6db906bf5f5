"""A TaskState that maps a sub-task's 0..1 progress into a slice of its parent's bar and
shares the parent's cancel flag, so a step (precision pass, parse, build) reports in its own
terms without knowing where it sits in the whole job."""

from __future__ import annotations

from studio.core.progress import TaskState


class SubState(TaskState):
    def __init__(self, parent: TaskState, lo: float, hi: float, prefix: str = ""):
        super().__init__(None)
        self.parent, self.lo, self.hi, self.prefix = parent, lo, hi, prefix

    @property
    def cancelled(self) -> bool:
        return self.parent.cancelled

    def cancel(self) -> None:
        self.parent.cancel()

    def progress(self, phase: str, fraction: float | None = None, force: bool = False) -> None:
        f = None if fraction is None else self.lo + (self.hi - self.lo) * min(max(fraction, 0.0), 1.0)
        self.parent.progress(f"{self.prefix}{phase}", f, force)

    def log(self, message: str, level: str = "info") -> None:
        self.parent.log(message, level)
