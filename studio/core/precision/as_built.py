"""What was really built: for every engine layer, the precision the recipe asked of the ONNX nodes
it absorbed (read from the typed model the engine was built from) against the precision the
builder's layer report says the layer runs in.

A strongly typed engine should run what its ONNX says; a layer that came out FP32 where every
node it absorbed was lowered is the silent slowdown users report (an "FP16" engine that runs
FP32). Reformat and cast layers the builder inserted are counted: each one is a copy that the
recipe did not ask for.

Verdicts, per layer:
- "as asked": the built precision is one the absorbed nodes asked for (a GEMM built int8 from
  int8 Q/DQ), or the int8/fp8 of a quantize fused at the end of a kernel (it writes int8 for
  the next GEMM);
- "higher than asked": built FP32 although no absorbed node asked for FP32;
- "lower than asked": built lower than any absorbed node asked (FP16 where all asked FP32);
- "reformat": a reformat or cast layer the builder inserted;
- "no origin": the layer absorbed no node of the typed model, or nothing float."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import onnx
from onnx import TensorProto

from studio.core.backends.base import sidecar_path
from studio.core.backends.layer_reports import load_plan
from studio.core.backends.sidecar import load_sidecar, typed_model
from studio.core.errors import StudioError
from studio.core.graph.fusion import fusion_map
from studio.core.graph.plan import Plan
from studio.core.precision.model_io import load_model
from studio.core.serde import Record, to_dict

VERDICTS = ("as asked", "higher than asked", "lower than asked", "reformat", "no origin")
# From the lowest precision to the highest: "lower than asked" compares along this order.
_ORDER = ("fp8", "int8", "fp16", "bf16", "fp32")
_FLOAT = {TensorProto.FLOAT: "fp32", TensorProto.FLOAT16: "fp16", TensorProto.BFLOAT16: "bf16",
          TensorProto.DOUBLE: "fp32"}
_QUANT = {TensorProto.INT8: "int8", TensorProto.UINT8: "int8", TensorProto.FLOAT8E4M3FN: "fp8",
          TensorProto.FLOAT8E5M2: "fp8"}
_QDQ = ("QuantizeLinear", "DequantizeLinear")


def asked_precisions(typed: onnx.ModelProto) -> tuple[dict[str, str], set[str]]:
    """(node name -> the precision the typed model asks it to compute in, the nodes whose output
    is quantized). The precision is the quantized type of a node that reads dequantized tensors
    (int8, fp8), else its first float output's type; nodes that make no float tensor (shape
    arithmetic) are left out."""
    try:
        inferred = onnx.shape_inference.infer_shapes(typed)
    except Exception:  # noqa: BLE001 - inference is a help; the graph's own types still count
        inferred = typed
    g = inferred.graph
    types = {v.name: v.type.tensor_type.elem_type for v in (*g.value_info, *g.input, *g.output)}
    types.update({t.name: t.data_type for t in g.initializer})
    producers = {o: n for n in g.node for o in n.output}
    quantizes: set[str] = set()   # Q nodes and what they quantize (through the recipe's casts)
    for n in g.node:
        if n.op_type == "QuantizeLinear":
            quantizes.add(n.name)
            src = producers.get(n.input[0])
            while src is not None:
                quantizes.add(src.name)
                src = producers.get(src.input[0]) if src.op_type == "Cast" else None
    asked: dict[str, str] = {}
    for node in g.node:
        if node.op_type in _QDQ or not node.name:
            continue
        quantized = None
        for i in node.input:
            dq = producers.get(i)
            while dq is not None and dq.op_type == "Cast":   # a lowered recipe casts the dequantized tensor
                dq = producers.get(dq.input[0])
            if dq is not None and dq.op_type == "DequantizeLinear":
                quantized = _QUANT.get(types.get(dq.input[0], 0)) or quantized
        if quantized:
            asked[node.name] = quantized
            continue
        floats = [_FLOAT[types[o]] for o in node.output if types.get(o) in _FLOAT]
        if floats:
            asked[node.name] = floats[0]
    return asked, quantizes


def _graph_outputs(typed: onnx.ModelProto) -> dict[str, str]:
    return {o.name: _FLOAT[o.type.tensor_type.elem_type] for o in typed.graph.output
            if o.type.tensor_type.elem_type in _FLOAT}


@dataclass(frozen=True)
class LayerAsBuilt:
    layer: str
    type: str
    built: str                  # what the layer report says
    asked: tuple[str, ...]      # what its absorbed nodes asked, lowest first
    verdict: str


@dataclass
class AsBuilt(Record):
    layers: list[LayerAsBuilt]
    counts: dict[str, int] = field(default_factory=dict)   # verdict -> layers
    reformat_layers: int = 0
    cast_layers: int = 0
    asked: dict[str, str] = field(default_factory=dict)   # ONNX node -> what the recipe asked of it

    @property
    def higher_than_asked(self) -> list[str]:
        return [v.layer for v in self.layers if v.verdict == "higher than asked"]

    def summary(self) -> str:
        parts = [f"{self.counts.get('as asked', 0)} of {len(self.layers)} layers as the recipe asked"]
        higher = self.higher_than_asked
        if higher:
            parts.append(f"{len(higher)} left in FP32 that the recipe lowered")
        if self.counts.get("lower than asked"):
            parts.append(f"{self.counts['lower than asked']} lower than asked")
        parts.append(f"{self.reformat_layers} reformat and {self.cast_layers} cast layer(s) inserted")
        return "; ".join(parts)

    def to_dict(self, with_asked: bool = False) -> dict:
        d = {"counts": dict(self.counts), "reformat_layers": self.reformat_layers,
             "cast_layers": self.cast_layers, "higher_than_asked": self.higher_than_asked,
             "summary": self.summary(), "layers": [to_dict(v) for v in self.layers]}
        if with_asked:
            d["asked"] = dict(self.asked)
        return d


def _inserted_kind(layer_type: str, name: str) -> str | None:
    t = layer_type.lower()
    if t in ("reformat", "reformatting") or name.startswith("Reformatting CopyNode"):
        return "reformat"
    if t == "cast":
        return "cast"
    return None


def _verdict(built: str, asked: tuple[str, ...], feeds_quantize: bool) -> str:
    if not asked or built not in _ORDER:
        return "no origin"
    if built in asked:
        return "as asked"
    if built == "fp32":
        return "higher than asked"
    if built in ("int8", "fp8") and feeds_quantize:
        return "as asked"   # the quantize of its output, fused: the report names the layer by what it writes
    if _ORDER.index(built) < _ORDER.index(asked[0]):
        return "lower than asked"
    return "as asked"   # between what its nodes asked: a fused kernel spanning two precisions


def as_built(plan: Plan, nodes_for_layer, typed: onnx.ModelProto) -> AsBuilt:
    """Each layer of `plan` against the typed model; `nodes_for_layer(name)` gives the ONNX nodes
    a layer absorbed (studio.core.graph.fusion.FusionMap.nodes_for_layer)."""
    asked_by_node, quantizes = asked_precisions(typed)
    outputs = _graph_outputs(typed)
    out: list[LayerAsBuilt] = []
    counts = {v: 0 for v in VERDICTS}
    reformats = casts = 0
    for layer in plan.layers:
        kind = _inserted_kind(layer.type or "", layer.name)
        if kind is not None:
            reformats += kind == "reformat"
            casts += kind == "cast"
            verdict, asked = "reformat", ()
        else:
            nodes = nodes_for_layer(layer.name)
            wanted = {asked_by_node[n] for n in nodes if n in asked_by_node}
            # a graph output is asked in the type the model declares (a lowered model casts back)
            wanted |= {outputs[t.name] for t in layer.outputs if t.name in outputs}
            asked = tuple(sorted(wanted, key=_ORDER.index))
            verdict = _verdict(layer.precision, asked, any(n in quantizes for n in nodes))
        counts[verdict] += 1
        out.append(LayerAsBuilt(layer.name, layer.type or "", layer.precision or "", asked, verdict))
    return AsBuilt(out, {k: v for k, v in counts.items() if v}, reformats, casts, asked_by_node)


def why_no_comparison(artifact) -> str | None:
    """Why a build has no as-built comparison (no sidecar, nothing lowered), or None: the cheap
    checks, before the model and the report are read."""
    artifact = Path(artifact)
    if not sidecar_path(artifact).is_file():
        return "no sidecar beside the build, so the recipe it asked for is unknown"
    if not load_sidecar(artifact).get("typed_model"):
        return "the build rewrote no precision (fp32, or built before typed models were kept)"
    return None


def as_built_task(request: dict, state, emit) -> dict:
    """The comparison in a child process (studio.core.jobs.child): parsing the models holds
    Python's lock for a tenth of a second, which a window's thread must not."""
    res, why = as_built_for(request["artifact"])
    return {"as_built": res.to_dict(with_asked=True) if res is not None else None, "why": why}


def as_built_for(artifact) -> tuple[AsBuilt | None, str | None]:
    """The comparison for a build the studio made: its layer report mapped to the typed model
    it was built from (the report names that model's nodes, casts and Q/DQ included). (result,
    None), or (None, why there is none: no sidecar, an fp32 build, no layer report...)."""
    artifact = Path(artifact)
    why = why_no_comparison(artifact)
    if why:
        return None, why
    typed, problem = typed_model(artifact, load_sidecar(artifact))
    if problem:
        return None, problem
    try:
        plan = load_plan(artifact, onnx_model=str(typed))
    except StudioError as e:
        return None, f"no layer report to compare with: {e}"
    return as_built(plan, fusion_map(plan).nodes_for_layer, load_model(typed)), None
