"""The immutable graph model every part of the studio reads: nodes, values, initializers.

Built by `onnx_loader.open_graph`. Nothing here holds weights: an Initializer knows its shape,
dtype and byte size and reads its array from the file only when `load()` is called.

Shapes are tuples whose dims are an int (known), a str (a symbolic dim, by its name in the model
or the one shape inference gave it, e.g. "batch", "unk__3"), or None (unknown). A shape of None
means even the rank is unknown.
"""

from __future__ import annotations

import copyreg
import heapq
from collections import deque
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple

from studio.core.errors import ModelError
from studio.core.serde import Record

Dim = int | str | None
Shape = tuple[Dim, ...]

EMPTY: Mapping = MappingProxyType({})

# A Graph crosses process boundaries (studio.core.graph.isolated opens files in a child so a
# native crash cannot take the window down); its read-only mappings pickle as their contents.
def _mappingproxy(d: dict) -> Mapping:
    return MappingProxyType(d)


copyreg.pickle(MappingProxyType, lambda m: (_mappingproxy, (dict(m),)))


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


@dataclass(frozen=True)
class TensorSummary(Record):
    """A tensor-valued attribute (e.g. Constant's `value`), described rather than carried:
    `values` holds the elements only for small tensors (at most 16)."""
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    values: tuple | None = None

    def __str__(self) -> str:
        if self.values is not None and len(self.values) <= 8:
            return f"tensor {self.dtype}{format_shape(self.shape)} = {list(self.values)}"
        return f"tensor {self.dtype}{format_shape(self.shape)}"


@dataclass(frozen=True)
class Value:
    """A tensor flowing through the graph. `kind` is "input", "output", "initializer",
    "intermediate", or "outer" (in a subgraph: defined by an enclosing graph)."""
    name: str
    dtype: str | None
    shape: Shape | None
    producer: str | None
    consumers: tuple[str, ...]
    kind: str

    def to_dict(self) -> dict:
        return {"name": self.name, "dtype": self.dtype,
                "shape": None if self.shape is None else list(self.shape)}


@dataclass(frozen=True)
class Initializer:
    """A weight: metadata only. `load()` reads this one array from the file on demand."""
    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    external: bool
    location: str | None = None            # the external-data file, as written in the model
    values: tuple | None = None            # the values of a small one (<= 16), read with the model
    _loader: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def load(self):
        """The initializer's numpy array, read now from the (checked) file."""
        if self._loader is None:
            raise ModelError(f"initializer '{self.name}' has no data to load")
        return self._loader()

    def to_dict(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape),
                "nbytes": self.nbytes, "external": self.external, "location": self.location}

    def __reduce__(self):
        # The loader reads the file from the process that opened and checked it; a copy sent
        # to another process (studio.core.graph.isolated) carries the metadata only.
        return (Initializer, (self.name, self.dtype, self.shape, self.nbytes, self.external, self.location,
                              self.values))


@dataclass(frozen=True)
class Node:
    """One operator. `name` is unique in its graph: unnamed nodes get `<op_type>_<index>` and a
    repeated name gets `_<index>` appended; `source_name` keeps what the file said.
    `implicit_inputs` are outer-scope tensors that the node's subgraphs read (If/Loop/Scan)."""
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: Mapping[str, Any]
    index: int
    source_name: str = ""
    subgraphs: Mapping[str, "Graph"] = field(default_factory=lambda: EMPTY)
    implicit_inputs: tuple[str, ...] = ()

    @property
    def has_subgraphs(self) -> bool:
        return bool(self.subgraphs)

    @property
    def qualified_op(self) -> str:
        """`op_type` for the default domain, `domain::op_type` otherwise."""
        return self.op_type if self.domain in ("", "ai.onnx") else f"{self.domain}::{self.op_type}"


class Edge(NamedTuple):
    src: str      # producing node
    dst: str      # consuming node
    tensor: str


@dataclass(frozen=True)
class Graph:
    """One ONNX graph (the main one or a subgraph). Model-level facts (opset, producer, IR
    version, file) are filled for the main graph and left empty in subgraphs."""
    name: str
    nodes: tuple[Node, ...]
    values: Mapping[str, Value]
    initializers: Mapping[str, Initializer]
    inputs: tuple[Value, ...]
    outputs: tuple[Value, ...]
    opset: Mapping[str, int] = field(default_factory=lambda: EMPTY)
    producer_name: str = ""
    producer_version: str = ""
    ir_version: int | None = None
    path: str | None = None
    file_size: int | None = None
    warnings: tuple[str, ...] = ()
    # True when ONNX's strict shape inference ran over the whole model without an error.
    shapes_checked: bool = False
    # The weights-free serialized model, kept so stats can re-run shape inference with concrete
    # dims; a few hundred KB for a BERT-base model.
    _stripped_model: bytes | None = field(default=None, repr=False, compare=False)
    _index: Mapping[str, Node] = field(default_factory=lambda: EMPTY, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", MappingProxyType({n.name: n for n in self.nodes}))

    def node(self, name: str) -> Node:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"no node named {name!r} in graph {self.name!r}") from None

    def edges(self) -> tuple[Edge, ...]:
        """(producer node, consumer node, tensor) for each tensor that links two nodes; a
        subgraph's reads of outer tensors count as inputs of the node that owns the subgraph."""
        out: list[Edge] = []
        for node in self.nodes:
            seen = set()
            for t in (*node.inputs, *node.implicit_inputs):
                if not t or t in seen:
                    continue
                seen.add(t)
                v = self.values.get(t)
                if v is not None and v.producer is not None:
                    out.append(Edge(v.producer, node.name, t))
        return tuple(out)

    def topological_order(self) -> tuple[Node, ...]:
        """Nodes so that every producer comes before its consumers; ties keep file order."""
        indeg = {n.name: 0 for n in self.nodes}
        succ: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for e in self.edges():
            indeg[e.dst] += 1
            succ[e.src].append(e.dst)
        position = {n.name: i for i, n in enumerate(self.nodes)}
        ready = [(position[n], n) for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order: list[Node] = []
        while ready:
            _, name = heapq.heappop(ready)
            order.append(self._index[name])
            for s in succ[name]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    heapq.heappush(ready, (position[s], s))
        if len(order) != len(self.nodes):
            stuck = next(n.name for n in self.nodes if indeg[n.name] > 0)
            raise ModelError(f"the graph has a cycle through node '{stuck}'", where=self.path)
        return tuple(order)

    def all_subgraphs(self) -> tuple["Graph", ...]:
        """Every nested subgraph, depth first."""
        out: list[Graph] = []
        todo = deque(n for n in self.nodes if n.subgraphs)
        while todo:
            node = todo.popleft()
            for g in node.subgraphs.values():
                out.append(g)
                todo.extend(n for n in g.nodes if n.subgraphs)
        return tuple(out)
