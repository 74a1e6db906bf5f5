"""Run any registered backend's build in a child process and turn whatever happens there into
a BuildResult or a StudioError here.

    result = run_build(config, on_event=print, cancel=threading.Event())

Progress and log lines stream back as ProgressEvents. Setting `cancel` (or Ctrl-C in the
caller) asks the child to stop (SIGTERM + a "cancel" line; the builder's progress monitor
then returns False); a child still alive 5 s later is killed. A child that dies by a signal
(abort, segfault, the kernel's OOM killer) becomes a BuildError with the signal and the tail
of its log. Either way no partial artifact is left and no process outlives the call. On
success the sidecar `<artifact>.json` is written here, for every backend.

A child that sends nothing and uses (next to) no CPU for `stall_s` seconds (STALL_S by default)
is deadlocked, not slow: the TensorRT-RTX builder was seen waiting on a futex forever after a
failed allocation. It is killed and becomes a BuildError. A long build keeps a core busy, so it
is never taken for a stalled one. Linux only (CPU time comes from /proc); elsewhere, or with
stall_s <= 0, no watchdog.

The child is a fork of a single-threaded caller (the CLI), else a fresh interpreter (the window,
anything with threads): studio.core.jobs.launch. `start` ("fork" | "spawn") asks for one; the
sidecar records which ran. A caller that knows the backend early may start the child itself
(`child=BuildChild(backend=...)`), so that the backend loads while it is still busy."""

from __future__ import annotations

import glob
import json
import os
import signal
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable

from studio.core import errors
from studio.core.backends.base import BuildConfig, BuildResult, sidecar_path
from studio.core.errors import BuildError, Cancelled, StudioError
from studio.core.hash_cache import source_sha256
from studio.core.jobs.launch import BuildChild
from studio.core.jobs.progress import ProgressEvent

KILL_AFTER_S = 5.0
POLL_S = 0.05
TAIL_LINES = 60
STALL_S = 60.0
# CPU below this share of one core counts as none: the child's idle helper threads (cancel
# watcher) wake up now and then even when the builder itself is stuck.
STALL_CPU_SHARE = 0.02


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


class _SourceHash(threading.Thread):
    """Hash the source ONNX while the child builds: the sidecar needs it, the build does not.
    A rebuild of an unchanged model takes the hash from the cache (studio.core.hash_cache)."""

    def __init__(self, path: str):
        super().__init__(daemon=True, name="source-sha256")
        self.path, self.value, self.error = path, None, None

    def run(self):
        try:
            self.value = source_sha256(self.path)
        except OSError as e:
            self.error = str(e)


def _error_from_payload(p: dict, tail: list[str]) -> StudioError:
    kind = p.get("type", "StudioError")
    msg, where = p.get("message", "build failed"), p.get("where")
    log_tail = p.get("log_tail") or tail
    if kind == "InternalError":
        return BuildError(f"the build crashed inside the backend: {msg}", where, log_tail)
    cls = getattr(errors, kind, None)
    if cls is BuildError:
        return BuildError(msg, where, log_tail)
    if isinstance(cls, type) and issubclass(cls, StudioError):
        return cls(msg, where)
    return StudioError(msg, where)


def _leftovers(output: Path, since: float) -> list[Path]:
    """Temp files our atomic writers leave when the child is killed mid-write."""
    out = []
    for pat in (f".{glob.escape(output.name)}.*.part",):
        for p in glob.glob(os.path.join(glob.escape(str(output.parent)), pat)):
            try:
                if os.path.getmtime(p) >= since - 1:
                    out.append(Path(p))
            except OSError:
                pass
    return out


class _Watchdog:
    """Tells a deadlocked child from a slow one: no event and no CPU time for `stall_s`."""

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
        if cpu is None:  # gone or unreadable: proc.wait() will tell
            return False
        if cpu - self._cpu_at_since > STALL_CPU_SHARE * max(now - self._since, 1.0):
            self._since, self._cpu_at_since = now, cpu
            return False
        return now - self._since >= self.stall_s


def run_build(config: BuildConfig, on_event: Callable[[ProgressEvent], None] | None = None,
              cancel: threading.Event | None = None, stall_s: float | None = None,
              start: str | None = None, child: BuildChild | None = None) -> BuildResult:
    output = Path(config.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    t0 = time.perf_counter()

    tail: deque[str] = deque(maxlen=TAIL_LINES)
    result_payload: list[dict] = []
    error_payload: list[dict] = []

    def deliver(ev: ProgressEvent) -> None:
        if on_event is not None:
            try:
                on_event(ev)
            except Exception:
                pass  # a broken listener must not break the build

    child = (child or BuildChild(method=start)).take()
    proc, r_events = child.proc, child.events_fd
    # Resolved here so that the child need not scan entry points (a forked one inherits the scan).
    from studio.core.backends.registry import backend_entry

    request = {"task": "build", "config": config.to_dict(), "backend_entry": backend_entry(config.backend)}
    # Threads only now: a fork needs a parent with one thread.
    source_hash = _SourceHash(config.model)
    source_hash.start()
    watchdog = _Watchdog(proc.pid, STALL_S if stall_s is None else stall_s)

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
                d.pop("t", None)
                try:
                    ev = ProgressEvent.from_dict(d)
                except TypeError:
                    continue
                if ev.kind == "log":
                    tail.append(f"[{ev.level}] {ev.message}")
                deliver(ev)

    def read_output():  # whatever native code prints, and Python's faulthandler on a crash
        for raw in proc.stdout:
            watchdog.alive()
            line = raw.decode("utf-8", "replace").rstrip()
            tail.append(line)
            deliver(ProgressEvent("log", message=line, level="native"))

    readers = [threading.Thread(target=read_events, daemon=True, name="build-events"),
               threading.Thread(target=read_output, daemon=True, name="build-output")]
    for t in readers:
        t.start()

    cancelled_at: float | None = None
    killed = False
    stalled = False
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
                    _ask_to_stop(child)
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

    tail_list = list(tail)
    if result_payload and code == 0 and cancelled_at is None:
        result = BuildResult(**result_payload[0])
        source_hash.join()
        _write_sidecar(config, result, source_hash, started, time.perf_counter() - t0, proc.method)
        return result

    # Failure or cancel: nothing of this build may stay on disk.
    for p in _leftovers(output, started):
        p.unlink(missing_ok=True)
    _remove_fresh(output, started)
    if stalled:
        raise BuildError(f"the build process stopped responding: no progress and no CPU use for "
                         f"{watchdog.stall_s:g} s; it was stopped", where=config.model, log_tail=tail_list)
    if cancelled_at is not None:
        raise Cancelled("build cancelled" + (" (the builder did not stop in time and was killed)" if killed else ""))
    if error_payload:
        raise _error_from_payload(error_payload[0], tail_list)
    if code < 0:
        sig = _signal_name(-code)
        hint = {"SIGKILL": " (killed from outside: out of memory?)", "SIGABRT": " (the native builder aborted)",
                "SIGSEGV": " (the native builder crashed)"}.get(sig, "")
        raise BuildError(f"the build process died with {sig}{hint}; last lines of its log: "
                         + " | ".join(tail_list[-3:]), where=config.model, log_tail=tail_list)
    raise BuildError(f"the build process exited with status {code} without a result; last lines: "
                     + " | ".join(tail_list[-3:]), where=config.model, log_tail=tail_list)


def _ask_to_stop(child: BuildChild) -> None:
    child.send("cancel")
    child.proc.send_signal(signal.SIGTERM)


def _remove_fresh(output: Path, since: float) -> None:
    """A child cancelled or crashed between its final rename and its result may have left a
    finished file of *this* build, without a sidecar: a failed build leaves nothing, so remove
    what it wrote (an older artifact at the same path is kept: its mtime predates this build)."""
    from studio.core.backends.base import sidecar_path as _sc
    for p in (output, output.with_name(output.name + ".layers.txt"), _sc(output)):
        try:
            if p.exists() and p.stat().st_mtime >= since:
                p.unlink()
        except OSError:
            pass


def _write_sidecar(config, result, source_hash, started, wall, method):
    from studio.core.backends.sidecar import make_sidecar, write_sidecar

    result.sidecar = str(sidecar_path(result.output))
    doc = make_sidecar(config, result, source_sha256=source_hash.value, started_at=started,
                       wall_seconds=wall, build_process=method)
    write_sidecar(result.output, doc)
