"""The child process that runs one task: `python -m studio.core.jobs.child --events-fd N`, or
the same `run` in a fork of the caller (studio.core.jobs.launch says which).

Reads one JSON request line on stdin: {"task": "build", "config": {...}, "backend_entry":
"module:Class"} runs the named backend's build (at backend_entry, as the parent found it in the
registry, else found through the registry here); "bench" and "accuracy" run a benchmark or an
accuracy check (TASKS). Events go out as JSON lines on fd N, the task's result last. A {"task":
"prepare", "backend": NAME, "backend_entry": ...} line may come first: the backend is then
loaded while the parent is still busy (launch.JobChild). A "stop" line asks a task to finish
early with what it has (a benchmark). Cancel arrives three ways, whichever comes first:
SIGTERM, a "cancel" line on stdin, or stdin closing (the parent died: an orphaned task must not
run on). Native crashes are left to kill the process; the parent (child_job.run_child) turns
the exit signal and the log tail into an error.

ENGINE_STUDIO_TEST_CHILD_FAULT (tests only) injects a fault at the first progress event whose
phase starts with "Building" (or with PHASE, given as KIND:PHASE): "abort" (os.abort), "segv" (a real segfault through ctypes), "exit" (os._exit(3)), "kill" (SIGKILL, as the OOM killer sends),
"hang" (ignore cancel while holding the GIL: exercises the parent's SIGKILL), "deadlock" (wait
forever on a lock, using no CPU and ignoring SIGTERM: exercises the parent's stall watchdog),
"raise" (a Python exception with a many-line message: exercises the one-line error)."""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import json
import os
import re
import signal
import sys
import threading
import time

from studio.core.errors import StudioError, TaskError

FAULT_ENV = "ENGINE_STUDIO_TEST_CHILD_FAULT"
PROCESS_NAME = "studio-task"  # /proc/PID/comm of a task child, however it was started


class EventWriter:
    def __init__(self, fd: int):
        self._fh = os.fdopen(fd, "w", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def __call__(self, obj: dict) -> None:
        line = json.dumps(obj, default=str)
        with self._lock:
            try:
                self._fh.write(line + "\n")
                self._fh.flush()
            except (BrokenPipeError, OSError):
                pass  # the parent is gone; stdin EOF will cancel us


def _inject_fault(kind: str) -> None:
    if kind == "abort":
        os.abort()
    if kind == "segv":
        # lazy: 2 ms off this module's import
        import ctypes
        ctypes.string_at(0)
    if kind == "exit":
        os._exit(3)
    if kind == "kill":  # what the kernel's OOM killer does
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "hang":
        # Native code that never returns and never lets go of the GIL: only SIGKILL ends it.
        # (Catastrophic regex backtracking runs in C holding the GIL for ages.)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            re.match(r"(a+)+$", "a" * 64 + "b")
    if kind == "raise":
        # A Python bug in a backend, with a many-line message (as numpy's ImportError has).
        raise ImportError("the backend's import failed\n\nIMPORTANT: a page of advice follows\n...")
    if kind == "deadlock":
        # What the TensorRT-RTX builder was seen doing after a failed allocation: a futex wait
        # that never returns, 0 % CPU, nothing more said.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        threading.Event().wait()


CANCEL_GRACE_S = 0.4
CANCELLED_EXIT = 130


def _enforce_cancel(state, emit) -> None:
    """The builder only asks its progress monitor between steps, which can be seconds apart
    on a big model. Give it a moment to stop politely, then leave: nothing has been written
    that the parent does not clean up (artifacts are renamed into place only when complete)."""
    state.wait_cancelled()  # no polling: a thread that wakes 50 times a second costs the builder CPU
    time.sleep(CANCEL_GRACE_S)
    emit({"kind": "error", "payload": {"type": "Cancelled", "message": "cancelled"}})
    os._exit(CANCELLED_EXIT)


def _watch_stdin(state) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            state.cancel()
        elif line.strip() == "stop":
            state.request_stop()
    state.cancel()  # EOF: the parent went away


# Tasks other than builds, by request "task": imported only when asked for.
TASKS = {"bench": "studio.core.bench.isolated:bench_task",
         "accuracy": "studio.core.bench.isolated:accuracy_task",
         "precision": "studio.core.precision_search.job:search_task",
         "precision_probe": "studio.core.precision_search.job:probe_task",
         "calibration": "studio.core.precision_search.job:calibration_task",
         "as_built": "studio.core.precision.as_built:as_built_task",
         "check": "studio.core.backends.check:check_task"}


def _build_task(request: dict, state, emit) -> dict:
    # lazy: 22 ms off this module's import
    from studio.core.backends.base import BuildConfig
    from studio.core.backends.registry import get_backend

    config = BuildConfig.from_dict(request["config"])
    backend = get_backend(config.backend, request.get("backend_entry"))
    emit({"kind": "log", "message": f"backend {config.backend}: {backend.capabilities().library}", "level": "debug"})
    return backend.build(config, state).to_dict()


def _task(name: str):
    if name == "build":
        return _build_task
    if name not in TASKS:
        raise StudioError(f"unknown task {name!r}")
    module, _, attr = TASKS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def yield_as_niced(autogroup: str = "/proc/self/autogroup") -> int | None:
    """Make the nice level a studio task gave this child count against the window; the level
    set, or None.

    The child runs in a session of its own (so that a stop reaches its whole process group), and
    on Linux a new session is a new scheduling autogroup: nice then ranks a process's threads only
    against the rest of its group, while the group competes with the window's as a nice-0 whole.
    A benchmark's two busy threads, niced 5, were seen holding both CPUs for 100 ms while the
    window's UI thread waited, runnable, for one (`benchmarks/bench_child_priority.py` compares
    the two ways). Raising the group's own nice needs no privilege; where autogroups do not exist
    there is nothing to do.

    Only a nice above the parent process's own is the studio's: a task's niced thread started
    this child. A parent niced as a whole (a Ray worker runs at nice 15) passes its level to every
    child; giving that to the group would starve a job on a busy node until the watchdog took it
    for hung, and a benchmark there must measure at the node's normal share."""
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    if nice <= max(0, _nice_of(os.getppid())):
        return None
    try:
        with open(autogroup, "w") as fh:
            fh.write(str(nice))
    except OSError:
        return None
    return nice


def _nice_of(pid: int) -> int:
    """A process's nice level (its main thread's on Linux), 0 when it is gone."""
    try:
        return os.getpriority(os.PRIO_PROCESS, pid)
    except OSError:
        return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="studio.core.jobs.child")
    ap.add_argument("--events-fd", type=int, required=True)
    args = ap.parse_args(argv)
    yield_as_niced()
    emit = EventWriter(args.events_fd)
    faulthandler.enable()  # a segfault prints the Python stack to stderr: part of the log tail
    # Ctrl-C in a terminal reaches the whole process group; the parent decides, not us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # lazy: 18 ms off this module's import
    from studio.core.progress import ProgressEvent, TaskState

    fault, _, fault_phase = os.environ.get(FAULT_ENV, "").partition(":")
    fault_phase = fault_phase or "Building"
    fault_armed = {"on": bool(fault)}

    def on_event(ev: ProgressEvent) -> None:
        emit(ev.to_dict())
        if fault_armed["on"] and ev.kind == "progress" and ev.phase.startswith(fault_phase):
            fault_armed["on"] = False
            _inject_fault(fault)

    state = TaskState(on_event)
    signal.signal(signal.SIGTERM, lambda *_: state.cancel())

    for module in ("studio.core.backends.base", "studio.core.backends.registry"):
        importlib.import_module(module)  # what every task needs, imported while the request is on its way

    try:
        request = json.loads(sys.stdin.readline() or "{}")
        if request.get("task") == "prepare":
            _prepare(request)
            request = json.loads(sys.stdin.readline() or "{}")
    except json.JSONDecodeError as e:
        emit({"kind": "error", "payload": {"type": "StudioError", "message": f"bad request: {e}"}})
        return 2
    threading.Thread(target=_watch_stdin, args=(state,), daemon=True, name="cancel-watch").start()
    threading.Thread(target=_enforce_cancel, args=(state, emit), daemon=True, name="cancel-enforce").start()

    try:
        emit({"kind": "result", "payload": _task(request.get("task"))(request, state, emit)})
        return 0
    except StudioError as e:
        emit({"kind": "error", "payload": {
            "type": type(e).__name__, "message": e.message, "where": e.where,
            "log_tail": e.log_tail if isinstance(e, TaskError) else []}})
        return 2
    except BaseException as e:  # a bug in a backend: say so, with its stack, and exit cleanly
        import traceback

        emit({"kind": "error", "payload": {
            # One line for the message (some exceptions, numpy's ImportError among them, carry a
            # page of advice); the whole text stays in the log tail.
            "type": "InternalError",
            "message": f"{type(e).__name__}: " + next((ln.strip() for ln in str(e).splitlines() if ln.strip()), ""),
            "log_tail": traceback.format_exc().splitlines()[-40:]}})
        return 1


def _prepare(request: dict) -> None:
    """Load the backend that the build will name, and through its capabilities its native
    library, before the build request comes: the caller is meanwhile still reading its own
    arguments (studio.core.jobs.launch.JobChild). Best effort: whatever fails here fails
    again, and is reported, when the build asks for the same backend."""
    # lazy: 3 ms off this module's import
    from studio.core.backends.registry import get_backend

    try:
        get_backend(request.get("backend"), request.get("backend_entry")).capabilities()
    except Exception:
        pass


def run(argv: list[str] | None = None) -> None:
    """main, then out without interpreter teardown: native libraries' static destructors add
    time and can crash after the work is already safely written. Never returns."""
    code = 70
    try:
        _name_process(PROCESS_NAME)
        code = main(argv)
    except BaseException:  # before main could report anything (a MemoryError while importing)
        # lazy: 3 ms off this module's import
        import traceback

        traceback.print_exc()  # to stderr: the parent's log tail
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _name_process(name: str) -> None:
    """What `ps` and /proc/PID/comm show (a forked child would otherwise look like its parent)."""
    try:
        with open("/proc/self/comm", "w") as fh:
            fh.write(name)
    except OSError:
        pass


if __name__ == "__main__":
    run()
