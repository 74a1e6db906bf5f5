"""Run one task in a child process (studio.core.jobs.child) and turn whatever happens there into
a result payload or a StudioError here. Builds (build_job.run_build), benchmarks and accuracy
checks (studio.core.bench.isolated) all go this way, so a native library that crashes, aborts,
hangs or runs out of memory costs one failed task, never the caller.

    outcome = run_child(JobChild().take(), {"task": "bench", ...}, on_event=..., cancel=...)
    payload = outcome.payload_or_raise("benchmark", where=path)

Progress and log lines stream back as ProgressEvents; "samples" messages (a benchmark's live
latencies) go to on_samples. Setting `cancel` (or Ctrl-C in the caller) asks the child to stop
(SIGTERM + a "cancel" line); a child still alive KILL_AFTER_S later is killed. A child that sends
nothing and uses (next to) no CPU for `stall_s` seconds (STALL_S by default) is deadlocked, not
slow (the TensorRT-RTX builder was seen waiting on a futex forever after a failed allocation): it
is killed too. A long task keeps a core busy, so it is never taken for a stalled one. Linux only
(CPU time comes from /proc); elsewhere, or with stall_s <= 0, no watchdog. No process outlives
the call."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from studio.core import errors
from studio.core.errors import Cancelled, StudioError, TaskError
from studio.core.jobs.launch import JobChild
from studio.core.progress import ProgressEvent

KILL_AFTER_S = 5.0
POLL_S = 0.05
TAIL_LINES = 60
STALL_S = 60.0
# CPU below this share of one core counts as none: the child's idle helper threads (cancel
# watcher) wake up now and then even when the task itself is stuck.
STALL_CPU_SHARE = 0.02


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


class _Watchdog:
    """Tells a deadlocked child from a slow one: no message and no CPU time for `stall_s`."""

    def __init__(self, pid: int, stall_s: float):
        self.stall_s = stall_s
        self._stat = f"/proc/{pid}/stat"
        self.enabled = stall_s > 0 and os.path.isdir("/proc/self")
        self._since = time.monotonic()
        self._cpu_at_since = self._cpu() or 0.0

    def _cpu(self) -> float | None:
        try:
            with open(self._stat) as fh:
                fields = fh.read().rpartition(")")[2].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        except (OSError, ValueError, IndexError):
            return None

    def alive(self) -> None:
        """The child said something: it is making progress."""
        self._since = time.monotonic()
        self._cpu_at_since = self._cpu() or self._cpu_at_since

    def stalled(self) -> bool:
        if not self.enabled:
            return False
        now, cpu = time.monotonic(), self._cpu()
        if cpu is None:  # gone or unreadable: the exit status will tell
            return False
        if cpu - self._cpu_at_since > STALL_CPU_SHARE * max(now - self._since, 1.0):
            self._since, self._cpu_at_since = now, cpu
            return False
        return now - self._since >= self.stall_s


# What an exhausted address space looks like in a child's last lines, wherever the allocation
# failed: Python, a thread's stack (seen under a 350 MiB limit), C++ or C.
_OUT_OF_MEMORY = ("MemoryError", "can't start new thread", "bad_alloc", "Cannot allocate memory")


@dataclass
class ChildOutcome:
    """What happened to one task in its child process."""

    code: int                          # exit status (negative: killed by that signal)
    method: str                        # how the child started: "fork" | "spawn"
    result: dict | None = None         # the task's result payload, if it sent one
    error: dict | None = None          # the error it reported, if any
    cancelled: bool = False
    killed: bool = False               # killed after a cancel it did not honour in time
    stalled_s: float | None = None     # killed by the stall watchdog after this many seconds
    tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is not None and self.code == 0 and not self.cancelled

    def payload_or_raise(self, what: str, where: str | None = None, error: type[TaskError] = TaskError) -> dict:
        """The result payload, or the `error` that says what went wrong with the `what` ("build",
        "benchmark", ...) process, with the tail of its log."""
        if self.ok:
            return self.result
        tail = self.tail
        if self.stalled_s is not None:
            raise error(f"the {what} process stopped responding: no progress and no CPU use for "
                        f"{self.stalled_s:g} s; it was stopped", where=where, log_tail=tail)
        if self.cancelled:
            raise Cancelled(f"{what} cancelled" + (" (it did not stop in time and was killed)" if self.killed else ""))
        if self.error:
            raise _error_from_payload(self.error, tail, what, error)
        if self.code < 0:
            sig = _signal_name(-self.code)
            hint = {"SIGKILL": " (killed from outside: out of memory?)", "SIGABRT": " (native code aborted)",
                    "SIGSEGV": " (native code crashed)"}.get(sig, "")
            raise error(f"the {what} process died with {sig}{hint}; last lines of its log: "
                        + " | ".join(tail[-3:]), where=where, log_tail=tail)
        hint = " (it ran out of memory)" if any(sign in line for line in tail for sign in _OUT_OF_MEMORY) else ""
        raise error(f"the {what} process exited with status {self.code} without a result{hint}; last lines: "
                    + " | ".join(tail[-3:]), where=where, log_tail=tail)


def _error_from_payload(p: dict, tail: list[str], what: str, error: type[TaskError]) -> StudioError:
    kind = p.get("type", "StudioError")
    msg, where = p.get("message", "failed"), p.get("where")
    log_tail = p.get("log_tail") or tail
    if kind == "InternalError":
        return error(f"the {what} crashed inside the backend: {msg}", where, log_tail)
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, TaskError):
        return cls(msg, where, log_tail)
    if isinstance(cls, type) and issubclass(cls, StudioError):
        return cls(msg, where)
    return StudioError(msg, where)


def run_child(child: JobChild, request: dict, *, on_event: Callable[[ProgressEvent], None] | None = None,
              on_samples: Callable[[list[dict]], None] | None = None, cancel: threading.Event | None = None,
              stall_s: float | None = None) -> ChildOutcome:
    """Send `request` to a started child (JobChild(...).take()) and see it through."""
    proc, r_events = child.proc, child.events_fd
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    result_payload: list[dict] = []
    error_payload: list[dict] = []
    watchdog = _Watchdog(proc.pid, STALL_S if stall_s is None else stall_s)

    def deliver(fn, value) -> None:
        if fn is not None:
            try:
                fn(value)
            except Exception:
                pass  # a broken listener must not break the task

    def read_events():
        with os.fdopen(r_events, "r", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                watchdog.alive()
                try:
                    d = json.loads(line)
                except json.JSONDecodeError:
                    tail.append(line.rstrip())
                    continue
                kind = d.get("kind")
                if kind == "result":
                    result_payload.append(d.get("payload") or {})
                    continue
                if kind == "error":
                    error_payload.append(d.get("payload") or {})
                    continue
                if kind == "samples":
                    deliver(on_samples, d.get("payload") or [])
                    continue
                d.pop("t", None)
                try:
                    ev = ProgressEvent.from_dict(d)
                except TypeError:
                    continue
                if ev.kind == "log":
                    tail.append(f"[{ev.level}] {ev.message}")
                deliver(on_event, ev)

    def read_output():  # whatever native code prints, and Python's faulthandler on a crash
        for raw in proc.stdout:
            watchdog.alive()
            line = raw.decode("utf-8", "replace").rstrip()
            tail.append(line)
            deliver(on_event, ProgressEvent("log", message=line, level="native"))

    readers = [threading.Thread(target=read_events, daemon=True, name="child-events"),
               threading.Thread(target=read_output, daemon=True, name="child-output")]
    for t in readers:
        t.start()

    cancelled_at: float | None = None
    killed = stalled = False
    next_check = time.monotonic() + 1.0
    try:
        child.send(request)
        while True:
            try:
                code = proc.wait(timeout=POLL_S)
                if code is not None:
                    break
            except KeyboardInterrupt:
                if cancel is None:
                    cancel = threading.Event()
                cancel.set()
            if cancel is not None and cancel.is_set():
                if cancelled_at is None:
                    cancelled_at = time.monotonic()
                    child.send("cancel")
                    proc.send_signal(signal.SIGTERM)
                elif not killed and time.monotonic() - cancelled_at > KILL_AFTER_S:
                    proc.kill()
                    killed = True
            elif not stalled and time.monotonic() >= next_check:
                next_check = time.monotonic() + min(1.0, watchdog.stall_s / 4)
                if watchdog.stalled():
                    proc.kill()
                    stalled = True
    finally:
        if proc.poll() is None:  # an exception here (not a cancel): never leave the child behind
            proc.kill()
            proc.wait()
        try:
            proc.stdin.close()
        except OSError:
            pass
        for t in readers:
            t.join(timeout=5)
        if proc.stdout:
            proc.stdout.close()
    return ChildOutcome(code=code, method=proc.method, result=result_payload[0] if result_payload else None,
                        error=error_payload[0] if error_payload else None, cancelled=cancelled_at is not None,
                        killed=killed, stalled_s=watchdog.stall_s if stalled else None, tail=list(tail))
