"""The `tensorrt` backend: one adapter over full TensorRT (10/11) and TensorRT-RTX."""

from __future__ import annotations

from pathlib import Path

from studio.core.backends.base import BuildConfig, BuildResult, Capabilities, PrecisionTarget
from studio.core.errors import StudioError
from studio.core.precision.prepare import PRECISION_OPTIONS
from studio.core.progress import TaskState

from studio_tensorrt.builder import PRECISION_TARGET, build_engine, layer_report_path
from studio_tensorrt.library import detect_gpu, library_or_reason, load_library

STRONGLY_TYPED = "made in the ONNX model (strongly typed: casts / Q/DQ)"
# A serialized plan starts with one of these (TensorRT 8-11, TensorRT-RTX).
PLAN_MAGIC = (b"vtrt", b"ftrt", b"ptrt")
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")


# Build options (BuildConfig.options; `engine-studio build --option KEY=VALUE`) this backend reads.
TRT_OPTIONS = {
    "library": "'tensorrt' or 'tensorrt_rtx': which builder library to load (default: full TensorRT if importable)",
    "verbose": "forward the builder's verbose log lines (default false)",
}


class TensorRTBackend:
    name = "tensorrt"
    display_name = "TensorRT"
    artifact_suffix = ".engine"
    version_bound = True     # a plan deserializes only with the library version that built it
    libraries = {"tensorrt_rtx": ("tensorrt-rtx", "tensorrt_rtx"),
                 "tensorrt": ("tensorrt", "tensorrt-cu13", "tensorrt-cu12")}

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
        config.check_options(TRT_OPTIONS | PRECISION_OPTIONS)
        self.capabilities().check_precision(config.precision)
        return build_engine(config, state, load_library(self._prefer) if self._prefer else None)

    def open_runner(self, artifact: str, *, threads: int | None = None, as_written: bool = False, **options):
        # The runner imports CUDA bindings; only a run pays for them. `threads` does not apply:
        # the engine computes on the GPU, and an engine is always run as it was built.
        # lazy: 47 ms off this module's import
        from studio_tensorrt.runner import TensorRTRunner

        return TensorRTRunner(artifact, **options)

    def recognizes(self, path: Path, head: bytes) -> bool:
        return head[:4] in PLAN_MAGIC or path.suffix.lower() in ENGINE_SUFFIXES

    def plan_readers(self):
        # Imported when a report is read: a build loads this module and must not pay for the
        # readers and numpy (python -X importtime: this module in ~50 ms instead of ~130 ms).
        from studio_tensorrt import inspector_json, tensorrt_log, trtexec_layerinfo

        # trtexec's files are inspector JSON with trtexec's names: the more specific first.
        return (trtexec_layerinfo, inspector_json, tensorrt_log)

    def layer_report(self, artifact: Path, sidecar: dict | None) -> Path:
        """The builder's `Layers:` report saved at build time: an engine is code, and the studio
        does not deserialize one to inspect it."""
        names = []
        if sidecar and sidecar.get("layer_report"):
            names.append(artifact.with_name(sidecar["layer_report"]))
        names.append(layer_report_path(artifact))
        for candidate in names:
            if candidate.is_file():
                return candidate
        if sidecar is None:
            raise StudioError("an engine without the studio's sidecar: its layers cannot be read without "
                              "deserializing it; give the builder's `Layers:` log or inspector JSON instead",
                              str(artifact))
        raise StudioError(f"no layer report beside this engine (expected {layer_report_path(artifact).name}); "
                          "rebuild it with the studio", str(artifact))

    def precision_target(self) -> PrecisionTarget:
        return PRECISION_TARGET

    def import_trtexec(self, times: str | None = None, profile: str | None = None, **what):
        """A run made by trtexec on a GPU server, as studio results (trtexec_import.py)."""
        # lazy: 78 ms off this module's import (numpy), kept out of a build's start-up
        from studio_tensorrt import trtexec_import

        return trtexec_import.import_trtexec(times, profile, **what)

    def inspect_artifact(self, artifact: str, sidecar: dict | None, trusted: bool) -> dict:
        """Plan-header facts for `engine-studio check`; never deserializes the engine."""
        # lazy: 4 ms off this module's import
        from studio_tensorrt.plan_header import inspect_plan

        return inspect_plan(artifact, sidecar, trusted)
