"""The executor interface on this machine: targets, a job run in a child process, executors
found by their entry points."""

import json
import os
import threading
from pathlib import Path

import pytest

from studio.cli.main import main
from studio.core.backends.base import BuildConfig
from studio.core.errors import StudioError
from studio.core.jobs.executor import Job, LocalExecutor, executor_for, on_each

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"


def test_this_machine_is_the_local_target():
    (t,) = LocalExecutor().targets()
    assert t.name == "local" and t.cpu["cores"] == (os.cpu_count() or 1)
    assert t.gpu is None or {"name", "compute_capability", "driver"} <= t.gpu.keys()
    assert t.can("onnxruntime", "build") and t.can("onnxruntime", "run") and "onnxruntime" in t.libraries
    # a backend that cannot run here says why
    assert all(b["run"] or b["why_not"] for b in t.backends)


def test_a_build_job_runs_here_with_its_sidecar(tmp_path):
    out = tmp_path / "m.ort.onnx"
    ran = LocalExecutor().run(Job.build(BuildConfig(str(MODEL), "onnxruntime", str(out))))
    assert ran.target == "local" and ran.payload["output"] == str(out)
    assert out.is_file() and Path(str(out) + ".json").is_file()
    with pytest.raises(StudioError, match="no target 't4' here; the targets are: local"):
        LocalExecutor().run(Job.build(BuildConfig(str(MODEL), "onnxruntime", str(out))), target="t4")


def test_an_executor_nobody_installed_is_named_with_those_that_are():
    with pytest.raises(StudioError, match="no executor for 'slurm://head:1'; installed: .*ray"):
        executor_for("slurm://head:1")
    assert isinstance(executor_for(None), LocalExecutor)


def test_targets_command_lists_this_machine(capsys):
    assert main(["targets", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in doc["targets"]] == ["local"] and doc["targets"][0]["backends"]


def test_on_each_runs_every_item_and_raises_the_first_failure_after_all_ended():
    cancel = threading.Event()
    both_started = threading.Barrier(2, timeout=30)   # the items run at the same time, not one by one
    ended = []

    def fn(item):
        both_started.wait()
        if item == "bad":
            raise ValueError("bad target")
        assert cancel.wait(30)                         # the failure tells the others to stop
        ended.append(item)

    with pytest.raises(ValueError, match="bad target"):
        on_each(["good", "bad"], fn, cancel=cancel)
    assert ended == ["good"]                           # raised only once the other had ended


def test_on_each_with_nothing_to_do_returns():
    on_each([], lambda item: None)
