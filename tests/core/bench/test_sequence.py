"""A sequence of benchmark runs, as both front ends run it: every run's samples reach the caller
under the run's key, stop ends the run in progress with what it measured and starts no more,
cancel keeps nothing. A real ONNX Runtime build of a user's model (the corpus's two-input MiniLM,
a torch TorchScript export), measured in child processes."""

import threading
from pathlib import Path

import pytest

from studio.core.backends.base import BuildConfig
from studio.core.bench.harness import BenchConfig
from studio.core.bench.inputs import declare_inputs
from studio.core.bench.sequence import BenchRun, BenchSequence
from studio.core.errors import Cancelled
from studio.core.jobs.build_job import BuildEntry, run_build
from studio.core.jobs.launch import live_children


USERS_MODEL = Path(__file__).resolve().parents[3] / "tests" / "data" / "corpus" / "minilm_2in_pooled" / "model.onnx"


@pytest.fixture(scope="module")
def entry(tmp_path_factory):
    out = tmp_path_factory.mktemp("seq") / "model.fp32.ort.onnx"
    config = BuildConfig(str(USERS_MODEL), "onnxruntime", str(out))
    return BuildEntry(run_build(config), config)


def _sequence(**callbacks) -> BenchSequence:
    return BenchSequence(*declare_inputs(None, 16), **callbacks)


def test_each_run_in_turn_with_its_samples_under_its_key(entry):
    seen, started, finished = {}, [], []
    seq = _sequence(on_sample=lambda key, s: seen.setdefault(key, []).append(s),
                    on_run=lambda run: started.append(run.series),
                    on_result=lambda run, res: finished.append((run.series, res.batch)))
    runs = [BenchRun(entry, BenchConfig(batch=b, iterations=8, warmup_iters=1), f"batch {b}", f"b{b}") for b in (1, 4)]
    with seq:
        out = seq.run(runs)
    assert [(run.key, res.batch) for run, res in out] == [("b1", 1), ("b4", 4)] == finished
    assert started == ["b1", "b4"]
    assert {k: len(v) for k, v in seen.items()} == {"b1": 8, "b4": 8}       # every measured request, once
    assert out[0][1].feed["kind"] == "synthetic" and out[0][1].feed["seq_len"] == 16
    assert seq.inputs_of(r for _, r in out)["samples"] == out[0][1].feed["samples"]
    assert seq.runner(entry) == {"name": "onnxruntime", "sessions": "one per client"}
    assert live_children() == []


def test_stop_keeps_the_run_in_progress_and_starts_no_more(entry):
    measuring = threading.Event()
    seq = _sequence(on_sample=lambda key, s: measuring.set())
    long = BenchConfig(batch=2, duration_s=120)
    result = {}
    th = threading.Thread(target=lambda: result.setdefault("out", seq.run([BenchRun(entry, long, key="a"),
                                                                           BenchRun(entry, long, key="b")])))
    th.start()
    assert measuring.wait(60)          # however long a loaded machine takes to start the child
    seq.stop()
    th.join(60)
    [(run, res)] = result["out"]
    assert run.key == "a" and res.stopped_early and res.requests > 0 and seq.stopped
    assert seq.measure(BenchRun(entry, long)) is None        # a stopped sequence measures nothing more
    assert live_children() == []


def test_cancel_keeps_nothing_of_the_run_in_progress(entry):
    measuring = threading.Event()
    seq = _sequence(on_sample=lambda key, s: measuring.set())
    errors = []

    def run():
        try:
            seq.run([BenchRun(entry, BenchConfig(batch=2, duration_s=120))])
        except Cancelled as e:
            errors.append(e)
    th = threading.Thread(target=run)
    th.start()
    assert measuring.wait(60)
    seq.cancel()
    th.join(60)
    assert len(errors) == 1 and live_children() == []
