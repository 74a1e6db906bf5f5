"""What the canvas draws, as plain data: one ViewGraph for an ONNX graph (studio.core.graph.model) or
an engine plan (studio.core.graph.plan). No Qt here, so converters are testable and the canvas only
paints; the facts come from the core objects, this only picks what to show."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.graph.model import Graph, Initializer, TensorSummary, Value
from studio.core.graph.plan import Plan, TensorInfo


@dataclass
class ViewNode:
    id: str
    title: str                     # drawn in the box: op type or layer type
    subtitle: str = ""             # drawn below when zoomed in: the node name
    category: str = ""             # colour key when colouring by type
    precision: str = ""            # colour key when colouring by precision
    time_ms: float | None = None   # colour key when colouring by layer time
    sensitivity: float | None = None  # colour key when colouring by precision sensitivity
    as_built: str = ""             # colour key when colouring as built: a layer's verdict, a node's "asked fp16"
    details: dict = field(default_factory=dict)  # shown in the details panel
    kind: str = "node"             # node | input | output
    warning: str = ""              # why the build could not optimize it (outlined on the canvas)


@dataclass
class ViewGraph:
    kind: str                      # "onnx" | "plan"
    source: str                    # the file it came from
    nodes: list[ViewNode]
    edges: list[tuple[str, str, str]]   # (src id, dst id, tensor)

    _idx: dict[str, ViewNode] | None = field(default=None, init=False, repr=False, compare=False)

    def node(self, node_id: str) -> ViewNode:
        if self._idx is None:
            self._idx = {n.id: n for n in self.nodes}
        return self._idx[node_id]


def _shape_text(value: Value | Initializer | TensorInfo | None) -> str:
    """dtype[dims] of a graph value, a weight or a layer's tensor."""
    if value is None:
        return "?"
    dtype = value.dtype or "?"
    shape = value.shape
    if shape is None:
        return f"{dtype}"
    return f"{dtype}[{', '.join(str(d) for d in shape)}]"


def _values_text(values) -> str:
    items = [f"{v:.6g}" if isinstance(v, float) else str(v) for v in values]
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


def _tensor_text(t: TensorSummary) -> str:
    head = f"{t.dtype}[{', '.join(str(d) for d in t.shape)}]"
    return head + (f" = {_values_text(t.values)}" if t.values is not None else f", {t.nbytes} bytes")


def _attr_text(v) -> str:
    if isinstance(v, TensorSummary):
        return _tensor_text(v)
    text = repr(v) if not isinstance(v, str) else v
    return text if len(text) <= 200 else text[:197] + "..."


def from_onnx_graph(graph: Graph, source: str = "") -> ViewGraph:
    """An ONNX Graph -> ViewGraph, with graph inputs and outputs as nodes."""
    values, inits = graph.values, graph.initializers
    nodes: list[ViewNode] = []
    # tensors a Constant node makes: a reader wants their value where they are read
    constants = {n.outputs[0]: _tensor_text(n.attributes["value"]) for n in graph.nodes
                 if n.op_type == "Constant" and n.outputs and isinstance(n.attributes.get("value"), TensorSummary)}
    for inp in graph.inputs:
        name = inp.name
        if name in inits:
            continue
        nodes.append(ViewNode(id=f"input:{name}", title=name, subtitle=_shape_text(values.get(name)),
                              category="Input", kind="input",
                              details={"Graph input": name, "Type": _shape_text(values.get(name))}))
    for node in graph.nodes:
        ins, params = {}, {}
        for t in node.inputs:
            if not t:
                continue
            if t in inits:
                init = inits[t]
                params[t] = _shape_text(init) + (f" = {_values_text(init.values)}" if init.values is not None else "")
            else:
                ins[t] = constants.get(t) or _shape_text(values.get(t))
        outs = {t: _shape_text(values.get(t)) for t in node.outputs if t}
        details = {"Name": node.name, "Op type": node.op_type}
        if node.domain:
            details["Domain"] = node.domain
        if node.attributes:
            details["Attributes"] = {k: _attr_text(v) for k, v in node.attributes.items()}
        details["Inputs"] = ins
        if params:
            details["Parameters"] = params
        details["Outputs"] = outs
        nodes.append(ViewNode(id=node.name, title=node.op_type, subtitle=node.name,
                              category=node.op_type, details=details))
    for out in graph.outputs:
        name = out.name
        nodes.append(ViewNode(id=f"output:{name}", title=name, subtitle=_shape_text(values.get(name)),
                              category="Output", kind="output",
                              details={"Graph output": name, "Type": _shape_text(values.get(name))}))
    ids = {n.id for n in nodes}
    edges = [(s, d, t) for s, d, t in graph.edges()]
    for n in nodes:
        if n.kind == "input":
            name = n.id.split(":", 1)[1]
            v = values.get(name)
            for c in v.consumers if v is not None else ():
                if c in ids:
                    edges.append((n.id, c, name))
        elif n.kind == "output":
            name = n.id.split(":", 1)[1]
            v = values.get(name)
            p = v.producer if v is not None else None
            if p in ids:
                edges.append((p, n.id, name))
    return ViewGraph("onnx", source, nodes, edges)


def _io_text(ios: tuple[TensorInfo, ...]) -> dict:
    return {t.name: _shape_text(t) for t in ios}


def from_plan(plan: Plan, source: str = "", layer_times_ms: dict | None = None, built=None) -> ViewGraph:
    """An engine's Plan -> ViewGraph; `built` (studio.core.precision.as_built.AsBuilt) adds what
    each layer's recipe asked and the verdict."""
    nodes = []
    marked = dict(plan.marked)
    verdicts = {v.layer: v for v in built.layers} if built is not None else {}
    for layer in plan.layers:
        details = {"Name": layer.name, "Layer type": layer.type,
                   "Precision": layer.precision or "?",
                   "Tactic": layer.tactic or "?",
                   "Inputs": _io_text(layer.inputs),
                   "Outputs": _io_text(layer.outputs)}
        onnx_nodes = list(layer.onnx_nodes)
        if onnx_nodes:
            details["ONNX nodes absorbed"] = onnx_nodes
        t = (layer_times_ms or {}).get(layer.name)
        if t is None:  # a trtexec --exportProfile beside the layer info: the reader put it here
            raw_t = (layer.raw or {}).get("AverageMs")
            t = float(raw_t) if isinstance(raw_t, (int, float)) else None
        if t is not None:
            details["Time (ms)"] = f"{t:.4f}"
        if layer.name in marked:
            details["Not optimized"] = marked[layer.name]
        verdict = verdicts.get(layer.name)
        if verdict is not None:
            details["Recipe asked"] = "/".join(verdict.asked) or "-"
            details["As built"] = verdict.verdict
        nodes.append(ViewNode(id=layer.name, title=str(layer.type), warning=marked.get(layer.name, ""),
                              subtitle=f"{layer.name}  ({len(onnx_nodes)} ONNX)" if onnx_nodes else layer.name,
                              category=str(layer.type), precision=layer.precision,
                              time_ms=t, details=details, as_built=verdict.verdict if verdict else ""))
    return ViewGraph("plan", source, nodes, list(plan.edges()))
