"""TensorRT / TensorRT-RTX runner: deserialize (engine host code disallowed), one execution
context, device buffers, a stream and CUDA events through cuda-python, imported here only and
only when a runner is activated.

Each request is timed the way trtexec times it: events around the input copies (H2D), around
`execute_async_v3` (GPU compute) and around the output copies (D2H), plus the host time spent
enqueueing. The arithmetic (shape binding against the optimization profile, buffer sizes, the
timing split) lives in pure functions below so it is tested without a GPU, against event timings
recorded on a real one (tests/plugins/studio_tensorrt/fixtures)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.backends.runner import InferTiming, Runner, TensorMeta
from studio.core.errors import CapabilityError, ModelError, StudioError

# ------------------------------------------------------------------ pure arithmetic


@dataclass(frozen=True)
class ProfileShapes:
    """One input's shapes in one optimization profile (as get_tensor_profile_shape gives)."""

    name: str
    min: tuple
    opt: tuple
    max: tuple


def bind_shapes(feed_shapes: dict[str, tuple], engine_shapes: dict[str, tuple],
                profile: dict[str, ProfileShapes]) -> dict[str, tuple]:
    """The concrete input shapes to set on the context, checked against the engine's declared
    shapes (-1 = dynamic) and the profile's min/max. Raises a StudioError naming input and dim."""
    out = {}
    for name, decl in engine_shapes.items():
        if name not in feed_shapes:
            raise StudioError(f"input {name!r} missing from the feed")
        got = tuple(int(d) for d in feed_shapes[name])
        if len(got) != len(decl):
            raise StudioError(f"input {name!r}: rank {len(got)} given, engine expects {len(decl)} {tuple(decl)}")
        p = profile.get(name)
        for i, (d, g) in enumerate(zip(decl, got)):
            if d >= 0 and d != g:
                raise StudioError(f"input {name!r}: dim {i} is {g}, engine expects {d}")
            if d < 0 and p is not None and not (p.min[i] <= g <= p.max[i]):
                what = "batch" if i == 0 else f"dim {i}"
                raise StudioError(f"input {name!r}: {what} {g} is outside the engine's optimization profile "
                                  f"[{p.min[i]}, {p.max[i]}]; rebuild with a profile that covers it")
        out[name] = got
    extra = sorted(set(feed_shapes) - set(engine_shapes))
    if extra:
        raise StudioError(f"unexpected input(s) {', '.join(extra)}; the engine takes {', '.join(engine_shapes)}")
    return out


def buffer_bytes(shape: tuple, itemsize: int) -> int:
    if any(int(d) < 0 for d in shape):
        raise StudioError(f"shape {tuple(shape)} is not fully known (set the input shapes first)")
    return int(np.prod(shape, dtype=np.int64)) * int(itemsize)


def grow_capacity(current: int, needed: int) -> int:
    """Device buffers only grow, to the next power of two, so a run over varying sequence lengths
    reallocates a handful of times rather than per request. 0 = keep the current buffer."""
    if needed <= current:
        return 0
    cap = 256
    while cap < needed:
        cap *= 2
    return cap


def split_from_events(ev_ms: dict, enqueue_s: float, wall_s: float) -> InferTiming:
    """InferTiming from elapsed times between the events recorded on the stream, in trtexec's
    terms: `ev_ms` holds h2d (ev0->ev1), compute (ev1->ev2), d2h (ev2->ev3) in milliseconds as
    cudaEventElapsedTime returns them; `enqueue_s` is host time of execute_async_v3, `wall_s` the
    host time of the whole request (copies, enqueue, synchronize)."""
    h2d, compute, d2h = (float(ev_ms[k]) for k in ("h2d", "compute", "d2h"))
    if min(h2d, compute, d2h) < 0:
        raise StudioError(f"negative event interval {ev_ms}: events recorded out of order")
    return InferTiming(latency=wall_s * 1e3, h2d=h2d, compute=compute, d2h=d2h, enqueue=enqueue_s * 1e3)


def check_runnable(lib, gpu, have_cuda_python: bool) -> str | None:
    """Why an engine cannot run here (None = it can): library, cuda-python, GPU, compute capability."""
    if lib is None:
        return "no TensorRT library (install tensorrt, or tensorrt-rtx)"
    if not gpu.present:
        reason = gpu.reason or "no NVIDIA GPU"
        if "GPU" not in reason:
            reason = f"no NVIDIA GPU ({reason})"
        return f"{reason}; {lib.run_requirement()}"
    if not lib.runs_on(gpu.compute_capability):
        return (f"{gpu.name} has compute capability {gpu.cc_text}, which {lib.describe()} cannot run; "
                f"{lib.run_requirement()}" + (" (full TensorRT runs on it)" if lib.is_rtx else ""))
    if not have_cuda_python:
        return ("running a TensorRT engine needs cuda-python for device buffers, streams and events "
                "(pip install cuda-python)")
    return None


# ------------------------------------------------------------------ cuda-python, thin


def import_cudart():
    # cuda-python is an optional dependency, needed only to run an engine
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        from cuda import cudart  # older cuda-python
    return cudart


def _ok(result, what: str):
    err, *rest = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        raise StudioError(f"CUDA error in {what}: {err}")
    return rest[0] if len(rest) == 1 else (rest or None)


class CudaStream:
    """A stream, four events and growable device buffers: everything GPU-side but the engine."""

    EVENTS = 4

    def __init__(self, cudart):
        self.rt = cudart
        self.stream = _ok(cudart.cudaStreamCreate(), "cudaStreamCreate")
        self.events = [_ok(cudart.cudaEventCreate(), "cudaEventCreate") for _ in range(self.EVENTS)]
        self.buffers: dict[str, tuple[int, int]] = {}    # name -> (device ptr, capacity bytes)

    def buffer(self, name: str, nbytes: int) -> int:
        ptr, cap = self.buffers.get(name, (0, 0))
        new = grow_capacity(cap, nbytes)
        if new:
            if ptr:
                _ok(self.rt.cudaFree(ptr), "cudaFree")
            ptr = _ok(self.rt.cudaMalloc(new), "cudaMalloc")
            self.buffers[name] = (int(ptr), new)
        return int(self.buffers[name][0])

    def record(self, i: int) -> None:
        _ok(self.rt.cudaEventRecord(self.events[i], self.stream), "cudaEventRecord")

    def h2d(self, dst: int, arr: np.ndarray) -> None:
        _ok(self.rt.cudaMemcpyAsync(dst, arr.ctypes.data, arr.nbytes,
                                    self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice, self.stream), "H2D copy")

    def d2h(self, arr: np.ndarray, src: int) -> None:
        _ok(self.rt.cudaMemcpyAsync(arr.ctypes.data, src, arr.nbytes,
                                    self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost, self.stream), "D2H copy")

    def synchronize(self) -> None:
        _ok(self.rt.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")

    def elapsed(self) -> dict:
        e = self.events
        return {"h2d": _ok(self.rt.cudaEventElapsedTime(e[0], e[1]), "cudaEventElapsedTime"),
                "compute": _ok(self.rt.cudaEventElapsedTime(e[1], e[2]), "cudaEventElapsedTime"),
                "d2h": _ok(self.rt.cudaEventElapsedTime(e[2], e[3]), "cudaEventElapsedTime")}

    @property
    def handle(self) -> int:
        return int(self.stream)

    def close(self) -> None:
        for ptr, _ in self.buffers.values():
            self.rt.cudaFree(ptr)
        self.buffers.clear()
        for ev in self.events:
            self.rt.cudaEventDestroy(ev)
        self.rt.cudaStreamDestroy(self.stream)


# ------------------------------------------------------------------ the runner


class TensorRTRunner(Runner):
    name = "tensorrt"

    def __init__(self, engine_path, library=None, profile_index: int = 0):
        super().__init__()
        self.path = Path(engine_path)
        self.library = library
        self.profile_index = profile_index
        self.engine = self.context = self.cuda = None

    def why_not_runnable(self) -> str | None:
        # lazy: 5 ms off this module's import
        from studio_tensorrt.library import detect_gpu, library_or_reason

        lib = self.library
        if lib is None:
            lib, _ = library_or_reason()
        try:
            import_cudart()
            have_cuda = True
        except ImportError:
            have_cuda = False
        return check_runnable(lib, detect_gpu(), have_cuda)

    def activate_impl(self) -> None:
        reason = self.why_not_runnable()
        if reason:
            raise CapabilityError(f"cannot run this engine here: {reason}", where=str(self.path))
        # lazy: 5 ms off this module's import
        from studio_tensorrt.library import load_library

        lib = self.library or load_library()
        trt = lib.module
        t0 = time.perf_counter()
        try:
            blob = self.path.read_bytes()
        except OSError as e:
            raise ModelError(f"cannot read engine ({e.strerror})", where=str(self.path)) from None
        self._logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(self._logger)
        runtime.engine_host_code_allowed = False   # engines are code: never run embedded host code
        self.engine = runtime.deserialize_cuda_engine(blob)
        if self.engine is None:
            raise ModelError(f"{lib.describe()} could not deserialize this engine (built by another "
                             "version, or for another GPU?)", where=str(self.path))
        t1 = time.perf_counter()
        self.context = self.engine.create_execution_context()
        self.cuda = CudaStream(import_cudart())
        if self.profile_index:
            self.context.set_optimization_profile_async(self.profile_index, self.cuda.handle)
        t2 = time.perf_counter()
        self.cold_start.load_ms = (t1 - t0) * 1e3
        self.cold_start.context_ms = (t2 - t1) * 1e3
        self.cold_start.extra["library"] = lib.describe()
        e, mode = self.engine, trt.TensorIOMode
        names = [e.get_tensor_name(i) for i in range(e.num_io_tensors)]
        self._inputs = [n for n in names if e.get_tensor_mode(n) == mode.INPUT]
        self._outputs = [n for n in names if e.get_tensor_mode(n) == mode.OUTPUT]
        self._dtype = {n: np.dtype(trt.nptype(e.get_tensor_dtype(n))) for n in names}
        self._declared = {n: tuple(e.get_tensor_shape(n)) for n in names}
        self._profile = {}
        for n in self._inputs:
            if any(d < 0 for d in self._declared[n]):
                mn, op, mx = e.get_tensor_profile_shape(n, self.profile_index)
                self._profile[n] = ProfileShapes(n, tuple(mn), tuple(op), tuple(mx))
        self._bound: dict[str, tuple] = {}

    def deactivate_impl(self) -> None:
        if self.cuda is not None:
            self.cuda.close()
        self.context = self.engine = self.cuda = None

    def infer_impl(self, feed):
        t_start = time.perf_counter()
        shapes = bind_shapes({k: v.shape for k, v in feed.items()},
                             {n: self._declared[n] for n in self._inputs}, self._profile)
        cu, ctx = self.cuda, self.context
        host_in = {}
        for n in self._inputs:
            arr = np.ascontiguousarray(feed[n], dtype=self._dtype[n])
            host_in[n] = arr
            if self._bound.get(n) != shapes[n]:
                ctx.set_input_shape(n, shapes[n])
                self._bound[n] = shapes[n]
            ctx.set_tensor_address(n, cu.buffer(n, arr.nbytes))
        host_out = {}
        for n in self._outputs:
            shape = tuple(ctx.get_tensor_shape(n))
            host_out[n] = np.empty(shape, self._dtype[n])
            ctx.set_tensor_address(n, cu.buffer(n, buffer_bytes(shape, self._dtype[n].itemsize)))
        cu.record(0)
        for n, arr in host_in.items():
            cu.h2d(cu.buffers[n][0], arr)
        cu.record(1)
        t_enq = time.perf_counter()
        if not ctx.execute_async_v3(cu.handle):
            raise StudioError("TensorRT failed to enqueue the inference", where=str(self.path))
        enqueue_s = time.perf_counter() - t_enq
        cu.record(2)
        for n, arr in host_out.items():
            cu.d2h(arr, cu.buffers[n][0])
        cu.record(3)
        cu.synchronize()
        timing = split_from_events(cu.elapsed(), enqueue_s, time.perf_counter() - t_start)
        return host_out, timing

    def _meta(self, names) -> list[TensorMeta]:
        if self.engine is None:
            raise StudioError(f"runner {self.name} is not active", where=str(self.path))
        return [TensorMeta(n, self._dtype[n].name, tuple(d if d >= 0 else "?" for d in self._declared[n]))
                for n in names]

    def input_metadata(self) -> list[TensorMeta]:
        return self._meta(self._inputs)

    def output_metadata(self) -> list[TensorMeta]:
        return self._meta(self._outputs)
