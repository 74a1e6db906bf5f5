"""A sequence of benchmark runs, here or on a cluster's target: what the window's Benchmark panel
and `engine-studio bench` both run (through studio.core.session).

Each run is one configuration of one build. Here it is measured in a child process
(studio.core.bench.isolated), so a runtime that crashes costs one failed run; on a cluster it is a
benchmark job on the named target. Either way live samples stream to `on_sample` as (run key,
Sample) and each finished run goes to `on_result`.

    with BenchSequence(inputs, declared, on_sample=plot) as seq:    # leaving it lets a cluster go
        out = seq.run([BenchRun(entry, BenchConfig(batch=8), "fp32 batch 8")])   # [(run, RunResult)]
    seq.stop()      # from another thread: the run in progress ends with what it measured here
    seq.cancel()    # nothing of the run in progress is kept; its result raises Cancelled

Stop and cancel act at once (they reach the child or the remote job directly), never by a poll."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from studio.core.bench.harness import BenchConfig, Sample
from studio.core.bench.isolated import IsolatedBench, bench_job, feed_spec
from studio.core.bench.results import RunResult
from studio.core.errors import Cancelled

if TYPE_CHECKING:
    from studio.core.jobs.build_job import BuildEntry


@dataclass(frozen=True)
class BenchRun:
    """One configuration of one build, and how the front end names it."""

    entry: BuildEntry      # its artifact, backend, and the model the inputs are made for
    config: BenchConfig
    label: str = ""
    key: str = ""          # the live plots' series; the artifact when not given

    @property
    def series(self) -> str:
        return self.key or self.entry.key


class BenchSequence:
    """Runs measured one after another with the same inputs and runner options, here or on
    `remote` ((cluster address, target name)). Its methods stop and cancel may be called from
    any thread."""

    def __init__(self, inputs: dict, declared: dict, *, remote: tuple[str, str | None] | None = None,
                 runner_options: dict | None = None,
                 on_sample: Callable[[str, Sample], None] | None = None,
                 on_run: Callable[[BenchRun], None] | None = None,
                 on_result: Callable[[BenchRun, RunResult], None] | None = None):
        self.inputs, self.declared = inputs, declared     # studio.core.bench.inputs.declare_inputs
        self.remote, self.runner_options = remote, runner_options or {}
        self.on_sample, self.on_run, self.on_result = on_sample, on_run, on_result
        self._lock = threading.Lock()
        self._stopped, self._cancelled = False, False
        self._current: IsolatedBench | None = None
        self._remote_end = threading.Event()   # ends the remote run in progress (stop or cancel)
        self._executor = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def runner(self, entry: BuildEntry, shared: bool = False) -> dict:
        """How a build's runs were measured, as its results record it."""
        info = {"name": entry.result.backend, "sessions": "shared" if shared else "one per client",
                **{k: v for k, v in self.runner_options.items() if v is not None}}
        if self.remote is not None:
            info.update(cluster=self.remote[0], target=self.remote[1])
        return info

    def inputs_of(self, results) -> dict:
        """What runs were fed: the declaration (the user's file, column, tokenizer: the caller's
        paths, also for runs on a cluster) with what the feed measured of it (samples, lengths)."""
        fed = next((r.feed for r in results if r.feed), None) or {}
        return {**fed, **self.declared}

    def run(self, runs: list[BenchRun]) -> list[tuple[BenchRun, RunResult]]:
        """Each run in turn until all are measured or the sequence is stopped."""
        out = []
        for run in runs:
            res = self.measure(run)
            if res is None:
                break
            out.append((run, res))
        return out

    def measure(self, run: BenchRun) -> RunResult | None:
        """One run's result; None when the sequence was stopped before it, or stopped while it
        ran on a cluster (a remote run keeps nothing it has not finished)."""
        if self._stopped:
            return None
        if self.on_run is not None:
            self.on_run(run)
        key = run.series
        on_sample = None if self.on_sample is None else (lambda s: self.on_sample(key, s))
        e = run.entry
        if self.remote is None:
            with self._lock:
                if self._stopped:
                    return None
                bench = self._current = IsolatedBench(e.result.output, e.result.backend, self._feed(e), run.config,
                                                      on_sample=on_sample, runner_options=self.runner_options)
                bench.start()
            try:
                res = bench.result()
            finally:
                self._current = None
        else:
            res = self._measure_remote(run, on_sample)
            if res is None:
                return None
        if self.on_result is not None:
            self.on_result(run, res)
        return res

    def _feed(self, entry: BuildEntry) -> dict:
        return feed_spec(entry.config.model, **self.inputs)

    def _measure_remote(self, run: BenchRun, on_sample) -> RunResult | None:
        # lazy: 37 ms off this module's import (the executor), for runs on a cluster only
        from studio.core.jobs.executor import executor_for

        address, target = self.remote
        if self._executor is None:
            self._executor = executor_for(address)
        e = run.entry
        job = bench_job(e.result.output, e.result.backend, self._feed(e), run.config, self.runner_options)
        deliver = None if on_sample is None else (lambda batch: [on_sample(Sample(**d)) for d in batch])
        try:
            ran = self._executor.run(job, target=target, cancel=self._remote_end, on_samples=deliver)
        except Cancelled:
            if self._cancelled:
                raise
            return None
        return RunResult.from_dict(ran.payload)

    def stop(self) -> None:
        """No more runs; the one in progress here ends with what it measured."""
        with self._lock:
            self._stopped = True
            self._remote_end.set()
            if self._current is not None:
                self._current.stop()

    def cancel(self) -> None:
        """No more runs; the one in progress ends without a result (its caller gets Cancelled)."""
        with self._lock:
            self._stopped = self._cancelled = True
            self._remote_end.set()
            if self._current is not None:
                self._current.cancel()

    def __enter__(self) -> "BenchSequence":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Let the cluster go, if runs went there."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None
