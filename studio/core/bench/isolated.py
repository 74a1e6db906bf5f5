"""Benchmarks and accuracy checks in a child process, as builds are: a native crash, an abort or
a hang in a runtime costs one failed run, never the window that asked for it (DESIGN.md,
"Native libraries crash"), and the measurement does not share a GIL with the window's plots.
(benchmarks/bench_ui_stall.py, 2 cores: a small model measured 3,770 samples/s this way against
2,868 in the window's own process; the UI thread's longest stall was ~60 ms against ~35-40 ms,
starting the child and streaming its samples costing the window a little more.)

    bench = IsolatedBench(artifact, "onnxruntime", feed_spec(model), BenchConfig(batch=8), on_sample=plot)
    bench.start(); ...; bench.stop()          # stop keeps what was measured
    result = bench.result()                   # RunResult, as Bench gives it

    accuracy = check_build_isolated(build, data, label_column="intent")

The child side is `bench_task` / `accuracy_task`, run by studio.core.jobs.child."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from studio.core.bench.harness import Bench, BenchConfig, Sample
from studio.core.bench.inputs import open_feed
from studio.core.errors import StudioError

SAMPLE_FLUSH_S = 0.05   # the child sends live samples in batches this often (a window paints at ~30 fps)


def feed_spec(model: str, data: str | None = None, seq_len: int | None = None, **open_feed_args) -> dict:
    """What the child needs to rebuild a feed (studio.core.bench.inputs.open_feed's arguments)."""
    return {"model": str(model), "data": data, "seq_len": seq_len, **open_feed_args}


def open_feed_spec(spec: dict, metas=None):
    """The feed a spec describes, for inputs `metas` (a runner's input_metadata), or for the
    spec's model's inputs as its ONNX file declares them."""
    spec = dict(spec)
    model = spec.pop("model")
    if metas is None:
        # lazy: 18 ms off this module's import
        from studio.core.data.calibration import model_inputs

        metas = model_inputs(model)
    return open_feed(metas, model_path=model, **spec)


# ---- child side -----------------------------------------------------------------------------

def bench_task(request: dict, state, emit) -> dict:
    """One benchmark configuration in the child: live samples go out in batches every
    SAMPLE_FLUSH_S; a "stop" from the parent ends the run with what was measured."""
    # lazy: 2 ms off this module's import
    from studio.core.backends.registry import get_backend

    backend = get_backend(request["backend"], request.get("backend_entry"))
    artifact, options = request["artifact"], request.get("runner_options") or {}
    pending: list[dict] = []
    lock = threading.Lock()

    def flush() -> None:
        with lock:
            batch = pending[:]
            pending.clear()
        if batch:
            emit({"kind": "samples", "payload": batch})

    def collect(s: Sample) -> None:
        with lock:
            pending.append(s.to_dict())

    # The inputs as the runner sees them: reading them from the ONNX file would import onnx
    # (~0.7 s of every run's start here), and an engine that cannot run here says why at once.
    # That runner then serves the first client: a second session would load the model again.
    lent = [backend.open_runner(artifact, **options).activate()]
    try:
        feed = open_feed_spec(request["feed"], lent[0].input_metadata())
        bench = Bench(lambda: lent.pop() if lent else backend.open_runner(artifact, **options), feed,
                      BenchConfig(**request["config"]), on_sample=collect)
        state.progress("Benchmark", 0.0, force=True)
        bench.start()
        while not bench.wait(SAMPLE_FLUSH_S):
            flush()
            if (state.stop_requested or state.cancelled) and not bench.stop_event.is_set():
                bench.stop()
        result = bench.result()   # joins the sample dispatcher: every sample is in `pending` now
    finally:
        for runner in lent:   # not taken: the run ended before its first client started
            runner.deactivate()
    flush()
    return {**result.to_dict(), "feed": feed.describe()}


def accuracy_task(request: dict, state, emit) -> dict:
    # lazy: 24 ms off this module's import
    from studio.core.bench.accuracy import check_build

    state.progress("Accuracy", 0.0, force=True)
    res = check_build(**request["kwargs"], progress=lambda f: state.progress("Accuracy", f),
                      cancelled=lambda: state.cancelled)
    return res.to_dict()


# ---- parent side ----------------------------------------------------------------------------

def bench_request(artifact: str, backend: str, feed: dict, config: BenchConfig,
                  runner_options: dict | None = None) -> dict:
    """What the child's bench_task reads: one benchmark configuration of one artifact."""
    # lazy: 2 ms off this module's import
    from studio.core.backends.registry import backend_entry

    config.validate()
    return {"task": "bench", "artifact": str(artifact), "backend": backend, "backend_entry": backend_entry(backend),
            "runner_options": runner_options or {}, "feed": feed, "config": asdict(config)}


def bench_job(artifact: str, backend: str, feed: dict, config: BenchConfig, runner_options: dict | None = None):
    """The benchmark as an executor's Job: the files it reads (the artifact, the model its
    inputs are made for, the data and tokenizer) travel with it to a remote node."""
    # lazy: 37 ms off this module's import
    from studio.core.jobs.executor import Job

    files = [str(artifact), feed.get("model"), feed.get("data"), feed.get("tokenizer")]
    return Job(bench_request(artifact, backend, feed, config, runner_options), "benchmark", where=str(artifact),
               files=tuple(f for f in files if f))


def _start(request: dict, on_samples=None, cancel: threading.Event | None = None, start: str | None = None):
    # lazy: 12 ms off this module's import
    from studio.core.jobs.child_job import run_child
    from studio.core.jobs.launch import JobChild

    child = JobChild(method=start).take()
    return child, lambda: run_child(child, request, on_samples=on_samples, cancel=cancel)


class IsolatedBench:
    """Bench's surface for one configuration (start, stop, wait, result, on_sample), run in a
    child process. `cancel()` ends it without a result (closing the window); `stop()` keeps what
    was measured."""

    def __init__(self, artifact: str, backend: str, feed: dict, config: BenchConfig,
                 on_sample: Callable[[Sample], None] | None = None, runner_options: dict | None = None,
                 start: str | None = None):
        self.artifact, self.on_sample = str(artifact), on_sample
        self.request = bench_request(self.artifact, backend, feed, config, runner_options)
        self._start_method = start
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._child = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._outcome = None
        self._error: BaseException | None = None

    def _deliver(self, batch: list[dict]) -> None:
        if self.on_sample is not None:
            for d in batch:
                self.on_sample(Sample(**d))

    def start(self) -> "IsolatedBench":
        if self._thread is not None:
            raise StudioError("this benchmark was already started")
        # The child starts here, in the caller's thread: a caller with one thread may fork it.
        self._child, run = _start(self.request, self._deliver, self._cancel, self._start_method)

        def main():
            try:
                self._outcome = run()
            except BaseException as e:
                self._error = e
            finally:
                self._done.set()

        self._thread = threading.Thread(target=main, name="isolated-bench", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._child is not None and not self._stopping:
            self._stopping = True
            self._child.send("stop")

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None):
        # lazy: 11 ms off this module's import
        from studio.core.bench.results import RunResult

        if self._thread is None:
            self.start()
        if not self._done.wait(timeout):
            raise StudioError("benchmark still running")
        if self._error is not None:
            raise self._error
        return RunResult.from_dict(self._outcome.payload_or_raise("benchmark", where=self.artifact))

    def run(self):
        return self.start().result()


def _accuracy_request(build, data: str, kwargs: dict) -> dict:
    """What the child's accuracy_task reads: check_build's arguments."""
    return {"task": "accuracy", "kwargs": {"build": str(build), "data": str(data), **kwargs}}


def accuracy_job(build, data: str, **kwargs):
    """The accuracy check as an executor's Job, for another machine: what is found beside the
    build or its source here (the sidecar, the FP32 reference, the tokenizer, labels.txt) is named
    outright and travels with it."""
    # lazy: 46 ms off this module's import
    from studio.core.bench.accuracy import resolve_reference, validation_files
    from studio.core.jobs.executor import Job

    build = Path(build)
    reference, sidecar = resolve_reference(build, kwargs.get("reference"))
    kwargs["tokenizer"], kwargs["labels_file"] = validation_files(
        data, (build, reference), tokenizer=kwargs.get("tokenizer"), labels_file=kwargs.get("labels_file"),
        label_column=kwargs.get("label_column"))
    kwargs.update(reference=str(reference), sidecar=sidecar)
    request = _accuracy_request(build, data, kwargs)
    files = [str(build), str(reference), str(data), kwargs.get("tokenizer"), kwargs.get("labels_file")]
    return Job(request, "accuracy check", where=str(build), files=tuple(f for f in files if f))


def check_build_isolated(build, data: str, *, cancel: threading.Event | None = None, start: str | None = None,
                         **kwargs):
    """studio.core.bench.accuracy.check_build, run in a child process; its AccuracyResult."""
    # lazy: 9 ms off this module's import
    from studio.core.bench.results import AccuracyResult

    _, run = _start(_accuracy_request(build, data, kwargs), cancel=cancel, start=start)
    return AccuracyResult.from_dict(run().payload_or_raise("accuracy check", where=str(build)))

