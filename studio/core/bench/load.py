"""Load patterns: a closed loop of N clients sending back to back, and an open loop where
requests arrive on their own schedule (Poisson at a target rate, or a replayed trace) and wait
in a queue, optionally merged by the dynamic batcher. The open loop reports queueing delay
apart from inference, which is where batching's latency/throughput trade-off shows.

Both run client threads around runners: each client gets its own runner (session / context)
unless `shared_runner`, where all share one thread-safe session."""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from pathlib import Path

import numpy as np

from studio.core.bench.batcher import Batch, DynamicBatcher, Request
from studio.core.errors import DataError


def poisson_arrivals(rate: float, duration_s: float, seed: int = 0) -> list[float]:
    """Arrival times (s) of a Poisson process at `rate` per second over `duration_s`."""
    rng = np.random.default_rng(seed)
    n = max(16, int(rate * duration_s * 1.5) + 16)
    t = np.cumsum(rng.exponential(1.0 / rate, size=n))
    while t[-1] < duration_s:   # very rare: top up
        t = np.concatenate([t, t[-1] + np.cumsum(rng.exponential(1.0 / rate, size=n))])
    return [float(x) for x in t[t < duration_s]]


def load_trace(path) -> list[float]:
    """Arrival times from a file: a JSON list of seconds, or text with one time per line
    (a `#` starts a comment). Shifted so the first arrival is at 0."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise DataError(f"cannot read arrival trace ({e.strerror})", where=str(p)) from None
    times: list[float] = []
    if text.lstrip().startswith("["):
        try:
            times = [float(x) for x in json.loads(text)]
        except (ValueError, TypeError) as e:
            raise DataError(f"arrival trace is not a JSON list of seconds ({e})", where=str(p)) from None
    else:
        for i, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                times.append(float(line))
            except ValueError:
                raise DataError(f"not a time in seconds: {line!r}", where=f"{p}:{i}") from None
    if not times:
        raise DataError("arrival trace is empty", where=str(p))
    if any(b < a for a, b in zip(times, times[1:])):
        raise DataError("arrival times must be in non-decreasing order", where=str(p))
    return [t - times[0] for t in times]


def _warm_up(bench, runner, batches, client: int, n_clients: int) -> None:
    cfg = bench.config
    if cfg.warmup_iters is not None:
        n = -(-cfg.warmup_iters // n_clients)
        for i in range(n):
            if bench.stop_event.is_set():
                return
            runner.infer_timed(batches[i % len(batches)])
        return
    end = time.perf_counter() + cfg.warmup_s
    i = 0
    while time.perf_counter() < end and not bench.stop_event.is_set():
        runner.infer_timed(batches[(client + i) % len(batches)])
        i += 1


class _Runners:
    """Client runners: one each, or one shared; the first one's cold start is measured."""

    def __init__(self, bench, n: int, cold_batch: dict):
        self.bench = bench
        first = bench.first_runner()
        bench.measure_cold_start(first, cold_batch)
        self.shared = first if bench.config.shared_runner else None
        self.first = first
        self._left = n
        self._lock = threading.Lock()

    def get(self, client: int):
        if self.shared is not None:
            return self.shared
        if client == 0:
            return self.first
        return self.bench.first_runner()

    def release(self, client: int, runner) -> None:
        if self.shared is None:
            runner.deactivate()
            return
        with self._lock:
            self._left -= 1
            if self._left == 0:
                runner.deactivate()


def _ready_client(bench, runners: _Runners, batches, c: int, n: int, barrier: threading.Barrier,
                  errors: list) -> object | None:
    """A client's start: its runner, warmed up, then the common start line. None (runner
    released) when any client failed to get that far: the run is off."""
    runner = None
    try:
        runner = runners.get(c)
        _warm_up(bench, runner, batches, c, n)
    except BaseException as e:
        errors.append(e)
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    if errors:
        if runner is not None:
            runners.release(c, runner)
        return None
    return runner


def _split(timing):
    """The backend's timing split, when it has one beyond wall time."""
    return timing if timing.h2d is not None or timing.compute is not None else None


def closed_loop(bench) -> None:
    cfg = bench.config
    batches = bench.feed.batches(cfg.batch)
    runners = _Runners(bench, cfg.concurrency, batches[0])
    n = cfg.concurrency
    # The action runs before any client is released, so no sample can precede t0.
    start = threading.Barrier(n + 1, action=lambda: setattr(bench, "t0", time.perf_counter()))
    tickets = itertools.count()
    limit = cfg.passes * len(batches) if cfg.passes else cfg.iterations   # requests, or None: for duration_s
    errors: list[BaseException] = []
    timed: set[int] = set()   # which of the batches were timed (set.add is atomic under the GIL)

    def client(c: int):
        runner = _ready_client(bench, runners, batches, c, n, start, errors)
        if runner is None:
            return
        try:
            t_end = bench.t0 + cfg.duration_s if limit is None else None
            while not bench.stop_event.is_set():
                # One counter for all clients hands out the batches in turn: N whole passes time
                # every batch N times, however the clients' speeds differ.
                ticket = next(tickets)
                done = ticket >= limit if limit is not None else time.perf_counter() >= t_end
                if done:
                    break
                k = ticket % len(batches)
                t0 = time.perf_counter()
                _, timing = runner.infer_timed(batches[k])
                t1 = time.perf_counter()
                bench.record(t1, (t1 - t0) * 1e3, cfg.batch, c, _split(timing))
                timed.add(k)
        except BaseException as e:
            errors.append(e)
            bench.stop_event.set()
        finally:
            runners.release(c, runner)

    threads = [threading.Thread(target=client, args=(c,), name=f"bench-client-{c}", daemon=True) for c in range(n)]
    for t in threads:
        t.start()
    start.wait()
    bench.wait_workers(threads)
    if errors:
        raise errors[0]
    # Batches of different shapes (texts at their own lengths) cost differently: a run that timed
    # only some of them measured those texts, not the data, and says so.
    if len({tuple(a.shape for a in b.values()) for b in batches}) > 1:
        bench.extra["batches_timed"] = (len(timed), len(batches))


def open_loop(bench) -> None:
    cfg = bench.config
    rows_per_request = 1 if cfg.max_batch else cfg.batch
    warm_rows = cfg.max_batch or cfg.batch
    warm_batches = bench.feed.batches(warm_rows, limit=8)
    runners = _Runners(bench, cfg.concurrency, warm_batches[0])
    duration = cfg.duration_s if cfg.duration_s else 0.0
    arrivals = list(cfg.trace) if cfg.trace is not None else poisson_arrivals(cfg.rate, duration, cfg.seed)
    if cfg.iterations is not None:
        arrivals = arrivals[: cfg.iterations]
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    n = cfg.concurrency
    ready = threading.Barrier(n + 1, action=lambda: setattr(bench, "t0", time.perf_counter()))
    errors: list[BaseException] = []
    served = [0]
    sizes: dict[int, int] = {}
    lock = threading.Lock()

    def worker(c: int):
        runner = _ready_client(bench, runners, warm_batches, c, n, ready, errors)
        if runner is None:
            return
        try:
            while not errors:
                job = jobs.get()
                if job is None or bench.stop_event.is_set():
                    break
                reqs = job.requests
                indices = [i for r in reqs for i in r.indices]
                feed = bench.feed.make_batch(indices)
                t0 = time.perf_counter()
                _, timing = runner.infer_timed(feed)
                t1 = time.perf_counter()
                inf_ms = (t1 - t0) * 1e3
                split = _split(timing)
                for r in reqs:
                    arrival = bench.t0 + r.arrival
                    bench.record(t1, (t1 - arrival) * 1e3, r.rows, c, split,
                                 queue_ms=(t0 - arrival) * 1e3, inference_ms=inf_ms)
                with lock:
                    served[0] += len(reqs)
                    sizes[len(indices)] = sizes.get(len(indices), 0) + 1
        except BaseException as e:
            errors.append(e)
            bench.stop_event.set()
        finally:
            runners.release(c, runner)

    threads = [threading.Thread(target=worker, args=(c,), name=f"bench-worker-{c}", daemon=True) for c in range(n)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = bench.t0
    batcher = DynamicBatcher(cfg.max_batch, cfg.max_delay_ms / 1e3) if cfg.max_batch else None
    feed_n = bench.feed.n

    def emit(batches: list[Batch]):
        for b in batches:
            jobs.put(b)

    k = 0
    while k < len(arrivals) and not bench.stop_event.is_set() and not errors:
        now = time.perf_counter() - t0
        due = arrivals[k]
        dl = batcher.deadline() if batcher else None
        nxt = min(due, dl) if dl is not None else due
        if nxt > now:
            bench.stop_event.wait(min(nxt - now, 0.05))   # wakes at once on stop()
            continue
        if batcher and dl is not None and dl <= due:
            emit(batcher.poll(dl))
            continue
        idx = [(k * rows_per_request + j) % feed_n for j in range(rows_per_request)]
        req = Request(k, due, idx)
        if batcher:
            emit(batcher.add(req, now))
        else:
            emit([Batch([req], now, "request")])
        k += 1
    if batcher:
        while batcher.pending and not bench.stop_event.is_set():
            dl = batcher.deadline()
            now = time.perf_counter() - t0
            if dl > now:
                bench.stop_event.wait(dl - now)
            emit(batcher.poll(max(dl, now)))
    # serve the backlog, then release the workers
    drain = cfg.drain_s if cfg.drain_s is not None else max(1.0, duration)
    end = time.perf_counter() + drain
    while served[0] < k and time.perf_counter() < end and not bench.stop_event.is_set() and not errors:
        time.sleep(0.002)
    unfinished = k - served[0]
    if unfinished:
        bench.stop_event.set()
    for _ in threads:
        jobs.put(None)
    bench.wait_workers(threads)
    # counted from the frozen records: a request in flight at the end is either in or out, once
    bench.extra["unfinished"] = len(arrivals) - len(bench.records)
    bench.extra["batch_sizes"] = dict(sorted(sizes.items()))
    if errors:
        raise errors[0]
    if unfinished:
        bench.stop_event.clear()   # the run was not stopped by the user
