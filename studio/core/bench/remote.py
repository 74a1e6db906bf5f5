"""A benchmark panel's runs on a cluster's target: each run a benchmark job there, its live
samples streamed back as a local run's are (studio.core.bench.isolated runs them here)."""

from __future__ import annotations

import threading

from studio.core.bench.harness import Sample
from studio.core.bench.isolated import bench_job, feed_spec
from studio.core.bench.results import RunResult
from studio.core.errors import Cancelled
from studio.core.jobs.executor import executor_for
from studio.core.jobs.targets import Target


def remote_runs(remote: tuple[str, Target], runs, inputs: dict, buf, cancel: threading.Event, stop: threading.Event,
                emit) -> list:
    """`runs` ((BuildEntry, BenchConfig, label) each) as benchmark jobs on `remote` (cluster
    address, target), their live samples streamed into `buf` as (run key, Sample) and each
    result passed to `emit` as ("result", key, RunResult), as the local runs' are. Stop or
    cancel ends the run in progress there without a result (a remote run keeps nothing it has
    not finished); the runs before it stay."""
    address, target = remote
    executor = executor_for(address)
    out = []
    try:
        for i, (e, cfg, run_label) in enumerate(runs):
            if cancel.is_set() or stop.is_set():
                break
            key = f"{e.key}|{i}"
            emit(("run", key, run_label))
            ended, finished = threading.Event(), threading.Event()

            def relay(ended=ended, finished=finished):   # either of the caller's events ends the remote run
                while not finished.wait(0.05):
                    if cancel.is_set() or stop.is_set():
                        ended.set()
                        return
            threading.Thread(target=relay, name="bench-remote-cancel", daemon=True).start()
            job = bench_job(e.result.output, e.result.backend, feed_spec(e.config.model, **inputs), cfg)
            try:
                ran = executor.run(job, target=target.name, cancel=ended,
                                   on_samples=lambda batch, key=key: buf.extend((key, Sample(**d)) for d in batch))
            except Cancelled:
                break
            finally:
                finished.set()
            res = RunResult.from_dict(ran.payload)
            emit(("result", key, res))
            out.append((e, res))
    finally:
        executor.close()
    return out
