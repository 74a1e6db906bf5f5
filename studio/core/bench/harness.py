"""The benchmark harness (no Qt): cold start, warm-up, a measured window, per-request samples
with the backend's timing split, a lossless live stream, and stop on request.

    bench = Bench(lambda: backend.open_runner(path), feed, BenchConfig(batch=8, duration_s=5))
    bench.start()
    for s in bench.samples():        # live, every sample, in completion order
        plot(s.t, s.latency_ms)
    result = bench.result()          # RunResult (studio.core.bench.results)

Every figure the studio shows comes from here (see studio.core.bench.results for the
definitions). Load patterns are in studio.core.bench.load."""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from studio.core.backends.runner import Runner
from studio.core.bench import stats
from studio.core.bench.inputs import Feed
from studio.core.errors import StudioError

STOP_GRACE_S = 0.05   # stop(): how long result() waits for in-flight requests before finishing


@dataclass(slots=True)
class Sample:
    seq: int                      # completion order within the run
    t: float                      # completion time, seconds since the measured window opened
    latency_ms: float             # end to end (open loop: arrival -> outputs)
    batch: int                    # rows in this request
    client: int = 0
    queue_ms: float | None = None
    inference_ms: float | None = None
    h2d_ms: float | None = None
    compute_ms: float | None = None
    d2h_ms: float | None = None
    enqueue_ms: float | None = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


_END = object()


class SampleStream:
    """Unbounded thread-safe FIFO: producers never block and nothing is dropped; one consumer
    iterates. Bounded only by memory (a 1-hour run at 10k samples/s is ~3 GB: use duration)."""

    def __init__(self):
        self._q: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, s: Sample) -> None:
        self._q.put(s)

    def close(self) -> None:
        self._q.put(_END)

    def __iter__(self) -> Iterator[Sample]:
        while True:
            s = self._q.get()
            if s is _END:
                return
            yield s

    def drain(self, timeout: float = 0.0) -> tuple[list[Sample], bool]:
        """Whatever is queued now (waiting up to `timeout` for the first); and whether the
        stream has ended. For UIs that repaint at a frame rate rather than per sample."""
        out, ended = [], False
        try:
            first = self._q.get(timeout=timeout) if timeout > 0 else self._q.get_nowait()
            while True:
                if first is _END:
                    ended = True
                    break
                out.append(first)
                first = self._q.get_nowait()
        except queue.Empty:
            pass
        return out, ended


@dataclass
class BenchConfig:
    batch: int = 1
    concurrency: int = 1
    warmup_s: float = 0.5
    warmup_iters: int | None = None         # overrides warmup_s
    duration_s: float | None = 10.0
    iterations: int | None = None           # requests; overrides duration_s
    passes: int | None = None               # closed loop: whole passes over the inputs' batches; overrides both
    shared_runner: bool = False             # one session for all clients (else one each)
    # open loop (rate or trace set): arrivals instead of back-to-back requests
    rate: float | None = None               # requests per second, Poisson arrivals
    trace: list | None = None               # arrival times in seconds, replayed
    max_batch: int | None = None            # dynamic batcher on when set
    max_delay_ms: float = 5.0
    drain_s: float | None = None            # open loop: how long to serve the backlog after the last arrival
    seed: int = 0
    max_batch_rows: int | None = None       # the engine's profile limit, when it has one

    @property
    def open_loop(self) -> bool:
        return self.rate is not None or self.trace is not None

    def validate(self) -> None:
        if self.batch < 1:
            raise StudioError(f"batch must be at least 1 (got {self.batch})")
        if self.concurrency < 1:
            raise StudioError(f"concurrency must be at least 1 (got {self.concurrency})")
        if self.passes is not None:
            if self.passes < 1:
                raise StudioError(f"--passes must be at least 1 (got {self.passes})")
            if self.open_loop:
                raise StudioError("whole passes over the inputs are for closed-loop runs: an open loop offers "
                                  "its arrivals for --duration")
        elif self.iterations is not None:
            if self.iterations < 1:
                raise StudioError(f"iterations must be at least 1 (got {self.iterations})")
        elif self.duration_s is None or not self.duration_s > 0:
            raise StudioError(f"--duration must be more than 0 seconds (got {self.duration_s})")
        if self.warmup_s < 0 or (self.warmup_iters is not None and self.warmup_iters < 0):
            raise StudioError("warm-up must not be negative")
        if self.rate is not None and not self.rate > 0:
            raise StudioError(f"--qps must be more than 0 (got {self.rate})")
        if self.trace is not None and (not self.trace or any(b < a for a, b in zip(self.trace, self.trace[1:]))):
            raise StudioError("an arrival trace needs at least one arrival, in non-decreasing time order")
        rows = self.max_batch if self.max_batch else self.batch
        if self.max_batch_rows is not None and rows > self.max_batch_rows:
            raise StudioError(f"batch {rows} is larger than the engine's optimization profile allows "
                              f"(max batch {self.max_batch_rows}); rebuild with a larger profile")

    def describe_load(self) -> dict:
        if not self.open_loop:
            return {"pattern": "closed", "clients": self.concurrency,
                    "sessions": "shared" if self.shared_runner else "one per client"}
        d = {"pattern": "open", "arrivals": "poisson" if self.trace is None else "trace",
             "workers": self.concurrency}
        if self.rate is not None:
            d["offered_rate"] = self.rate
        if self.trace is not None:
            d["trace_arrivals"] = len(self.trace)
        if self.max_batch:
            d["dynamic_batcher"] = {"max_batch": self.max_batch, "max_delay_ms": self.max_delay_ms}
        return d


class Bench:
    """One configuration. start() runs it in a background thread; run() in the caller's."""

    def __init__(self, runner_factory: Callable[[], Runner], feed: Feed, config: BenchConfig,
                 on_sample: Callable[[Sample], None] | None = None, live: bool = False):
        config.validate()
        self.factory = runner_factory
        self.feed = feed
        self.config = config
        self.on_sample = on_sample
        self.stream = SampleStream() if (live or on_sample) else None
        self.stop_event = threading.Event()
        self.records: list[Sample] = []
        self._seq = 0
        self._frozen = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._dispatch: threading.Thread | None = None
        self._result = None
        self._error: BaseException | None = None
        self._finished = threading.Event()
        self.t0: float | None = None          # perf_counter when the measured window opened
        self.t_last: float | None = None      # perf_counter of the last completion
        self.cold_start: dict | None = None
        self.extra: dict = {}                 # load-pattern facts for the result (unfinished, batch sizes)
        self.warnings: list[str] = []

    # ---- used by the load loops
    def record(self, end: float, latency_ms: float, rows: int, client: int, timing=None,
               queue_ms: float | None = None, inference_ms: float | None = None) -> None:
        with self._lock:
            if self._frozen:    # finished after a stop: outside the result
                return
            s = Sample(self._seq, end - self.t0, latency_ms, rows, client, queue_ms, inference_ms)
            if timing is not None:
                s.h2d_ms, s.compute_ms, s.d2h_ms, s.enqueue_ms = timing.h2d, timing.compute, timing.d2h, timing.enqueue
            self._seq += 1
            self.records.append(s)
            if self.t_last is None or end > self.t_last:
                self.t_last = end
        if self.stream is not None:
            self.stream.put(s)

    def first_runner(self) -> Runner:
        """Create and activate a runner, timing its cold start (only the first one is reported)."""
        r = self.factory()
        r.activate()
        return r

    def measure_cold_start(self, runner: Runner, batch_feed: dict) -> None:
        runner.cold_start.first_infer_ms = None
        t0 = time.perf_counter()
        runner.infer_timed(batch_feed)
        first = (time.perf_counter() - t0) * 1e3
        cs = runner.cold_start
        self.cold_start = {"load_ms": cs.load_ms, "context_ms": cs.context_ms, "first_infer_ms": first,
                           **({"extra": cs.extra} if cs.extra else {})}

    # ---- control
    def start(self) -> "Bench":
        if self._thread is not None:
            raise StudioError("this benchmark was already started")
        if self.on_sample is not None:
            self._dispatch = threading.Thread(target=self._dispatch_loop, name="bench-stream", daemon=True)
            self._dispatch.start()
        self._thread = threading.Thread(target=self._main, name="bench", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to end; result() then returns within ~100 ms with what was measured."""
        self.stop_event.set()

    def samples(self) -> Iterator[Sample]:
        if self.stream is None:
            raise StudioError("create the Bench with live=True to stream samples")
        if self.on_sample is not None:
            raise StudioError("samples are delivered to on_sample; do not iterate them too")
        return iter(self.stream)

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the run has finished (result() then returns at once)."""
        return self._finished.wait(timeout)

    def result(self, timeout: float | None = None):
        if self._thread is None:
            self.start()
        if not self._finished.wait(timeout):
            raise StudioError("benchmark still running")
        if self._dispatch is not None:
            self._dispatch.join(timeout)
        if self._error is not None:
            raise self._error
        return self._result

    def run(self):
        return self.start().result()

    def _dispatch_loop(self):
        for s in self.stream:
            try:
                self.on_sample(s)
            except Exception as e:  # a plotting bug must not stop the measurement
                self.warnings.append(f"on_sample raised {type(e).__name__}: {e}")
                self.on_sample = lambda s: None

    def _main(self):
        # lazy: 8 ms off this module's import
        from studio.core.bench import load

        try:
            loop = load.open_loop if self.config.open_loop else load.closed_loop
            loop(self)
            self._result = self._summarize()
        except BaseException as e:  # handed to result() in the caller's thread
            self._error = e
        finally:
            self._finished.set()
            if self.stream is not None:
                self.stream.close()

    def wait_workers(self, threads: list[threading.Thread]) -> None:
        """Join the workers; after a stop request wait only STOP_GRACE_S for in-flight requests
        (they finish on their own and their samples are left out)."""
        while any(t.is_alive() for t in threads):
            if self.stop_event.wait(0.01):
                deadline = time.perf_counter() + STOP_GRACE_S
                for t in threads:
                    t.join(max(0.0, deadline - time.perf_counter()))
                break
        with self._lock:   # freeze what the result holds
            self.records = list(self.records)
            self._frozen = True

    def _summarize(self):
        # lazy: 12 ms off this module's import
        from studio.core.bench.results import RunResult

        cfg = self.config
        recs = list(self.records)
        if not recs:
            if self.stop_event.is_set():
                raise StudioError("stopped before any request completed")
            raise StudioError("no request completed in the measured window; lengthen --duration")
        wall = max((self.t_last or 0) - self.t0, 1e-9)
        if cfg.iterations is None and cfg.passes is None and not self.stop_event.is_set() and not cfg.open_loop:
            wall = max(wall, cfg.duration_s)
        rows = sum(s.batch for s in recs)
        lat = stats.summarize([s.latency_ms for s in recs])
        split = {}
        for key in ("h2d", "compute", "d2h", "enqueue"):
            vals = [getattr(s, key + "_ms") for s in recs if getattr(s, key + "_ms") is not None]
            if vals:
                split[key] = stats.summarize(vals).to_dict()
        qs = [s.queue_ms for s in recs if s.queue_ms is not None]
        inf = [s.inference_ms for s in recs if s.inference_ms is not None]
        warnings = list(self.warnings)
        w = stats.cv_warning(lat)
        if w:
            warnings.append(w)
        if len(recs) < 100:
            warnings.append(f"only {len(recs)} requests measured: P99 and beyond are not meaningful; run longer")
        timed, distinct = self.extra.get("batches_timed", (0, 0))
        if timed < distinct and not self.stop_event.is_set():
            warnings.append(f"timed {timed} of the inputs' {distinct} batches (they differ in length): the figures "
                            f"are those of the first texts only, and a faster build timed more of them; time "
                            f"whole passes over the inputs (--passes 1, the Benchmark panel's passes) or at least "
                            f"{math.ceil(wall * distinct / max(timed, 1))} s")
        if self.extra.get("unfinished"):
            warnings.append(f"{self.extra['unfinished']} arrivals were still waiting at the end: "
                            "the offered rate exceeds what this configuration serves")
        cs = self.cold_start
        if cs and cs.get("first_infer_ms") and lat.p50 > 0:
            cs["first_vs_p50"] = cs["first_infer_ms"] / lat.p50
        return RunResult(
            batch=cfg.max_batch or cfg.batch, concurrency=cfg.concurrency,
            throughput=stats.throughput(rows, wall), requests_per_s=stats.throughput(len(recs), wall),
            latency_ms=lat, requests=len(recs), samples=rows, duration_s=wall, cv=lat.cv,
            load=cfg.describe_load(), timing_split=split,
            queue_ms=stats.summarize(qs) if qs else None, inference_ms=stats.summarize(inf) if inf else None,
            cold_start=cs, histogram=stats.histogram([s.latency_ms for s in recs]),
            batch_sizes=self.extra.get("batch_sizes", {}), unfinished=self.extra.get("unfinished", 0),
            stopped_early=self.stop_event.is_set(), warnings=warnings)
