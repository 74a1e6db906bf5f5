"""The `onnxruntime` backend. Its "engine" is the optimized model: transformer fusions where
the model is BERT-like (their attention core moved to ONNX's Attention op, rewrites.py), a
precision recipe chosen for the CPU, ORT's graph optimizer run once offline, then a batch's
padding past its longest row cut off (padding.py; keys and values only, rewrites.py, where the
outputs depend on padding), FFNs set to run in row chunks that stay in cache (ffn_chunks.py), and
saved."""

from __future__ import annotations

from pathlib import Path

from studio.core.backends.base import BuildConfig, BuildResult, Capabilities, PrecisionTarget
from studio.core.progress import TaskState

from studio_onnxruntime import ort_optimized

CPU_FP16_NOTE = ("runs on the CPU provider but is usually slower than fp32 there (few fp16 kernels, "
                 "casts around the rest); meaningful with the CUDA provider")


def _ort():
    # lazy: 25 ms off this module's import
    import onnxruntime as ort

    return ort


# On the CPU provider the dynamic recipe is the fast one; calibrated Q/DQ builds and runs, for
# comparing with a TensorRT engine's numbers, but slower than fp32.
PRECISION_TARGET = PrecisionTarget(
    int8_recipes=("dynamic", "qdq"),
    recipe_notes={"qdq": "the Q/DQ recipe runs slower than fp32 on ONNX Runtime's CPU provider"})


class OnnxRuntimeBackend:
    name = "onnxruntime"
    display_name = "ONNX Runtime"
    artifact_suffix = ".ort.onnx"
    version_bound = False    # an optimized model is an ONNX model: any ORT that has its ops runs it
    libraries = {"onnxruntime": ("onnxruntime", "onnxruntime-gpu")}
    cpu_fp16_note = CPU_FP16_NOTE

    def __init__(self):
        self._caps: Capabilities | None = None

    def providers(self) -> list[str]:
        return list(_ort().get_available_providers())

    def has_cuda(self) -> bool:
        return "CUDAExecutionProvider" in self.providers()

    def capabilities(self) -> Capabilities:
        if self._caps is not None:
            return self._caps
        ort = _ort()
        cuda = self.has_cuda()
        self._caps = Capabilities(
            precisions={
                "fp32": None,
                "fp16": None,
                "bf16": "ONNX Runtime's CPU provider has no bf16 kernels; use fp16 or int8 (or the tensorrt backend)",
                "int8": None,
                "fp8": "ONNX Runtime has no fp8 kernels on the CPU provider; use int8 (or the tensorrt backend)",
            },
            build_needs_gpu=False,
            run_needs_gpu=False,
            layer_profiling=True,
            timing_cache=False,
            library=f"onnxruntime {ort.__version__}",
            can_run_here=None,
            notes=("providers: " + ", ".join(self.providers())
                   + ("" if cuda else "; no CUDA provider (install onnxruntime-gpu on a machine with an NVIDIA GPU)")
                   + f"; fp16 {CPU_FP16_NOTE}; int8 uses dynamic quantization (U8S8), not the TensorRT Q/DQ recipe"),
        )
        return self._caps

    def build(self, config: BuildConfig, state: TaskState) -> BuildResult:
        # lazy: 700 ms off this module's import (onnx, the optimizer), which a benchmark's child does not need
        from studio_onnxruntime.build import build

        return build(self, config, state)

    def open_runner(self, artifact: str, *, threads: int | None = None, as_written: bool = False, **options):
        # lazy: 3 ms off this module's import
        from studio_onnxruntime.runner import OnnxRuntimeRunner

        if as_written:
            # Basic rewrites only (constant folding, dead nodes): the extended level fuses
            # DequantizeLinear -> MatMul -> QuantizeLinear into integer kernels whose rounding
            # is ORT's, not the graph's.
            options["graph_optimization"] = "basic"
        return OnnxRuntimeRunner(artifact, intra_op_threads=threads, **options)

    def recognizes(self, path: Path, head: bytes) -> bool:
        # Any ONNX model: the optimized model is one, and so is a user's model opened as a plan.
        return path.suffix.lower() == ".onnx"

    def plan_readers(self):
        return (ort_optimized,)

    def layer_report(self, artifact: Path, sidecar: dict | None) -> Path:
        return artifact  # the optimized model is its own layer graph

    def inspect_artifact(self, artifact: str, sidecar: dict | None, trusted: bool) -> dict:
        return {"reasons": [], "facts": {}}  # runs wherever ONNX Runtime has its ops

    def precision_target(self) -> PrecisionTarget:
        return PRECISION_TARGET
