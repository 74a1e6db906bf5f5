"""Loading and saving the ONNX models the precision passes rewrite."""

from __future__ import annotations

from pathlib import Path

import onnx
from google.protobuf.message import EncodeError

from studio.core.graph.onnx_loader import load_model_proto
from studio.core.io import atomic_path


def load_model(path: str | Path) -> onnx.ModelProto:
    """The whole model, weights included, through the graph core's safe loader (it checks
    external-data locations before anything is opened)."""
    return load_model_proto(str(path), with_weights=True)


def _serialized(model: onnx.ModelProto) -> bytes | None:
    """The model's bytes, or None where protobuf cannot hold them (over 2 GiB). Serializing is
    also the size check: ModelProto.ByteSize() took 2.7 s on a rewritten BERT-base (436 MB)."""
    try:
        return model.SerializeToString()
    except (ValueError, EncodeError):
        return None


def save_model(model: onnx.ModelProto, dest: str | Path) -> Path:
    """Atomic save; weights go to external data beside the file when the model is over 2 GiB."""
    dest = Path(dest)
    data = _serialized(model)
    with atomic_path(dest) as tmp:
        if data is None:
            onnx.save_model(model, str(tmp), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=dest.name + ".data")
        else:
            tmp.write_bytes(data)
    return dest


def name_nodes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Give unnamed nodes the graph core's names (`<op_type>_<index>`) so node-level choices
    (keep in fp32, exclude from quantization) can address them."""
    taken = {n.name for n in model.graph.node if n.name}
    for i, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in taken:
                name += "_"
            node.name = name
            taken.add(name)
    return model


def subgraphs(node: onnx.NodeProto) -> list[onnx.GraphProto]:
    """The graphs a node's attributes hold (an If's branches, a Loop's or Scan's body)."""
    return [g for a in node.attribute for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else a.graphs)]


def tensor_links(graph: onnx.GraphProto) -> tuple[dict, dict]:
    """(tensor -> the node that writes it, tensor -> the nodes that read it, once per read). A node
    whose subgraph (If/Loop/Scan body) reads an outer tensor counts as a reader of it."""
    producer = {o: n for n in graph.node for o in n.output}
    readers: dict[str, list] = {}
    for n in graph.node:
        for t in n.input:
            readers.setdefault(t, []).append(n)
        for sub in subgraphs(n):
            for t in {t for sn in sub.node for t in sn.input}:
                readers.setdefault(t, []).append(n)
    return producer, readers


def nodes_of_types(model: onnx.ModelProto, op_types: list[str]) -> list[str]:
    return [n.name for n in model.graph.node if n.op_type in set(op_types)]


def topo_sort(model: onnx.ModelProto) -> onnx.ModelProto:
    """Reorder graph nodes so every input is produced before it is used (ORT's converters
    append their Cast nodes at the end, which onnx.checker and TensorRT's parser reject)."""
    g = model.graph
    available = {i.name for i in g.input} | {t.name for t in g.initializer} | {""}
    nodes = list(g.node)
    ordered, pending = [], nodes
    while pending:
        rest = []
        for n in pending:
            # Subgraph inputs (If/Loop bodies) may read outer names; only direct inputs matter here.
            if all(i in available for i in n.input):
                ordered.append(n)
                available.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            ordered.extend(rest)  # a cycle or an unknown input: leave for the checker to name
            break
        pending = rest
    del g.node[:]
    g.node.extend(ordered)
    return model


def fresh_name(name: str, taken: set) -> str:
    """`name`, or `name` with underscores appended, not yet used in the graph; now taken."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name
