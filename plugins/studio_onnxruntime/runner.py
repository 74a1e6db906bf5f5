"""ONNX Runtime runner (CPU, and the CUDA provider where this onnxruntime has it).

Cold start is split the way the studio reports it: `load_ms` reads the model file,
`context_ms` creates the session (parse + graph optimization + kernel setup), and the base
class records the first inference. `InferenceSession.run` is thread-safe, so one activated
runner may be shared by several client threads (Runner.infer_timed)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from studio.core.backends.runner import InferTiming, Runner, TensorMeta
from studio.core.errors import CapabilityError, ModelError, StudioError

from studio_onnxruntime.denormals import SESSION_CONFIG_KEY, flushed

_DTYPES = {
    "tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
    "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int8)": "int8", "tensor(uint8)": "uint8",
    "tensor(bool)": "bool", "tensor(bfloat16)": "bfloat16",
}
_PROVIDER_ALIASES = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


def resolve_providers(providers) -> list[str]:
    # lazy: 23 ms off this module's import
    import onnxruntime as ort

    wanted = [_PROVIDER_ALIASES.get(p.lower(), p) for p in (providers or ["cpu"])]
    available = ort.get_available_providers()
    missing = [p for p in wanted if p not in available]
    if missing:
        raise CapabilityError(f"ONNX Runtime provider(s) {', '.join(missing)} not available here "
                              f"(this onnxruntime has {', '.join(available)}); "
                              "CUDA needs the onnxruntime-gpu package and an NVIDIA GPU")
    if "CPUExecutionProvider" not in wanted:
        wanted.append("CPUExecutionProvider")  # fallback for ops the GPU provider lacks
    return wanted


class OnnxRuntimeRunner(Runner):
    name = "onnxruntime"

    def __init__(self, path, providers=None, intra_op_threads: int | None = None,
                 inter_op_threads: int | None = None, graph_optimization: str = "all",
                 session_config: dict | None = None):
        super().__init__()
        self.path = Path(path)
        self.providers = resolve_providers(providers)
        self.intra_op_threads = intra_op_threads
        self.inter_op_threads = inter_op_threads
        self.graph_optimization = graph_optimization
        self.session_config = dict(session_config or {})
        self.session = None
        self._flush_denormals = False

    def activate_impl(self) -> None:
        # lazy: 23 ms off this module's import
        import onnxruntime as ort

        t0 = time.perf_counter()
        try:
            model_bytes = self.path.read_bytes()
        except OSError as e:
            raise ModelError(f"cannot read model ({e.strerror})", where=str(self.path)) from None
        t1 = time.perf_counter()
        so = ort.SessionOptions()
        if self.intra_op_threads:
            so.intra_op_num_threads = int(self.intra_op_threads)
        if self.inter_op_threads:
            so.inter_op_num_threads = int(self.inter_op_threads)
        so.graph_optimization_level = {
            "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[self.graph_optimization]
        # Models with external data are opened from bytes too: tell ORT where the data lives.
        so.add_session_config_entry("session.model_external_initializers_file_folder_path", str(self.path.parent))
        details = self._build_details()
        # The session settings the build was made and measured with (its sidecar), then the caller's.
        config = {**(details.get("ort_session_config") or {}), **self.session_config}
        for k, v in config.items():
            so.add_session_config_entry(str(k), str(v))
        self._flush_denormals = str(config.get(SESSION_CONFIG_KEY, "0")) == "1"
        try:
            # ONNX Runtime also flips the flags of the thread that creates the process's first
            # session, for good: leaving flushed() puts this thread's back as they were.
            with flushed(self._flush_denormals):
                self.session = ort.InferenceSession(model_bytes, sess_options=so, providers=self.providers,
                                                    disabled_optimizers=_strings(details.get("ort_disabled_optimizers")) or None)
        except Exception as e:
            raise ModelError(f"ONNX Runtime cannot open the model: {str(e).splitlines()[0][:300]}",
                             where=str(self.path)) from None
        t2 = time.perf_counter()
        self.cold_start.load_ms = (t1 - t0) * 1e3
        self.cold_start.context_ms = (t2 - t1) * 1e3
        self.cold_start.extra["providers"] = self.session.get_providers()
        self._out_names = [o.name for o in self.session.get_outputs()]

    def _build_details(self) -> dict:
        """What the build's sidecar says about running it: ORT optimizers it left off on purpose
        (a session at level 'all' would fuse them back in at load) and the session settings it
        was measured with. A model without a sidecar gets ORT's defaults."""
        # lazy: 7 ms off this module's import
        import json

        from studio.core.backends.base import sidecar_path

        try:
            side = json.loads(sidecar_path(self.path).read_text(encoding="utf-8"))
            details = side.get("backend_details") or {}
        except (OSError, ValueError, AttributeError):
            return {}
        return details if isinstance(details, dict) else {}

    def deactivate_impl(self) -> None:
        self.session = None

    def infer_impl(self, feed: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], InferTiming | None]:
        if self._flush_denormals:
            with flushed():
                outs = self.session.run(self._out_names, feed)
        else:  # not even an idle context manager: the harness's per-request cost is counted in us
            outs = self.session.run(self._out_names, feed)
        return dict(zip(self._out_names, outs)), None

    def _meta(self, args) -> list[TensorMeta]:
        return [TensorMeta(a.name, _DTYPES.get(a.type, a.type),
                           tuple(d if isinstance(d, int) else (d or "?") for d in a.shape)) for a in args]

    def input_metadata(self) -> list[TensorMeta]:
        self._need_session()
        return self._meta(self.session.get_inputs())

    def output_metadata(self) -> list[TensorMeta]:
        self._need_session()
        return self._meta(self.session.get_outputs())

    def _need_session(self):
        if self.session is None:
            raise StudioError(f"runner {self.name} is not active", where=str(self.path))


def _strings(found) -> list[str]:
    return [str(o) for o in found] if isinstance(found, list) else []
