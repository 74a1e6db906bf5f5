"""How the build child starts: a fork of a single-threaded caller (the CLI), else a fresh
interpreter. pytest itself has threads (numpy's OpenBLAS pool), so its own run_build calls
spawn; the fork path is driven here from a fresh single-threaded interpreter, with real
TensorRT-RTX builds and real crashes, exactly as `engine-studio build` runs it."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from studio.core.backends.base import BuildConfig, sidecar_path
from studio.core.errors import TaskError
from studio.core.jobs.build_job import run_build
from studio.core.jobs.child_job import ChildOutcome
from studio.core.jobs.child import FAULT_ENV
from studio.core.jobs.launch import START_ENV, JobChild, choose_method, fork_is_safe, live_children, os_thread_count

ROOT = Path(__file__).resolve().parents[3]

# run_build in a fresh interpreter (one thread, so it may fork); prints one JSON line.
_DRIVER = r"""
import json, os, sys, threading
from pathlib import Path
from studio.core.backends.base import BuildConfig
from studio.core.errors import StudioError
from studio.core.jobs.build_job import run_build
from studio.core.jobs.launch import choose_method, live_children

a = json.loads(sys.argv[1])
cancel = threading.Event()
def on_event(ev):
    if ev.kind == "progress" and a.get("cancel_at") and ev.phase.startswith(a["cancel_at"]):
        cancel.set()
    if ev.kind == "progress" and a.get("announce_at") and ev.phase.startswith(a["announce_at"]):
        print(json.dumps({"children": live_children()}), flush=True)
out = {"method": choose_method(a.get("start"))}
try:
    r = run_build(BuildConfig(a["model"], "tensorrt", a["out"]), on_event=on_event, cancel=cancel,
                  stall_s=a.get("stall_s"), start=a.get("start"))
    out.update(result="built", build_process=json.loads(Path(r.sidecar).read_text())["build_process"])
except StudioError as e:
    out.update(result=type(e).__name__, message=str(e), log_tail=list(getattr(e, "log_tail", None) or []))
out["children_left"] = live_children()
print(json.dumps(out), flush=True)
"""


def drive(model, out, env=None, timeout=90, **args) -> dict:
    r = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps({"model": str(model), "out": str(out), **args})],
                       capture_output=True, text=True, cwd=ROOT, timeout=timeout, env={**os.environ, **(env or {})})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_a_single_threaded_caller_forks_and_the_sidecar_says_so(tmp_path, mlp_onnx):
    out = tmp_path / "out" / "m.engine"
    res = drive(mlp_onnx(tmp_path / "m.onnx"), out)
    assert res == {"method": "fork", "result": "built", "build_process": "fork", "children_left": []}
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.engine", "m.engine.json", "m.engine.layers.txt"]


def test_the_environment_can_ask_for_a_fresh_interpreter(tmp_path, mlp_onnx):
    res = drive(mlp_onnx(tmp_path / "m.onnx"), tmp_path / "m.engine", env={START_ENV: "spawn"})
    assert res["method"] == res["build_process"] == "spawn" and res["result"] == "built"


def test_a_caller_with_threads_never_forks(tmp_path, mlp_onnx):
    """Another thread might hold a lock the forked child would wait on forever."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert os_thread_count() > 1 and not fork_is_safe() and choose_method("fork") == "spawn"
        out = tmp_path / "m.engine"
        res = run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)), start="fork")
        assert json.loads(sidecar_path(out).read_text())["build_process"] == "spawn" and res.size_bytes > 0
    finally:
        stop.set()
        t.join()
    with pytest.raises(ValueError, match="unknown start method 'thread'"):
        choose_method("thread")


@pytest.mark.parametrize("fault,signame", [("abort", "SIGABRT"), ("segv", "SIGSEGV"), ("kill", "SIGKILL")])
def test_a_native_crash_in_a_forked_child_is_a_build_error_with_the_log_tail(tmp_path, mlp_onnx, fault, signame):
    out = tmp_path / "out" / "m.engine"
    res = drive(mlp_onnx(tmp_path / "m.onnx"), out, env={FAULT_ENV: fault})
    assert res["method"] == "fork" and res["result"] == "BuildError", res
    assert signame in res["message"]
    assert "Input filename" in "\n".join(res["log_tail"])   # the builder's own words, from the child's stdout
    if fault == "segv":
        assert "Fatal Python error" in "\n".join(res["log_tail"])
    assert res["children_left"] == []
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_a_deadlocked_forked_child_is_stopped_by_the_watchdog(tmp_path, mlp_onnx):
    out = tmp_path / "out" / "m.engine"
    res = drive(mlp_onnx(tmp_path / "m.onnx"), out, env={FAULT_ENV: "deadlock"}, stall_s=1.5)
    assert res["method"] == "fork" and res["result"] == "BuildError", res
    assert "stopped responding" in res["message"] and res["children_left"] == []
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_cancelling_a_forked_build_takes_effect_and_leaves_nothing(tmp_path, chain_onnx):
    out = tmp_path / "out" / "chain.engine"
    t0 = time.monotonic()
    res = drive(chain_onnx(tmp_path / "chain.onnx"), out, cancel_at="Building engine")
    assert res["method"] == "fork" and res["result"] == "Cancelled", res
    assert res["children_left"] == [] and time.monotonic() - t0 < 30
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_a_forked_child_whose_parent_is_killed_stops_building(tmp_path, chain_onnx):
    """The child holds none of the parent's pipe ends: when the parent dies its stdin closes
    and an orphaned build does not run on."""
    arg = {"model": chain_onnx(tmp_path / "chain.onnx"), "out": str(tmp_path / "out" / "chain.engine"),
           "announce_at": "Building engine"}
    p = subprocess.Popen([sys.executable, "-c", _DRIVER, json.dumps(arg)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        children = json.loads(p.stdout.readline())["children"]
        assert len(children) == 1
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{children[0]}"):
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{children[0]}"), "the orphaned build child is still running"
    finally:
        p.kill()
        p.wait()


def test_a_child_started_ahead_runs_the_build_it_is_handed_once(tmp_path, mlp_onnx):
    from studio.core.jobs.launch import JobChild

    out = tmp_path / "m.engine"
    with JobChild(backend="tensorrt") as child:
        res = run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)), child=child)
    assert res.size_bytes == out.stat().st_size and live_children() == []
    with pytest.raises(RuntimeError, match="already ran a task"):
        run_build(BuildConfig(str(tmp_path / "m.onnx"), "tensorrt", str(out)), child=child)


def test_a_child_whose_build_never_comes_is_stopped_on_leaving(tmp_path):
    """`engine-studio build` starts the child before it checks its arguments."""
    from studio.core.jobs.launch import JobChild

    with pytest.raises(ValueError):
        with JobChild(backend="tensorrt") as child:
            pid = child.proc.pid
            raise ValueError("bad arguments")
    assert child.proc.returncode is not None and live_children() == []
    assert not os.path.exists(f"/proc/{pid}")


def test_a_child_that_ran_out_of_memory_says_so():
    tail = ["Traceback (most recent call last):", "    _start_new_thread(self._bootstrap, ())",
            "RuntimeError: can't start new thread"]
    with pytest.raises(TaskError, match=r"exited with status 70 without a result \(it ran out of memory\); "
                                        r"last lines: .*can't start new thread"):
        ChildOutcome(code=70, method="fork", tail=tail).payload_or_raise("build")
    with pytest.raises(TaskError, match=r"without a result; last lines: boom$"):
        ChildOutcome(code=70, method="fork", tail=["boom"]).payload_or_raise("build")


AUTOGROUPS = os.path.exists("/proc/self/autogroup")


@pytest.mark.skipif(not AUTOGROUPS, reason="this kernel has no scheduling autogroups")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_niced_callers_child_gives_its_own_autogroup_that_nice(method):
    """A child is a session, so an autogroup, of its own: it must carry the nice it inherited to
    that group, or its busy threads compete with the window's as if not niced at all."""
    seen = {}
    # A process that never left its first session reads an empty file here (the root group has
    # no autogroup of its own), so "untouched" means "as it was", not "nice 0".
    caller_before = Path("/proc/self/autogroup").read_text()

    def niced_caller():
        os.nice(5)
        with JobChild(method=method) as child:
            path = f"/proc/{child.proc.pid}/autogroup"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:   # the child sets it as it starts
                seen["child"] = Path(path).read_text().strip()
                if seen["child"].endswith("nice 5"):
                    break
                time.sleep(0.01)
    th = threading.Thread(target=niced_caller)
    th.start()
    th.join()
    assert seen["child"].endswith("nice 5"), seen
    assert Path("/proc/self/autogroup").read_text() == caller_before   # the caller's group is untouched


def test_the_group_takes_the_childs_nice_and_a_normal_child_leaves_it_alone(tmp_path):
    code = ("import os, sys\nfrom studio.core.jobs.child import yield_as_niced\n"
            "print(yield_as_niced(sys.argv[1]))\nos.nice(3)\nprint(yield_as_niced(sys.argv[2]))")
    normal, niced = tmp_path / "normal", tmp_path / "niced"
    normal.write_text("untouched")
    niced.write_text("untouched")
    r = subprocess.run([sys.executable, "-c", code, str(normal), str(niced)], capture_output=True, text=True,
                       timeout=60, preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, 0) if os.geteuid() == 0 else None)
    first, second = r.stdout.split()
    if first == "None":                   # run at normal priority, as CI does
        assert normal.read_text() == "untouched"
    assert int(second) >= 3 and niced.read_text() == second


def test_a_child_of_a_process_niced_as_a_whole_keeps_its_group_at_the_normal_share(tmp_path):
    """A Ray worker runs at nice 15 and passes it to the jobs' children: that is not a studio
    task yielding to a window, and giving it to the child's group starved jobs on a busy node."""
    group = tmp_path / "group"
    group.write_text("untouched")
    child = f"from studio.core.jobs.child import yield_as_niced; print(yield_as_niced({str(group)!r}))"
    parent = (f"import os, subprocess, sys; os.nice(7); "
              f"print(subprocess.run([sys.executable, '-c', {child!r}], capture_output=True, text=True).stdout)")
    r = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["None"], r.stderr
    assert group.read_text() == "untouched"
