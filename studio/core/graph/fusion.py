"""Plan <-> ONNX: which engine layer absorbed which ONNX node, which nodes no layer absorbed,
and what the fusions look like (patterns by op-type sequence, precision per layer).

Names a report gives for nodes the model lacks are sorted into two lists: `inserted` (nodes a
precision pass adds before the build: Q/DQ pairs, fp16 boundary casts, so they are not in the
source model the user opened) and `missing` (anything else: a report of another model?)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from studio.core.graph.model import Graph
from studio.core.graph.plan import Plan
from studio.core.serde import Record

# Op-type runs that make one well-known function, as exporters write them (longest first).
READABLE_PATTERNS: list[tuple[tuple[str, ...], str]] = [
    (("ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"), "LayerNorm"),
    (("Mul", "Pow", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"), "GELU(tanh)"),
    (("Pow", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"), "GELU(tanh)"),
    (("Div", "Erf", "Add", "Mul", "Mul"), "GELU"),
    (("Mul", "Erf", "Add", "Mul", "Mul"), "GELU"),
    (("Mul", "Div", "Erf", "Add", "Mul"), "GELU"),
    (("MatMul", "Div", "Add", "Softmax", "MatMul"), "MHA"),
    (("MatMul", "Mul", "Add", "Softmax", "MatMul"), "MHA"),
    (("MatMul", "Div", "Softmax", "MatMul"), "MHA"),
    (("Sigmoid", "Mul"), "SiLU"),
    (("LayerNormalization",), "LayerNorm"),
    (("SkipLayerNormalization",), "SkipLayerNorm"),
    (("QuantizeLinear", "DequantizeLinear"), "Q/DQ"),
    (("DequantizeLinear",), "DQ"),
    (("QuantizeLinear",), "Q"),
]
_SHAPE_OPS = {"Shape", "Size"}
# Ops that only re-describe memory: a builder makes them views of their input, no kernel.
_VIEW_OPS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}
_INSERTED = re.compile(r"(_QuantizeLinear|_DequantizeLinear|_Quant|_Dequant|_quant|_dequant)$"
                       r"|^graph_(input|output)_cast\d*|^(InsertedPrecisionFreeCast|Cast_fp16|fp16_cast)")


def readable_pattern(op_types: list[str]) -> str:
    """["MatMul", "Add", "Div", "Erf", "Add", "Mul", "Mul"] -> "MatMul+Add+GELU"."""
    out: list[str] = []
    i = 0
    while i < len(op_types):
        for seq, name in READABLE_PATTERNS:
            if tuple(op_types[i:i + len(seq)]) == seq:
                out.append(name)
                i += len(seq)
                break
        else:
            out.append(op_types[i])
            i += 1
    return "+".join(out)


@dataclass(frozen=True)
class FusionGroup(Record):
    layer: str
    type: str
    precision: str
    nodes: int
    pattern: str        # op types in graph order: MatMul+Add+Div+Erf+Add+Mul+Mul
    readable: str       # MatMul+Add+GELU


@dataclass(frozen=True)
class FusionStats:
    layers_before: int                  # ONNX nodes in the model
    layers_after: int                   # engine layers
    absorbed: int                       # ONNX nodes some layer names
    unabsorbed: int
    groups: tuple[FusionGroup, ...]     # layers that absorbed two or more nodes
    patterns: dict[str, int]            # readable pattern -> number of layers
    precision: dict[str, int]           # layer precision -> number of layers
    types: dict[str, int]               # layer type -> number of layers
    unabsorbed_kinds: dict[str, int]    # constant / shape / view / other -> nodes

    @property
    def ratio(self) -> float | None:
        return round(self.layers_before / self.layers_after, 2) if self.layers_after else None

    def to_dict(self) -> dict:
        return {
            "layers_before": self.layers_before, "layers_after": self.layers_after,
            "ratio": self.ratio, "absorbed": self.absorbed, "unabsorbed": self.unabsorbed,
            "fusion_groups": len(self.groups),
            "largest_group": max((g.nodes for g in self.groups), default=0),
            "patterns": dict(self.patterns), "precision": dict(self.precision),
            "types": dict(self.types), "unabsorbed_kinds": dict(self.unabsorbed_kinds),
            "groups": [g.to_dict() for g in self.groups],
        }


@dataclass(frozen=True)
class FusionMap:
    plan: Plan
    graph: Graph | None
    node_layers: dict[str, tuple[str, ...]]      # ONNX node -> layers that name it, plan order
    layer_nodes: dict[str, tuple[str, ...]]      # layer -> ONNX nodes in graph order (known ones)
    unabsorbed: tuple[str, ...]                  # model nodes no layer names, graph order
    unabsorbed_kind: dict[str, str] = field(default_factory=dict)
    inserted: dict[str, tuple[str, ...]] = field(default_factory=dict)   # layer -> names
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)    # layer -> names

    @classmethod
    def build(cls, plan: Plan, graph: Graph | None = None) -> "FusionMap":
        known = {n.name: n for n in graph.nodes} if graph is not None else None
        inits = set(graph.initializers) if graph is not None else set()
        node_layers: dict[str, list[str]] = {}
        layer_nodes: dict[str, tuple[str, ...]] = {}
        inserted: dict[str, tuple[str, ...]] = {}
        missing: dict[str, tuple[str, ...]] = {}
        for layer in plan.layers:
            names = list(layer.onnx_nodes)
            if known is not None:
                ok = [n for n in names if n in known]
                rest = [n for n in names if n not in known and n not in inits]
                ins = tuple(n for n in rest if _INSERTED.search(n))
                miss = tuple(n for n in rest if not _INSERTED.search(n))
                # A name guessed from a layer name (old reports) is not evidence of a missing node.
                if miss and plan.detailed and layer.raw.get("Metadata") is not None:
                    missing[layer.name] = miss
                if ins:
                    inserted[layer.name] = ins
                names = sorted(ok, key=lambda n: known[n].index)
            layer_nodes[layer.name] = tuple(names)
            for n in names:
                node_layers.setdefault(n, []).append(layer.name)
        unabsorbed: tuple[str, ...] = ()
        kinds: dict[str, str] = {}
        if graph is not None:
            unabsorbed = tuple(n.name for n in graph.nodes if n.name not in node_layers)
            kinds = _classify(graph, set(unabsorbed))
        return cls(plan, graph, {k: tuple(v) for k, v in node_layers.items()}, layer_nodes,
                   unabsorbed, kinds, inserted, missing)

    def layers_for_node(self, node: str) -> tuple[str, ...]:
        return self.node_layers.get(_name(node), ())

    def layer_for_node(self, node) -> str | None:
        """The layer that computes `node`. TensorRT may name a node in several layers (a MatMul
        split into a GEMM plus its transposes): prefer the layer named after the node, then the
        one absorbing the fewest other nodes, then plan order."""
        name = _name(node)
        layers = self.node_layers.get(name, ())
        if not layers:
            return None
        named = [x for x in layers if x.startswith(name)]
        if named:
            return named[0]
        return min(layers, key=lambda x: (len(self.layer_nodes[x]), layers.index(x)))

    def nodes_for_layer(self, layer: str) -> tuple[str, ...]:
        return self.layer_nodes.get(layer, ())

    def stats(self) -> FusionStats:
        op = {n.name: n.op_type for n in self.graph.nodes} if self.graph is not None else {}
        groups = []
        patterns: Counter = Counter()
        for layer in self.plan.layers:
            nodes = self.layer_nodes.get(layer.name, ())
            if len(nodes) < 2:
                continue
            ops = [op.get(n, "?") for n in nodes]
            readable = readable_pattern(ops) if op else ""
            groups.append(FusionGroup(layer.name, layer.type, layer.precision, len(nodes),
                                      "+".join(ops) if op else "", readable))
            if readable:
                patterns[readable] += 1
        n_nodes = len(self.graph.nodes) if self.graph is not None else len(self.node_layers)
        return FusionStats(
            layers_before=n_nodes, layers_after=len(self.plan.layers),
            absorbed=len(self.node_layers), unabsorbed=len(self.unabsorbed),
            groups=tuple(groups), patterns=dict(patterns.most_common()),
            precision=dict(Counter(l.precision or "none" for l in self.plan.layers).most_common()),
            types=dict(Counter(l.type or "?" for l in self.plan.layers).most_common()),
            unabsorbed_kinds=dict(Counter(self.unabsorbed_kind.values()).most_common()),
        )

    def to_dict(self) -> dict:
        op = {n.name: n.op_type for n in self.graph.nodes} if self.graph is not None else {}
        return {
            "onnx_nodes": len(self.graph.nodes) if self.graph is not None else len(self.node_layers),
            "layers": [{"name": l.name, "type": l.type, "precision": l.precision,
                        "onnx_nodes": list(self.layer_nodes.get(l.name, ()))}
                       for l in self.plan.layers],
            "unabsorbed": [{"name": n, "op_type": op.get(n, ""), "kind": self.unabsorbed_kind.get(n, "")}
                           for n in self.unabsorbed],
            "inserted": {k: list(v) for k, v in self.inserted.items()},
            "missing": {k: list(v) for k, v in self.missing.items()},
            "stats": self.stats().to_dict(),
        }


def _name(node) -> str:
    return node if isinstance(node, str) else node.name


def _classify(graph: Graph, unabsorbed: set[str]) -> dict[str, str]:
    """Why a node has no layer: `constant` (all inputs are weights/constants: folded at build
    time), `shape` (computes on tensor shapes only: resolved by the shape profile), `view`
    (reshape-like: became a view of its input), `other`."""
    const: set[str] = set(graph.initializers)
    shape: set[str] = set()
    kinds: dict[str, str] = {}
    for node in graph.topological_order():
        ins = [t for t in node.inputs if t]
        if node.op_type in _SHAPE_OPS:
            kind = "shape"
        elif all(t in const for t in ins):
            kind = "constant"
        elif all(t in const or t in shape for t in ins):
            kind = "shape"
        elif node.op_type in _VIEW_OPS:
            kind = "view"
        else:
            kind = "other"
        if kind == "constant":
            const.update(node.outputs)
        elif kind == "shape":
            shape.update(node.outputs)
        if node.name in unabsorbed:
            kinds[node.name] = kind
    return kinds


def fusion_map(plan: Plan, onnx_model=None) -> FusionMap:
    """FusionMap for `plan` against `onnx_model` (a Graph or a path), or the plan's own model."""
    graph = onnx_model
    if graph is None and plan.onnx_model:
        graph = plan.onnx_model
    if graph is not None and not isinstance(graph, Graph):
        # lazy: 701 ms off this module's import
        from studio.core.graph.onnx_loader import open_graph

        graph = open_graph(str(graph), shape_inference=False)
    return FusionMap.build(plan, graph)
