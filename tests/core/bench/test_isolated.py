"""Benchmarks and accuracy checks in a child process: the same results as in-process, every live
sample delivered, stop keeps what was measured, and a runtime that crashes is a clear error,
with no process left behind. Real ONNX Runtime builds; real crashes (a fault injected in the
child)."""

import threading
import time

import pytest

from studio.core.backends.base import BuildConfig
from studio.core.bench.accuracy import check_build
from studio.core.bench.harness import BenchConfig
from studio.core.bench.isolated import IsolatedBench, bench_request, bench_task, check_build_isolated, feed_spec
from studio.core.errors import Cancelled, DataError, TaskError
from studio.core.jobs.build_job import run_build
from studio.core.jobs.child import FAULT_ENV
from studio.core.jobs.launch import live_children
from studio.core.progress import TaskState

VAL = "resources/demo/intents_validation.csv"


@pytest.fixture(scope="module")
def ort_build(tmp_path_factory, small_bert):
    out = tmp_path_factory.mktemp("iso") / "bert.ort.onnx"
    run_build(BuildConfig(str(small_bert), "onnxruntime", str(out)))
    return str(small_bert), str(out)


def test_every_sample_is_delivered_and_the_result_is_a_run_result(ort_build):
    model, build = ort_build
    got = []
    res = IsolatedBench(build, "onnxruntime", feed_spec(model, seq_len=16), BenchConfig(batch=4, duration_s=1.0),
                        on_sample=got.append).run()
    assert res.requests == len(got) > 10 and not res.stopped_early
    assert [s.seq for s in got] == list(range(len(got)))
    assert res.throughput > 0 and res.latency_ms.p50 > 0 and res.cold_start["context_ms"] > 0
    assert live_children() == []


def test_stop_keeps_what_was_measured_and_cancel_keeps_nothing(ort_build):
    model, build = ort_build
    cfg = BenchConfig(batch=2, duration_s=60)
    # Stop once the child has measured something, however long a loaded machine takes to start it.
    measured = threading.Event()
    bench = IsolatedBench(build, "onnxruntime", feed_spec(model, seq_len=16), cfg,
                          on_sample=lambda s: measured.set()).start()
    assert measured.wait(60)
    t0 = time.monotonic()
    bench.stop()
    res = bench.result(timeout=30)
    assert res.stopped_early and res.requests > 0 and time.monotonic() - t0 < 10
    measured.clear()
    bench = IsolatedBench(build, "onnxruntime", feed_spec(model, seq_len=16), cfg,
                          on_sample=lambda s: measured.set()).start()
    assert measured.wait(60)
    bench.cancel()
    with pytest.raises(Cancelled):
        bench.result(timeout=10)
    assert live_children() == []


@pytest.mark.parametrize("clients", [1, 2])
def test_a_run_loads_the_model_once_per_client(ort_build, monkeypatch, clients):
    """The runner that tells the child the model's inputs serves the first client: a session
    more would load the model again (a BERT-base: ~1.5 s of every run's start)."""
    import onnxruntime as ort

    opened = []

    class Counted(ort.InferenceSession):
        def __init__(self, *args, **kwargs):
            opened.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", Counted)
    model, build = ort_build
    request = bench_request(build, "onnxruntime", feed_spec(model, seq_len=16),
                            BenchConfig(batch=2, concurrency=clients, iterations=6, warmup_iters=1))
    out = bench_task(request, TaskState(), lambda message: None)   # the child's side, in this process
    assert out["requests"] == 6 and out["cold_start"]["context_ms"] > 0
    assert len(opened) == clients


def test_a_runtime_crash_is_one_error_with_its_log_and_no_process_left(ort_build, monkeypatch):
    model, build = ort_build
    monkeypatch.setenv(FAULT_ENV, "segv:Benchmark")
    with pytest.raises(TaskError, match="the benchmark process died with SIGSEGV") as ei:
        IsolatedBench(build, "onnxruntime", feed_spec(model, seq_len=16), BenchConfig(batch=2, duration_s=1)).run()
    assert ei.value.where == build and "Fatal Python error" in "\n".join(ei.value.log_tail)
    assert live_children() == []


def test_bad_input_in_the_child_is_the_same_clear_error(ort_build, tmp_path):
    model, build = ort_build
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text\n\xff\xfe not utf-8\n")
    with pytest.raises(DataError, match="bad.csv"):
        IsolatedBench(build, "onnxruntime", feed_spec(model, str(bad)), BenchConfig(batch=2, duration_s=1)).run()


def test_accuracy_in_a_child_is_the_same_check_as_in_process():
    from studio.core.demo.paths import demo_model_path

    model = str(demo_model_path())
    kwargs = {"label_column": "intent", "limit": 48, "reference": model}
    here, there = check_build(model, VAL, **kwargs), check_build_isolated(model, VAL, **kwargs)
    assert there.samples == here.samples == 48
    assert (there.accuracy, there.reference_accuracy) == (here.accuracy, here.reference_accuracy)
    assert [o.to_dict() for o in there.outputs] == [o.to_dict() for o in here.outputs]
