"""ModelSummary: what `engine-studio inspect` shows and what `--json` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.graph.model import Graph, format_shape
from studio.core.graph.stats import FlopsEstimate, estimate_flops, op_histogram, parameter_count
from studio.core.serde import Record


@dataclass(frozen=True)
class IOTensor(Record):
    """A model input or output as `inspect` shows it."""

    name: str
    dtype: str | None
    shape: list | None      # ints, symbolic dim names (str), or None for unknown dims


@dataclass(frozen=True)
class ModelSummary(Record):
    path: str
    file_size: int
    ir_version: int | None
    producer: str
    producer_version: str
    opset: int | None                  # the default (ai.onnx) domain's version
    opset_imports: dict[str, int]      # every domain -> version ("" is ai.onnx)
    inputs: list[IOTensor]
    outputs: list[IOTensor]
    nodes: int
    op_histogram: dict[str, int]
    parameters: int
    initializers: int
    weight_bytes: int
    external_weight_bytes: int
    subgraphs: int
    flops: FlopsEstimate
    warnings: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        """Readable report; symbolic dims appear by name."""
        def tensors(ts: list[IOTensor]) -> list[str]:
            width = max((len(t.name) for t in ts), default=0)
            return [f"  {t.name.ljust(width)}  {t.dtype or '?'}  "
                    f"{format_shape(None if t.shape is None else tuple(t.shape))}" for t in ts]

        ops = ", ".join(f"{k} {v}" for k, v in self.op_histogram.items())
        other = ", ".join(f"{k or 'ai.onnx'} {v}" for k, v in self.opset_imports.items() if k not in ("", "ai.onnx"))
        f = self.flops
        dims = ", ".join(f"{k}={v}" for k, v in f.dims.items())
        lines = [
            f"Model      {self.path}  ({_size(self.file_size)}"
            + (f", +{_size(self.external_weight_bytes)} external data" if self.external_weight_bytes else "") + ")",
            f"Producer   {self.producer or '?'} {self.producer_version}".rstrip(),
            f"IR / opset ir {self.ir_version}, opset {self.opset}" + (f" ({other})" if other else ""),
            "Inputs", *tensors(self.inputs),
            "Outputs", *tensors(self.outputs),
            f"Nodes      {self.nodes}" + (f" (+ {self.subgraphs} subgraphs)" if self.subgraphs else ""),
            f"Ops        {ops}",
            f"Parameters {self.parameters:,} in {self.initializers} initializers ({_size(self.weight_bytes)})",
            f"FLOPs      {_flops(f.total)} at batch {f.batch}, sequence {f.seq_len}"
            + (f" ({dims})" if dims else "") + f"; attention matmuls {_flops(f.attention)}",
            f"           {f.convention}"
            + (f"; {len(f.unresolved)} nodes with unknown shapes not counted" if f.unresolved else ""),
        ]
        lines += [f"Warning    {w}" for w in self.warnings]
        return "\n".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _flops(n: int) -> str:
    for unit, scale in (("TFLOPs", 1e12), ("GFLOPs", 1e9), ("MFLOPs", 1e6), ("kFLOPs", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} FLOPs"


def summarize(graph: Graph, *, batch: int = 1, seq_len: int = 128) -> ModelSummary:
    def info(v) -> IOTensor:
        return IOTensor(v.name, v.dtype, None if v.shape is None else list(v.shape))

    inits = list(graph.initializers.values())
    opset = graph.opset.get("", graph.opset.get("ai.onnx"))
    return ModelSummary(
        path=graph.path or "", file_size=graph.file_size or 0, ir_version=graph.ir_version,
        producer=graph.producer_name, producer_version=graph.producer_version,
        opset=opset, opset_imports=dict(graph.opset),
        inputs=[info(v) for v in graph.inputs], outputs=[info(v) for v in graph.outputs],
        nodes=len(graph.nodes), op_histogram=op_histogram(graph), parameters=parameter_count(graph),
        initializers=len(inits), weight_bytes=sum(i.nbytes for i in inits),
        external_weight_bytes=sum(i.nbytes for i in inits if i.external),
        subgraphs=len(graph.all_subgraphs()),
        flops=estimate_flops(graph, batch=batch, seq_len=seq_len),
        warnings=list(graph.warnings),
    )
