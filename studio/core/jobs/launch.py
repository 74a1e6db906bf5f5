"""Start a task's child process (a build, a benchmark, an accuracy check): a fork of the caller
where that is safe, else a fresh interpreter.

A forked child starts with everything its parent already imported (the studio core, the
backend's entry point resolved), so a command-line build skips a second interpreter's start-up
and imports: about 50 ms, which is most of the studio's fixed cost on a build (the issue-3 goal
is studio / raw builder <= 1.05, and the demo model builds in ~1.3 s). Forking is only safe in a
process that has one thread: another thread may hold a lock that the child, which keeps only
the forking thread, would then wait on forever. So a caller with threads (the window, a test
with timers) and every caller off Linux gets `python -m studio.core.jobs.child` instead.
ENGINE_STUDIO_BUILD_START=spawn|fork overrides the choice (fork still only where it is safe).

Both children run child.run and talk to the parent over the same pipes: the request and
"cancel" lines on stdin, events on their own fd, whatever native code prints on stdout/stderr."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from pathlib import Path

from studio.core.jobs import child as child_main

START_ENV = "ENGINE_STUDIO_BUILD_START"
METHODS = ("fork", "spawn")


def os_thread_count() -> int | None:
    """Threads of this process as the kernel sees them (native threads included), or None
    where /proc does not say."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def fork_is_safe() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and os_thread_count() == 1


def choose_method(requested: str | None = None) -> str:
    wanted = requested or os.environ.get(START_ENV) or "fork"
    if wanted not in METHODS:
        raise ValueError(f"unknown start method {wanted!r}; choose one of {', '.join(METHODS)}")
    return "fork" if wanted == "fork" and fork_is_safe() else "spawn"


class ChildProcess:
    """What child_job.run_child needs of a child, whichever way it started: pid, stdin, stdout
    and an exit status that a reaper thread collects the moment the child ends (Popen.wait with
    a timeout would poll with sleeps of up to 50 ms, all of it added to every build)."""

    def __init__(self, pid: int, stdin, stdout, method: str, popen=None):
        self.pid, self.stdin, self.stdout, self.method = pid, stdin, stdout, method
        self.returncode: int | None = None
        self._popen = popen
        self._done = threading.Event()
        threading.Thread(target=self._reap, daemon=True, name="child-reaper").start()

    def _reap(self) -> None:
        if self._popen is not None:
            code = self._popen.wait()
        else:
            _, status = os.waitpid(self.pid, 0)
            code = os.waitstatus_to_exitcode(status)
        self.returncode = code
        self._done.set()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status (negative: killed by that signal), or None if still running."""
        self._done.wait(timeout)
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def start_child(events_fd: int, method: str | None = None, parent_only: tuple[int, ...] = ()) -> ChildProcess:
    """Start the child with `events_fd` (the write end of the events pipe) open in it. The
    caller closes its own copy of events_fd afterwards, as with any pipe handed to a child;
    `parent_only` are descriptors a forked child must not keep (the events pipe's read end:
    holding it, the child would block on a full pipe instead of failing when the parent dies)."""
    method = choose_method(method)
    if method == "fork":
        return _fork(events_fd, parent_only)
    import subprocess  # not before a fork: ~3 ms of the CLI's start-up

    popen = subprocess.Popen(
        [sys.executable, "-m", "studio.core.jobs.child", "--events-fd", str(events_fd)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        pass_fds=(events_fd,), env=_child_env(), start_new_session=True,
    )
    return ChildProcess(popen.pid, popen.stdin, popen.stdout, "spawn", popen)


class JobChild:
    """A child process waiting for its task, with the pipes to talk to it. Started ahead of
    the task, `JobChild(backend="tensorrt")` also has it load that backend and its native
    library (~45 ms for TensorRT-RTX) while the caller is still reading its arguments and
    importing the rest of the core; run_build(config, child=...) then sends it the build. A
    child whose task never comes (bad arguments) is stopped on leaving the `with` block,
    having done nothing."""

    def __init__(self, backend: str | None = None, method: str | None = None):
        r_events, w_events = os.pipe()
        try:
            self.proc = start_child(w_events, method, parent_only=(r_events,))
        except BaseException:
            os.close(r_events)
            raise
        finally:
            os.close(w_events)
        self.events_fd = r_events
        self.taken = False
        if backend:
            # lazy: 3 ms off this module's import
            from studio.core.backends.registry import backend_entry

            self.send({"task": "prepare", "backend": backend, "backend_entry": backend_entry(backend)})

    def send(self, message: dict | str) -> None:
        line = message if isinstance(message, str) else json.dumps(message)
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is gone: its exit status tells why

    def take(self) -> "JobChild":
        """For the one task it runs: the child is the taker's to run, wait for and close."""
        if self.taken:
            raise RuntimeError("this child already ran a task")
        self.taken = True
        return self

    def abandon(self) -> None:
        self.taken = True
        self.proc.kill()
        self.proc.wait()
        for closing in (self.proc.stdin.close, self.proc.stdout.close, lambda: os.close(self.events_fd)):
            try:
                closing()
            except OSError:
                pass

    def __enter__(self) -> "JobChild":
        return self

    def __exit__(self, *exc) -> None:
        if not self.taken:
            self.abandon()


def _child_env() -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _fork(events_fd: int, parent_only: tuple[int, ...]) -> ChildProcess:
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # or the child would print the parent's pending output again
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _become_child(events_fd, stdin_r, out_w, parent_ends=(stdin_w, out_r, *parent_only))
    os.close(stdin_r)
    os.close(out_w)
    return ChildProcess(pid, os.fdopen(stdin_w, "wb"), os.fdopen(out_r, "rb"), "fork")


def _become_child(events_fd: int, stdin_r: int, out_w: int, parent_ends: tuple[int, ...]) -> None:
    """What Popen(start_new_session=True, stdin=PIPE, stdout=PIPE, stderr=STDOUT) and a fresh
    interpreter would give: own session, the pipes on 0/1/2, default signal handlers, new
    Python stdio objects over them. Then the child proper; os._exit whatever happens."""
    code = 70
    try:
        os.setsid()
        os.dup2(stdin_r, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        for fd in (stdin_r, out_w, *parent_ends):
            os.close(fd)
        for sig in signal.valid_signals():  # a caller's Python handlers (pytest's alarm...) are not ours
            try:
                if callable(signal.getsignal(sig)):
                    signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
        child_main.run(["--events-fd", str(events_fd)])  # exits
    except BaseException:
        try:
            # lazy: 3 ms off this module's import
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code)


def live_children(parent: int | None = None) -> list[int]:
    """Task children of `parent` (default: this process) that are still running, found by their
    process name (or, for a spawned one not yet named, its command line): what tests and the
    cancel benchmark check to prove that none outlived its task."""
    parent = os.getpid() if parent is None else parent
    found = []
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                comm, _, rest = fh.read().partition(" (")[2].rpartition(") ")
            state, ppid = rest.split()[:2]
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if int(ppid) == parent and state != "Z" and (
                comm == child_main.PROCESS_NAME or b"studio.core.jobs.child" in cmdline):
            found.append(int(pid))
    return found

