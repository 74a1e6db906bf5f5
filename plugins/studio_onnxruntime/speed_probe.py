"""Is the build faster than the model it was built from? A short timing at the end of a build.

A rewrite that pays on one model can cost on another (a fusion ORT's session would have made
anyway, casts around an op without a kernel in the precision): a build that made its model
slower must say so where the user looks (the CLI, the window's log, the sidecar), not leave
the discovery to a benchmark run days later.

Both models run in this process with ONNX Runtime, alternately, on the same batches (random
floats for image-like inputs), the source as a user would run it (a default session), the build
with the settings it is measured with. The medians' ratio is the speedup. Two batches, with no
padding (so the padding cut gains nothing here): a long one, and one of short texts as customer
messages are, where what a rewrite adds to every batch weighs most. They run on the cores a
session would use here (at most PROBE_THREADS): a build can be as fast as its source on one thread
and slower on two (MiniLM's FP32 build, 32 x 16 tokens: 0.99x on one thread, 0.93x on two). The
worse of the two batches decides the warning.

A batch that comes out slower is timed again, and the better of the two timings stands: a BERT-base
runs only MIN_RUNS times in the budget, and a moment's load on the machine (the build has just
written 440 MB) once made its FP32 build read 0.57x on 8 x 64, where it runs at 1.00x. A build
slower in both timings warns."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

import numpy as np

from studio_onnxruntime.denormals import SESSION_CONFIG_KEY, flushed
from studio.core.serde import Record

PROBE_SHAPES = ((8, 64), (32, 16))   # (rows, tokens) of each probe batch
PROBE_THREADS = 4                     # more would make a short probe noisy on a big machine
BUDGET_S = 0.5          # per model and batch, after one warm-up run each
MIN_RUNS = 3
_NP = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
       "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_}


@dataclass
class SpeedProbe(Record):
    shape: str              # what was fed, e.g. "8 x 64"
    source_ms: float
    build_ms: float

    @property
    def speedup(self) -> float:
        return self.source_ms / self.build_ms if self.build_ms > 0 else 0.0

    def to_dict(self) -> dict:
        return {**super().to_dict(), "speedup": round(self.speedup, 3)}

    def warning(self) -> str:
        """'' when the build is faster, else the warning the build gives."""
        if self.speedup >= 1.0:
            return ""
        return (f"this build ran at {self.speedup:.2f}x the speed of the model it was built from on a probe batch "
                f"({self.shape}: {self.build_ms:.1f} ms against {self.source_ms:.1f} ms); "
                f"benchmark both before using it")


def _session(path: str, session_config: dict | None = None, disabled=()):
    # lazy: 23 ms off this module's import
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = min(os.cpu_count() or 1, PROBE_THREADS)
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    for k, v in (session_config or {}).items():
        so.add_session_config_entry(str(k), str(v))
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(disabled) or None)


def probe_feed(sess, rows: int = PROBE_SHAPES[0][0], seq: int = PROBE_SHAPES[0][1]) -> tuple[dict, str]:
    """(a feed for every input of `sess`, a description of its shape). Symbolic dims: the first
    is the batch (`rows`), the others the sequence (`seq`)."""
    rng = np.random.default_rng(0)
    feed, shapes = {}, []
    for i in sess.get_inputs():
        dims = [d if isinstance(d, int) and d > 0 else (rows if k == 0 else seq)
                for k, d in enumerate(i.shape)]
        dtype = _NP.get(i.type)
        if dtype is None:
            raise ValueError(f"input {i.name!r} has type {i.type}")
        name = i.name.lower()
        if np.issubdtype(dtype, np.floating):
            feed[i.name] = rng.standard_normal(dims).astype(dtype)
        elif dtype is np.bool_ or "mask" in name:
            feed[i.name] = np.ones(dims, dtype)
        else:
            high = 2 if "type" in name or "segment" in name else 100
            feed[i.name] = rng.integers(0 if high == 2 else 1, high, dims).astype(dtype)
        shapes.append(" x ".join(map(str, dims)))
    return feed, max(shapes, key=len) if shapes else ""


def measure(source: str, built: str, session_config: dict | None = None, disabled=()) -> list[SpeedProbe]:
    """One SpeedProbe per batch of PROBE_SHAPES (a model whose dims are fixed: one)."""
    src, out = _session(source), _session(built, session_config, disabled)
    flush = str((session_config or {}).get(SESSION_CONFIG_KEY, "0")) == "1"
    probes: list[SpeedProbe] = []
    for rows, seq in PROBE_SHAPES:
        feed, shape = probe_feed(src, rows, seq)
        if all(p.shape != shape for p in probes):
            probe = _time(src, out, feed, shape, flush)
            if probe.speedup < 1.0:
                probe = max(probe, _time(src, out, feed, shape, flush), key=lambda p: p.speedup)
            probes.append(probe)
    return probes


def worst(probes: list[SpeedProbe]) -> SpeedProbe:
    return min(probes, key=lambda p: p.speedup)


def _time(src, out, feed: dict, shape: str, flush: bool) -> SpeedProbe:
    times: dict = {"source": [], "build": []}
    runs = {"source": lambda: src.run(None, feed), "build": lambda: out.run(None, feed)}
    with flushed(flush):
        for run in runs.values():
            run()  # warm-up: first-run allocations and kernel selection
        spent = {k: 0.0 for k in runs}
        while min(len(t) for t in times.values()) < MIN_RUNS or min(spent.values()) < BUDGET_S:
            for key, run in runs.items():  # alternate, so a busy moment costs both alike
                t0 = time.perf_counter()
                run()
                dt = time.perf_counter() - t0
                times[key].append(dt)
                spent[key] += dt
            if max(spent.values()) > 10 * BUDGET_S:
                break
    return SpeedProbe(shape, statistics.median(times["source"]) * 1e3, statistics.median(times["build"]) * 1e3)
