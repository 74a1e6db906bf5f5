"""Background work for the window: a core function runs in a plain Python thread and talks to
the UI through a QObject living in the UI thread (signals emitted from the worker thread are
queued, so no widget is touched off the UI thread).

Python threads rather than QThread: there is no QThread object to be destroyed while running
when the window closes; `Task.cancel()` sets the core function's cancel event and
`TaskRegistry.shutdown()` waits for them all. An exception in the function becomes the
`failed` signal (a StudioError's one line, or type + message for a bug, with the traceback
logged), never an uncaught error in a thread."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Signal

from studio.core.errors import Cancelled, StudioError

log = logging.getLogger("studio.ui")

_collector = None


def collect_garbage_in_main_thread(interval_s: float = 0.5) -> None:
    """Python's cyclic garbage collector runs in whichever thread happens to allocate when a
    threshold is crossed. When that is a worker thread and the garbage holds Qt objects, their
    C++ destructors run there: the test suite once hung for good on it (a worker destroying an
    old window's menus held a Qt mutex and waited for the GIL, while the UI thread, holding the
    GIL, waited for that mutex in another deletion). So automatic collection is switched off and
    the UI thread collects on a timer instead (pyqtgraph's GarbageCollector; same thresholds).
    Call in the UI thread; once per process."""
    global _collector
    if _collector is None:
        # lazy: 350 ms off this module's import
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=interval_s)


def freeze_startup_objects() -> None:
    """Keep what the process holds from start-up on (modules, Qt's wrappers, the window: about
    90,000 objects) out of every later garbage collection. A full collection walked them all
    on the UI thread: 59 ms, the longest stalls of the scripted demo; afterwards it walks the
    few thousand objects a session makes (0.5 ms). Call once, after the window is built: what
    is frozen is never collected, so not on every window a test makes."""
    gc.collect()
    gc.freeze()


def error_text(exc: BaseException) -> str:
    """The one line a user sees."""
    if isinstance(exc, StudioError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


class Task(QObject):
    """One background call. `fn(cancel_event, emit)` runs in a thread; `emit(obj)` sends an
    intermediate event (progress, samples) to `event`; the return value goes to `finished`."""

    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()          # after any of the three above

    def __init__(self, fn: Callable, name: str = "task", parent: QObject | None = None, nice: int = 0):
        super().__init__(parent)
        self.name = name
        # Linux priorities are per thread and inherited by what the thread starts (a build's
        # child process, its reader threads): background work yields the CPU to the UI thread.
        self.nice = nice
        self._fn = fn
        self.cancel_event = threading.Event()
        self._on_cancel: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self.started_at: float | None = None
        self.result = None
        self.error: str | None = None

    def start(self) -> "Task":
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"studio-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        if self.nice:
            try:
                os.nice(self.nice)
            except (OSError, AttributeError):
                pass
        try:
            result = self._fn(self.cancel_event, self.event.emit)
        except Cancelled:
            self._emit_safely(self.cancelled)
        except StudioError as e:
            self.error = error_text(e)
            log.warning("%s failed: %s", self.name, self.error)
            self._emit_safely(self.failed, self.error)
        except BaseException as e:  # a bug in a worker must not go unseen or kill the window
            self.error = error_text(e)
            log.error("%s crashed:\n%s", self.name, traceback.format_exc())
            self._emit_safely(self.failed, self.error)
        else:
            if self.cancel_event.is_set():
                self._emit_safely(self.cancelled)
            else:
                self.result = result
                self._emit_safely(self.finished, result)
        self._emit_safely(self.done)

    @staticmethod
    def _emit_safely(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the receiver (or this QObject) was deleted during shutdown
            pass

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def cancel(self) -> None:
        self.cancel_event.set()
        for fn in self._on_cancel:
            fn()

    def on_cancel(self, fn: Callable[[], None]) -> None:
        """Call `fn` when the task is cancelled: work that waits on something else than
        `cancel_event` (a child process, a remote job) hears of it at once."""
        self._on_cancel.append(fn)

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running


class TaskRegistry:
    """Every task the window started, so closing it can cancel and wait for all of them."""

    def __init__(self):
        self._tasks: list[Task] = []

    def start(self, task: Task) -> Task:
        self._tasks = [t for t in self._tasks if t.running]
        self._tasks.append(task)
        return task.start()

    def running(self) -> list[Task]:
        return [t for t in self._tasks if t.running]

    def shutdown(self, timeout: float = 10.0) -> bool:
        for t in self._tasks:
            t.cancel()
        deadline = time.monotonic() + timeout
        ok = True
        for t in self._tasks:
            ok &= t.wait(max(0.0, deadline - time.monotonic()))
        return ok
