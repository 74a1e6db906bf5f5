"""The `tensorrt` backend: one adapter over full TensorRT (10/11) and TensorRT-RTX."""

from __future__ import annotations

from studio.core.backends.base import BuildConfig, BuildResult, Capabilities
from studio.core.jobs.progress import TaskState

from studio_tensorrt.builder import build_engine
from studio_tensorrt.library import detect_gpu, library_or_reason, load_library

STRONGLY_TYPED = "made in the ONNX model (strongly typed: casts / Q/DQ)"


def _fp8_reason() -> str | None:
    try:
        from studio.core.precision import prepare
    except ImportError:
        return "the precision passes (studio.core.precision) are not installed"
    if getattr(prepare, "FP8_SUPPORTED", False):
        return None
    return ("the studio has no FP8 calibration pass yet (TensorRT-RTX itself builds FP8 Q/DQ models; "
            "FP8 engines run on compute capability 8.9 and 12.x)")


# Build options (BuildConfig.options; `engine-studio build --option KEY=VALUE`) this backend reads.
TRT_OPTIONS = {
    "library": "'tensorrt' or 'tensorrt_rtx': which builder library to load (default: full TensorRT if importable)",
    "verbose": "forward the builder's verbose log lines (default false)",
}


class TensorRTBackend:
    name = "tensorrt"
    display_name = "TensorRT"
    artifact_suffix = ".engine"

    def __init__(self, prefer: str | None = None):
        self._prefer = prefer
        self._caps: Capabilities | None = None

    @property
    def library(self):
        return library_or_reason(self._prefer)[0]

    def capabilities(self) -> Capabilities:
        if self._caps is not None:
            return self._caps
        lib, why = library_or_reason(self._prefer)
        if lib is None:
            self._caps = Capabilities(precisions={p: why for p in ("fp32", "fp16", "bf16", "int8", "fp8")},
                                      build_needs_gpu=True, run_needs_gpu=True, layer_profiling=False,
                                      can_run_here=why, notes=why or "")
            return self._caps
        gpu = detect_gpu()
        if not gpu.present:
            run_here = f"{gpu.reason or 'no NVIDIA GPU'}: {lib.run_requirement()}"
        elif not lib.runs_on(gpu.compute_capability):
            run_here = f"{gpu.name} has compute capability {gpu.cc_text}: {lib.run_requirement()}"
        else:
            run_here = None
        precisions = {"fp32": None, "fp16": None, "bf16": None, "int8": None, "fp8": None}
        if not lib.is_rtx and lib.version_tuple < (10,):
            precisions["fp8"] = f"{lib.describe()} predates FP8 Q/DQ in the ONNX parser (TensorRT 10+)"
        else:
            # The library takes FP8 Q/DQ: TensorRT-RTX 1.7 builds a float8e4m3 Q/DQ MatMul on the
            # CPU (tests/plugins/studio_tensorrt/test_trt_fp8.py). What is missing is the pass
            # that calibrates and places FP8 Q/DQ in a model; until the precision package
            # offers one, say so instead of failing halfway through a build.
            precisions["fp8"] = _fp8_reason()
        self._caps = Capabilities(
            precisions=precisions,
            build_needs_gpu=not lib.is_rtx,
            run_needs_gpu=True,
            layer_profiling=True,
            timing_cache=not lib.is_rtx,
            library=lib.describe(),
            can_run_here=run_here,
            notes=(f"precision is {STRONGLY_TYPED}; "
                   + ("builds on the CPU ahead of time; timing caches are no-ops; "
                      "fp8 engines run on compute capability 8.9 and 12.x only" if lib.is_rtx
                      else "builds need the GPU the engine will run on")),
        )
        return self._caps

    def build(self, config: BuildConfig, state: TaskState) -> BuildResult:
        from studio.core.precision.prepare import PRECISION_OPTIONS

        config.check_options(TRT_OPTIONS | PRECISION_OPTIONS)
        self.capabilities().check_precision(config.precision)
        return build_engine(config, state, load_library(self._prefer) if self._prefer else None)

    def open_runner(self, artifact: str, **options):
        from studio_tensorrt.runner import TensorRTRunner  # engineer F's GPU runner

        return TensorRTRunner(artifact, **options)

    def inspect_artifact(self, artifact: str, sidecar: dict | None, trusted: bool) -> dict:
        """Plan-header facts for `engine-studio check`; never deserializes the engine."""
        from studio_tensorrt.plan_header import inspect_plan

        return inspect_plan(artifact, sidecar, trusted)
