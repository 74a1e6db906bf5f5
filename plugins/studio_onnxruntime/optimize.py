"""ONNX Runtime's side of a build: transformer fusions where the model is BERT-like
(Attention, SkipLayerNormalization, BiasGelu...), then the session's graph optimizer run
offline so the saved model is what ORT would otherwise rebuild at every session start."""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import onnx

from studio.core.errors import BuildError, StudioError
from studio.core.serde import Record

LEVELS = ("disabled", "basic", "extended", "all")

# Fusions left off by default: on this CPU (2-core Xeon, AVX-512 VNNI; ORT 1.32, batch 32 x 64
# tokens, single-thread CPU time) the demo model with SkipLayerNormalization/EmbedLayerNormalization
# ran 8-10 % slower in fp32 than with plain Add + LayerNormalization, and no faster in int8.
# Attention and BiasGelu fusions stay on. Override with options["ort_fusion_options"].
# After dynamic int8 (DynamicQuantizeMatMul + Add + LayerNormalization) ORT's session optimizer
# fuses SkipLayerNormalization by itself, whatever the transformer fusions were told, and that
# kernel was the slow part: benchmarks/bench_cpu_int8.py measured the demo int8 build 2.05x ->
# 2.35x fp32 (one-thread CPU time; 2-core AVX-512 VNNI Xeon, ORT 1.32, batch 32 x 64) with this
# optimizer off; fp32 builds do not get the fusion here and are unchanged. The build records the
# list in its sidecar and the runner passes it on, so a session does not fuse it back at load.
DEFAULT_DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)

DEFAULT_FUSION_FLAGS = {"enable_skip_layer_norm": False, "enable_bias_skip_layer_norm": False,
                        "enable_embed_layer_norm": False}


@dataclass
class FusionReport(Record):
    applied: bool
    reason: str = ""
    model_type: str = ""
    num_heads: int = 0
    hidden_size: int = 0
    fused: dict = field(default_factory=dict)   # fused op type -> count (non-zero only)
    nodes_before: int = 0
    nodes_after: int = 0


def bert_like(model: onnx.ModelProto, attention: bool = True) -> tuple[bool, str]:
    """Whether ORT's BERT fusions can apply: attention (MatMul + Softmax; not needed when the
    attention is fused already) and a layer norm, either as one op or decomposed (ReduceMean ...
    Sqrt ... Div)."""
    ops = {n.op_type for n in model.graph.node}
    if attention and ("Softmax" not in ops or "MatMul" not in ops):
        return False, "no attention (MatMul + Softmax) in the graph"
    if not ({"LayerNormalization", "SkipLayerNormalization"} & ops or {"ReduceMean", "Sqrt"} <= ops):
        return False, "no layer normalization in the graph"
    return True, ""


def transformer_fusions(src: str | Path | onnx.ModelProto, dst: str | Path, *, num_heads: int = 0,
                        hidden_size: int = 0, gelu_approximation: bool = False, attention: bool = True,
                        flags: dict | None = None) -> FusionReport:
    """Write the fused model to dst, or report why fusions did not apply (dst not written).
    `src` is a path or a model already open (the optimizer works on a copy).
    `gelu_approximation` swaps erf GELU for the tanh form (FastGelu): faster, not bit-equal."""
    # lazy: 26 ms off this module's import
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    from studio.core.precision.model_io import load_model

    if isinstance(src, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(src)
    else:
        model = load_model(src)  # the graph core's safe loader: bad files become ModelError naming them
    ok, why = bert_like(model, attention)
    before = len(model.graph.node)
    if not ok:
        return FusionReport(False, why, nodes_before=before, nodes_after=before)
    chatter = io.StringIO()
    # The fusion code logs warnings such as "producer not matched" for non-PyTorch models.
    logger = logging.getLogger("onnxruntime.transformers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(chatter):
            options = FusionOptions("bert")
            options.enable_gelu_approximation = gelu_approximation
            options.enable_attention = attention
            for key, value in {**DEFAULT_FUSION_FLAGS, **(flags or {})}.items():
                if not hasattr(options, key):
                    raise StudioError(f"unknown ORT fusion option {key!r}")
                setattr(options, key, bool(value))
            opt = optimizer.optimize_model(model, model_type="bert", num_heads=num_heads,
                                           hidden_size=hidden_size, opt_level=0, optimization_options=options)
    except StudioError:
        raise
    except Exception as e:  # a graph the fusion scripts cannot follow: build without fusions
        return FusionReport(False, f"ORT transformer optimizer failed ({type(e).__name__}: {e})",
                            nodes_before=before, nodes_after=before)
    finally:
        logger.setLevel(level)
    stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    if attention and not stats.get("Attention") and not stats.get("MultiHeadAttention"):
        return FusionReport(False, "ORT found no attention block to fuse", "bert", fused=stats,
                            nodes_before=before, nodes_after=before)
    if not stats:
        return FusionReport(False, "ORT found nothing to fuse", "bert", nodes_before=before, nodes_after=before)
    opt.topological_sort()
    opt.save_model_to_file(str(dst))  # adds the com.microsoft opset import that onnx.save would miss
    return FusionReport(True, "", "bert", num_heads, hidden_size, stats, before, len(opt.model.graph.node))


def session_optimize(src: str | Path, dst: str | Path, level: str = "all",
                     providers: list[str] | None = None, disabled_optimizers=()) -> None:
    """Run ORT's graph optimizer once and save the result (SessionOptions.optimized_model_filepath)."""
    # lazy: 28 ms off this module's import
    import onnxruntime as ort

    if level not in LEVELS:
        raise StudioError(f"unknown ORT optimization level {level!r}; choose one of {', '.join(LEVELS)}")
    so = ort.SessionOptions()
    so.graph_optimization_level = {
        "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    so.optimized_model_filepath = str(dst)
    so.log_severity_level = 3
    try:
        ort.InferenceSession(str(src), so, providers=providers or ["CPUExecutionProvider"],
                             disabled_optimizers=list(disabled_optimizers) or None)
    except Exception as e:
        raise BuildError(f"ONNX Runtime could not load the model: {e}", where=str(src)) from None
    if not Path(dst).exists():
        raise BuildError("ONNX Runtime did not write the optimized model", where=str(src))


def op_histogram(path: str | Path) -> dict[str, int]:
    """Op type -> node count, subgraphs' nodes included (a chunked FFN's ops run inside a Scan)."""
    # lazy: 15 ms off this module's import
    from studio.core.graph.onnx_loader import load_model_proto
    from studio.core.precision.model_io import subgraphs

    model = load_model_proto(str(path))  # weights skipped, not parsed: 0.54 -> 0.02 s on a BERT-base
    out: dict[str, int] = {}
    todo = [model.graph]
    while todo:
        for n in todo.pop().node:
            out[n.op_type] = out.get(n.op_type, 0) + 1
            todo += subgraphs(n)
    return dict(sorted(out.items()))
