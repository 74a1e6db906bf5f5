"""The state object a long task receives (in the spirit of Orange3's TaskState): it reports
progress and log lines and asks whether it should stop. The same task runs in a child process
(studio.core.jobs), a Qt worker or a plain CLI call; only the sink behind it changes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from studio.core.serde import Record


@dataclass(frozen=True)
class ProgressEvent(Record):
    kind: str  # "progress" | "log" | "result" | "error"
    phase: str = ""
    fraction: float | None = None  # 0..1 overall, None when unknown
    message: str = ""
    level: str = "info"
    payload: dict | None = None
    t: float = field(default_factory=time.monotonic)

    def to_dict(self) -> dict:
        """Without empty fields: events cross a pipe many times a second."""
        return {k: v for k, v in super().to_dict().items() if v not in (None, "")}


class TaskState:
    """Progress sink + cancellation flag handed to every long-running core function."""

    def __init__(self, on_event: Callable[[ProgressEvent], None] | None = None,
                 min_interval: float = 0.05):
        self._on_event = on_event
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._min_interval = min_interval  # throttle progress, never log lines
        self._last_progress = 0.0

    # --- asked by the task
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, phase: str, fraction: float | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < self._min_interval and fraction not in (0.0, 1.0):
            return
        self._last_progress = now
        self._emit(ProgressEvent("progress", phase=phase, fraction=fraction))

    @property
    def stop_requested(self) -> bool:
        """Finish early, keeping what is done (a benchmark stops measuring); cancel discards."""
        return self._stop.is_set()

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Block until cancelled (True) or until timeout (False)."""
        return self._cancel.wait(timeout)

    def log(self, message: str, level: str = "info") -> None:
        self._emit(ProgressEvent("log", message=message, level=level))

    # --- asked by whoever runs the task
    def cancel(self) -> None:
        self._cancel.set()

    def request_stop(self) -> None:
        self._stop.set()

    def _emit(self, ev: ProgressEvent) -> None:
        if self._on_event is not None:
            self._on_event(ev)
