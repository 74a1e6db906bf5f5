"""An ONNX Runtime optimized model (the onnxruntime backend's artifact) as a Plan.

Each node of the optimized model is a layer. ORT names the nodes it makes from a pattern after
the pattern (`Attention_0`, `SkipLayerNorm_AddBias_3`, `BiasGelu`, `FastGelu_AddBias_1`), not
after the nodes it replaced, so a layer is mapped back to the original model's nodes by:
  1. name: a node that kept its name (or gained a quantizer suffix such as `_quant`);
  2. tensors: ORT keeps the output tensor names of a fused pattern, so walking the original graph
     back from the layer's outputs until tensors the optimized graph still has (its inputs,
     other layers' outputs, initializers) collects exactly the nodes the pattern replaced;
  3. weights: failing both, the original nodes that read a weight the layer reads (an initializer
     of more than a few values: ORT shares equal small constants such as axes between nodes).
Layers that none of these place are listed in `Plan.unmapped`.

Nodes the onnxruntime backend's own rewrites add are named with `STUDIO_PREFIX`: layers the
studio added, mapped to nothing and not counted as unmapped. One kind is special: FFNs run in row
chunks (studio_onnxruntime/ffn_chunks.py) are a prefixed Scan whose body holds the FFN's nodes,
between two Reshapes. The body's nodes are the layers (mapped as above, with the body's input
and output standing for the tensors the Reshapes read and write)."""

from __future__ import annotations

import math
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.graph.plan_sources.pipeline import RawPlan
from studio.core.graph.plan_sources.source import as_source

FORMAT = "ort_optimized"
STUDIO_PREFIX = "Studio"
_SUFFIXES = ("_quant", "_QuantizeLinear", "_DequantizeLinear", "_fused", "_fusion")
# Quantizers a precision recipe adds (dynamic int8 quantizes a GEMM's input at run time): a layer
# of these types that stands for no original node is the recipe's own, not an unmapped layer.
_RECIPE_QUANTIZERS = {"DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear"}
# ORT's attention fusion sums the 0/1 attention mask into per-row lengths in a node of its own.
_MASK_LENGTHS = "MaskReduceSum"
_FEW_VALUES = 16  # an initializer of up to this many values is a constant, not a weight
_ONNX_MAGIC_OK = (b"\x08",)  # ModelProto starts with field 1 (ir_version), varint


def match(source) -> bool:
    src = as_source(source)
    if src.path is None or src.path.suffix.lower() != ".onnx":
        return False
    try:
        with open(src.path, "rb") as fh:
            return fh.read(1) in _ONNX_MAGIC_OK
    except OSError:
        return False


def _load(path: Path):
    """The model without its weights (metadata only), through the studio's checked loader
    (external-data locations are checked before anything is opened)."""
    # lazy: 663 ms off this module's import
    from studio.core.graph.onnx_loader import load_model_proto

    return load_model_proto(str(path), with_weights=False)


def _dtype_table(model) -> dict[str, tuple[str, tuple | None]]:
    """tensor -> (dtype, shape) from the model's I/O, initializers and shape inference."""
    # lazy: 669 ms off this module's import
    import onnx
    from onnx import helper, shape_inference

    def dims(tt) -> tuple | None:
        if not tt.HasField("shape"):
            return None
        return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
                     for d in tt.shape.dim)

    table: dict[str, tuple[str, tuple | None]] = {}
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # contrib ops or an odd model: fall back to what the file says
        inferred = model
    g = inferred.graph
    bodies = [a.g for n in g.node if n.name.startswith(STUDIO_PREFIX) for a in n.attribute if a.name == "body"]
    for vi in (*g.input, *g.output, *g.value_info, *(v for b in bodies for v in b.value_info)):
        tt = vi.type.tensor_type
        if tt.elem_type:
            table[vi.name] = (helper.tensor_dtype_to_np_dtype(tt.elem_type).name
                              if tt.elem_type != onnx.TensorProto.BFLOAT16 else "bfloat16", dims(tt))
    for init in model.graph.initializer:
        try:
            dt = helper.tensor_dtype_to_np_dtype(init.data_type).name
        except Exception:
            dt = ""
        table[init.name] = (dt, tuple(init.dims))
    return table


def _guess_outputs(node, table) -> None:
    """Contrib ops have no shape inference in onnx: most keep their first float input's dtype;
    a quantizer's output has its zero point's dtype."""
    if node.op_type in ("QuantizeLinear", "DynamicQuantizeLinear"):
        zp = node.input[2] if len(node.input) > 2 else ""
        dt = table.get(zp, ("uint8" if node.op_type == "DynamicQuantizeLinear" else "", None))[0] or "uint8"
        if node.output and node.output[0] not in table:
            table[node.output[0]] = (dt, None)
        return
    if node.op_type in ("DequantizeLinear",):
        scale = table.get(node.input[1] if len(node.input) > 1 else "", ("float32", None))[0]
        if node.output[0] not in table:
            table[node.output[0]] = (scale or "float32", None)
        return
    if node.op_type in ("MatMulInteger", "ConvInteger"):
        if node.output[0] not in table:
            table[node.output[0]] = ("int32", None)
        return
    floats = [table[i][0] for i in node.input if i in table and table[i][0].startswith(("float", "bfloat"))]
    for o in node.output:
        if o and o not in table and floats:
            table[o] = (floats[0], None)


def _tensor(name, table) -> dict:
    dt, shape = table.get(name, ("", None))
    return {"Name": name, "Datatype": dt, "Dimensions": None if shape is None else list(shape)}


def parse(source, original=None) -> RawPlan:
    src = as_source(source)
    if src.path is None:
        raise StudioError("an ONNX Runtime optimized model must be given as a file")
    model = _load(src.path)
    table = _dtype_table(model)
    inits = {i.name for i in model.graph.initializer}
    nodes = list(_nodes(model.graph))
    for _, node, _ in nodes:
        _guess_outputs(node, table)

    layers = []
    for i, node, mapped_as in nodes:
        name = node.name or f"{node.op_type}_{i}"
        layers.append({
            "Name": name,
            "LayerType": node.op_type,
            "Domain": node.domain or "ai.onnx",
            "Inputs": [_tensor(t, table) for t in node.input if t and t not in inits],
            "Constants": [_tensor(t, table) for t in node.input if t in inits],
            "Outputs": [_tensor(t, table) for t in node.output if t],
            "TacticName": "",
            "_node": mapped_as,
        })
    raw = RawPlan(FORMAT, layers,
                  inputs=[_tensor(v.name, table) for v in model.graph.input if v.name not in inits],
                  outputs=[_tensor(v.name, table) for v in model.graph.output],
                  source_path=src.path_str)
    if original is not None:
        map_to_original(raw, model, original)
    else:
        raw.notes.append("no original model given: layers are not mapped to ONNX nodes")
    for layer in raw.layers:
        layer.pop("_node", None)
    return raw


def _nodes(graph):
    """(index, node as the plan shows it, node as mapped to the original or None for the studio's
    own nodes), with each chunked FFN's Scan replaced by its body's nodes (module doc)."""
    # lazy: 705 ms off this module's import
    import onnx

    from studio.core.precision.model_io import tensor_links

    producer, readers = tensor_links(graph)
    for i, node in enumerate(graph.node):
        if not node.name.startswith(STUDIO_PREFIX):
            yield i, node, node
            continue
        body = next((a.g for a in node.attribute if a.name == "body"), None)
        if node.op_type != "Scan" or body is None or len(body.input) != 1 or len(body.output) != 1:
            yield i, node, None
            continue
        # the body's input/output are chunks of the tensors the Reshapes around the Scan read/write
        shown = {body.input[0].name: node.input[0], body.output[0].name: node.output[0]}
        before = producer.get(node.input[0])
        after = readers.get(node.output[0], [])
        mapped = {body.input[0].name: before.input[0] if before is not None else node.input[0],
                  body.output[0].name: after[0].output[0] if len(after) == 1 else node.output[0]}
        for b in body.node:
            plan_node, map_node = onnx.NodeProto(), onnx.NodeProto()
            plan_node.CopyFrom(b)
            map_node.CopyFrom(b)
            for view, names in ((plan_node, shown), (map_node, mapped)):
                for k, t in enumerate(view.input):
                    view.input[k] = names.get(t, t)
                for k, t in enumerate(view.output):
                    view.output[k] = names.get(t, t)
            yield i, plan_node, map_node


def map_to_original(raw: RawPlan, optimized, original) -> None:
    """Fill each layer's `Metadata` with the original nodes it stands for (see module doc)."""
    orig_nodes = _original_nodes(original)
    by_name = {n["name"]: n for n in orig_nodes}
    producer = {o: n["name"] for n in orig_nodes for o in n["outputs"] if o}
    readers: dict[str, list[str]] = {}
    for n in orig_nodes:
        for t in n["inputs"]:
            readers.setdefault(t, []).append(n["name"])
    available = {i.name for i in optimized.graph.initializer} | {v.name for v in optimized.graph.input}
    available |= {o for node in optimized.graph.node for o in node.output if o}
    weights = {i.name for i in optimized.graph.initializer if math.prod(i.dims) > _FEW_VALUES}

    added = quantizers = mask_lengths = 0
    for layer in raw.layers:
        node = layer["_node"]
        if node is None:
            layer["Metadata"] = ""
            added += 1
            continue
        found: list[str] = []
        base = _by_name(layer["Name"], by_name)
        if base:
            found.append(base)
        boundary = set(node.input) | (available - set(node.output))
        todo = [producer[o] for o in node.output if o in producer]
        seen = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            found.append(name)
            for t in by_name[name]["inputs"]:
                if t and t not in boundary and t in producer:
                    todo.append(producer[t])
        if not found:
            for t in node.input:
                if t in weights:
                    found += readers.get(t, [])
        ordered = sorted(set(found), key=lambda n: by_name[n]["index"])
        if ordered:
            layer["Metadata"] = "\x1f".join(f"[ONNX Layer: {n}]" for n in ordered)
        elif node.op_type in _RECIPE_QUANTIZERS:
            layer["Metadata"] = ""
            quantizers += 1
        elif layer["Name"].startswith(_MASK_LENGTHS):
            layer["Metadata"] = ""
            mask_lengths += 1
        else:
            layer["Metadata"] = ""
            raw.unmapped.append(layer["Name"])
    if raw.unmapped:
        raw.notes.append(f"{len(raw.unmapped)} of {len(raw.layers)} layers could not be mapped "
                         "back to the original model's nodes")
    if added:
        raw.notes.append(f"{added} layers are the studio's own: shape arithmetic, slices and reshapes its "
                         "rewrites add (inputs, or keys and values, cut to the batch's longest row; FFNs "
                         "in row chunks). They stand for no node of the original model")
    if mask_lengths:
        raw.notes.append(f"{_layers(mask_lengths, 'sums', 'sum')} the attention mask into per-row lengths for "
                         "the fused attention, added by ONNX Runtime's attention fusion (no node of the original "
                         "model)")
    if quantizers:
        raw.notes.append(f"{_layers(quantizers, 'quantizes', 'quantize')} activations for the int8 layers that "
                         "read them, added by the precision recipe (they stand for no node of the original model)")


def _layers(n: int, verb_one: str, verb_many: str) -> str:
    return f"1 layer {verb_one}" if n == 1 else f"{n} layers {verb_many}"


def _by_name(name: str, by_name: dict) -> str | None:
    if name in by_name:
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in by_name:
            return name[: -len(suffix)]
    return None


def _original_nodes(original) -> list[dict]:
    """name/inputs/outputs/index of the original model's nodes, named as the studio's graph
    model names them (unnamed -> `<op_type>_<index>`). Accepts a Graph, a ModelProto or a path."""
    # lazy: 671 ms off this module's import
    from studio.core.graph.model import Graph

    if isinstance(original, Graph):
        return [{"name": n.name, "inputs": tuple(n.inputs), "outputs": tuple(n.outputs),
                 "index": i, "op_type": n.op_type} for i, n in enumerate(original.nodes)]
    if not hasattr(original, "graph"):
        from studio.core.graph.onnx_loader import open_graph

        return _original_nodes(open_graph(str(original), shape_inference=False))
    model = original
    out, seen = [], set()
    for i, n in enumerate(model.graph.node):
        name = n.name or f"{n.op_type}_{i}"
        if name in seen:
            name = f"{name}_{i}"
        seen.add(name)
        out.append({"name": name, "inputs": tuple(n.input), "outputs": tuple(n.output),
                    "index": i, "op_type": n.op_type})
    return out
