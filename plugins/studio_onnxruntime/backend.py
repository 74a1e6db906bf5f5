"""The `onnxruntime` backend. Its "engine" is the optimized model: transformer fusions where
the model is BERT-like (their attention core moved to ONNX's Attention op, rewrites.py), a
precision recipe chosen for the CPU, ORT's graph optimizer run once offline, then a batch's
padding past its longest row cut off (padding.py; keys and values only, rewrites.py, where the
outputs depend on padding), FFNs set to run in row chunks that stay in cache (ffn_chunks.py), and
saved."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from studio.core.backends.base import BuildConfig, BuildResult, Capabilities, sidecar_path
from studio.core.errors import BuildError, Cancelled
from studio.core.io import move_atomic
from studio.core.jobs.progress import TaskState
from studio.core.precision.model_io import load_model, save_model

from studio_onnxruntime.denormals import SESSION_CONFIG_KEY
from studio_onnxruntime.ffn_chunks import CHUNK_BYTES, chunk_ffn
from studio_onnxruntime.optimize import DEFAULT_DISABLED_OPTIMIZERS, LEVELS, op_histogram, session_optimize, transformer_fusions
from studio_onnxruntime.padding import cut_padding
from studio_onnxruntime.rewrites import Original, RewriteReport, fold_gelu_bias, split_attention, trim_kv

# Session settings every build is measured with, recorded in its sidecar (the runner applies
# them; a deployment should too). Denormals flushed to zero: padded texts fill attention softmax
# with denormal floats, which cost the demo model 15-25 % of its CPU throughput (denormals.py).
DEFAULT_SESSION_CONFIG = {SESSION_CONFIG_KEY: "1"}

# Where the attention core runs: "onnx" splits ORT's contrib Attention into projections and
# ONNX's Attention op (rewrites.py: ~2x faster core, and its projections quantize as plain int8
# GEMMs); "contrib" keeps ORT's fused op (QAttention after int8).
ATTENTION_KINDS = ("onnx", "contrib")

# Build options (BuildConfig.options; `engine-studio build --option KEY=VALUE`) this backend reads.
ORT_OPTIONS = {
    "ort_optimization": "ORT graph optimization level run at build time: " + ", ".join(LEVELS) + " (default all)",
    "ort_attention": "'onnx' (default: attention core on ONNX's Attention op) or 'contrib' (ORT's fused op)",
    "ort_ffn_chunk_bytes": f"FFN row chunks' intermediate budget in bytes (default {CHUNK_BYTES}; 0: no chunks)",
    "ort_cut_padding": "cut inputs to the batch's longest row where the outputs do not depend on padding "
                       "(checked on a probe batch; default true)",
    "ort_trim_kv": "cut keys and values to the batch's longest sequence (default true; exact)",
    "ort_disabled_optimizers": "ORT optimizers left off at build and run time (default SkipLayerNormFusion)",
    "ort_session_config": "session config entries the build is measured with (default: denormals flushed)",
    "ort_fusion_options": "overrides of the transformer optimizer's FusionOptions flags",
    "num_heads": "attention heads, when the transformer optimizer cannot find them (0: detect)",
    "hidden_size": "hidden size, when the transformer optimizer cannot find it (0: detect)",
    "gelu_approximation": "fuse GELU as its tanh approximation (default false)",
    "attention_fusion": "fuse attention at all (default true)",
    "provider": "'cuda' to optimize for ORT's CUDA provider (default: CPU)",
}

CPU_FP16_NOTE = ("runs on the CPU provider but is usually slower than fp32 there (few fp16 kernels, "
                 "casts around the rest); meaningful with the CUDA provider")


def _ort():
    import onnxruntime as ort

    return ort


class OnnxRuntimeBackend:
    name = "onnxruntime"
    display_name = "ONNX Runtime"

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
        from studio.core.precision.prepare import PRECISION_OPTIONS, prepare_precision

        config.check_options(ORT_OPTIONS | PRECISION_OPTIONS)
        caps = self.capabilities()
        caps.check_precision(config.precision)
        level = str(config.options.get("ort_optimization", "all"))
        if level not in LEVELS:
            raise BuildError(f"unknown ort_optimization {level!r}; choose one of {', '.join(LEVELS)}")
        attention = str(config.options.get("ort_attention", "onnx"))
        if attention not in ATTENTION_KINDS:
            raise BuildError(f"unknown ort_attention {attention!r}; choose one of {', '.join(ATTENTION_KINDS)}")
        try:
            chunk_bytes = int(config.options.get("ort_ffn_chunk_bytes", CHUNK_BYTES))
        except (TypeError, ValueError):
            chunk_bytes = -1
        if chunk_bytes < 0:
            raise BuildError(f"ort_ffn_chunk_bytes must be a whole number >= 0 (0: no chunking), "
                             f"got {config.options.get('ort_ffn_chunk_bytes')!r}")
        cut, trim = (config.options.get(k, True) for k in ("ort_cut_padding", "ort_trim_kv"))
        for key, value in (("ort_cut_padding", cut), ("ort_trim_kv", trim)):
            if not isinstance(value, bool):  # `--option KEY=false` arrives parsed as JSON
                raise BuildError(f"{key} must be true or false, got {value!r}")
        disabled = [str(o) for o in config.options.get("ort_disabled_optimizers", DEFAULT_DISABLED_OPTIMIZERS)]
        session_config = {str(k): str(v) for k, v in
                          config.options.get("ort_session_config", DEFAULT_SESSION_CONFIG).items()}
        providers = ["CPUExecutionProvider"]
        if config.options.get("provider") == "cuda":
            if not self.has_cuda():
                raise BuildError("the CUDA provider is not available in this onnxruntime")
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        t0 = time.perf_counter()
        output = Path(config.output)
        notes: list[str] = []
        with tempfile.TemporaryDirectory(prefix="studio-ort-", dir=output.parent if output.parent.exists() else None) as tmp:
            tmp = Path(tmp)
            state.progress("Transformer fusions", 0.0, force=True)
            fused = tmp / "fused.onnx"
            fusion = transformer_fusions(config.model, fused,
                                         num_heads=int(config.options.get("num_heads", 0)),
                                         hidden_size=int(config.options.get("hidden_size", 0)),
                                         gelu_approximation=bool(config.options.get("gelu_approximation", False)),
                                         attention=bool(config.options.get("attention_fusion", True)),
                                         flags=config.options.get("ort_fusion_options"))
            if fusion.applied:
                state.log("transformer fusions: " + ", ".join(f"{k} x{v}" for k, v in fusion.fused.items()))
            else:
                notes.append(f"transformer fusions not applied: {fusion.reason}")
                state.log(notes[-1])
            rewrites: list[RewriteReport] = []
            model = fused if fusion.applied else Path(config.model)
            original = Original.of(config.model)  # lends its node names to the rewritten layers
            if fusion.applied and attention == "onnx":
                split = tmp / "split.onnx"
                rewrites.append(split_attention(fused, split, original=original))
                if rewrites[-1].applied:
                    model = split
                state.log(_describe(rewrites[-1]))
            if state.cancelled:
                raise Cancelled("build cancelled")
            state.progress("Precision", 0.3, force=True)
            from dataclasses import replace

            # Precision after fusion and the attention split: dynamic int8 then quantizes the Q/K/V
            # projections with one shared activation quantization (a contrib Attention as one op).
            pconfig = replace(config, model=str(model))
            prepared = prepare_precision(pconfig, target="onnxruntime", workdir=str(tmp / "precision"), state=state)
            notes += prepared.notes
            if prepared.precision == "fp16":
                notes.append(f"fp16 {CPU_FP16_NOTE}")
            if state.cancelled:
                raise Cancelled("build cancelled")
            state.progress("Graph optimization", 0.7, force=True)
            optimized = tmp / "optimized.onnx"
            session_optimize(prepared.path, optimized, level, providers, disabled)
            # The rewrites after ORT's optimizer work on one model in memory: one read and one write
            # of the file whatever runs (a BERT-base is 436 MB).
            if prepared.precision == "int8" or attention == "onnx" and (cut or trim) or chunk_bytes:
                model = load_model(optimized)
                done = []
                if prepared.precision == "int8":
                    done.append(fold_gelu_bias(model, original=original))
                if cut and attention == "onnx":
                    done.append(cut_padding(model, config.model))
                if trim and attention == "onnx" and not (cut and done[-1].applied):
                    done.append(trim_kv(model))  # nothing left to trim where the inputs were cut
                if chunk_bytes:
                    done.append(chunk_ffn(model, budget=chunk_bytes, original=original))
                for report in done:
                    state.log(_describe(report))
                rewrites += done
                if any(r.applied for r in done):
                    optimized = save_model(model, tmp / "rewritten.onnx")
                del model
            if level == "all":
                notes.append("optimization level 'all' may add CPU-specific layouts: run the model on this kind of CPU")
            state.progress("Writing", 0.95, force=True)
            move_atomic(optimized, output)
        seconds = time.perf_counter() - t0
        ort = _ort()
        ops_after = op_histogram(output)
        metadata = {
            "onnxruntime_version": ort.__version__,
            "providers": providers,
            "available_providers": self.providers(),
            "optimization_level": level,
            "ort_disabled_optimizers": disabled,
            "ort_session_config": session_config,
            "transformer_fusions": fusion.to_dict(),
            "attention": attention,
            "ffn_chunk_bytes": chunk_bytes,
            "graph_rewrites": [r.to_dict() for r in rewrites],
            "recipe": prepared.recipe,
            "calibration": prepared.calibration,
            "op_types_after": ops_after,
            "nodes_after": sum(ops_after.values()),
        }
        state.progress("Done", 1.0, force=True)
        return BuildResult(output=str(output), sidecar=str(sidecar_path(output)), backend=self.name,
                           precision=prepared.precision, build_seconds=seconds, size_bytes=output.stat().st_size,
                           layer_report=None, timing_cache_hit=None, library=f"onnxruntime {ort.__version__}",
                           warnings=notes, metadata=metadata)

    def open_runner(self, artifact: str, **options):
        from studio_onnxruntime.runner import OnnxRuntimeRunner  # engineer F's runner

        return OnnxRuntimeRunner(artifact, **options)


def _describe(report: RewriteReport) -> str:
    if report.applied:
        return f"{report.name}: {report.applied} rewritten" + (f" (left: {report.reason})" if report.reason else "")
    return f"{report.name}: not applied ({report.reason})"
