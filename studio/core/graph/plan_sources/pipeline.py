"""Raw layers -> Plan: a pipeline of small named fixes, each a function over the raw layer list.

Every reader returns layers in one raw shape, the inspector JSON's (`Name`, `LayerType`,
`Inputs`/`Outputs`/`Constants` as dicts with `Name`, `Dimensions`, `Datatype` or
`Format/Datatype`, `TacticName`, `Metadata`). The steps below fix what differs between TensorRT
versions and verbosity levels, then `to_plan` types the result."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from studio.core.errors import StudioError
from studio.core.graph.plan import Layer, Plan, TensorInfo, derive_precision, normalize_dtype

# TensorRT separates metadata records with ASCII unit/record separators (0x1F, 0x1E).
_SEPARATORS = "\x1e\x1f"
_ONNX_LAYER = re.compile(r"\[ONNX Layer: (.*?)\](?=[\x1e\x1f]|\[ONNX Layer: |\s*$|\s*\+)", re.S)
_PROFILE = re.compile(r"\s*\[profile (\d+)\]")


@dataclass
class RawPlan:
    """What a reader hands to the pipeline."""

    source_format: str
    layers: list
    inputs: list[dict] = field(default_factory=list)     # I/O tensors in the raw tensor shape
    outputs: list[dict] = field(default_factory=list)
    bindings: list[str] = field(default_factory=list)    # names only, when that is all we have
    source_path: str | None = None
    notes: list[str] = field(default_factory=list)
    detailed: bool = True
    unmapped: list[str] = field(default_factory=list)


Step = Callable[[RawPlan], RawPlan]


def names_only(raw: RawPlan) -> RawPlan:
    """Without ProfilingVerbosity.DETAILED the inspector gives each layer as one name string."""
    if raw.layers and all(isinstance(x, str) for x in raw.layers):
        raw.layers = [{"Name": x} for x in raw.layers]
        raw.detailed = False
        raw.notes.append("names only: the engine was built without detailed profiling verbosity, "
                         "so layer types, tensors and ONNX origins are guessed from layer names")
    bad = [i for i, x in enumerate(raw.layers) if not isinstance(x, dict) or not isinstance(x.get("Name"), str)]
    if bad:
        raise StudioError(f"layer {bad[0]} is neither a layer object with a Name string nor a name string",
                          raw.source_path)
    return raw


def drop_signal_wait(raw: RawPlan) -> RawPlan:
    """Multi-stream engines add signal/wait layers that synchronize streams and compute nothing."""
    raw.layers = [x for x in raw.layers if x.get("LayerType") not in ("signal", "wait")]
    return raw


def keep_first_profile(raw: RawPlan) -> RawPlan:
    """An engine with several optimization profiles repeats every layer with a `[profile N]`
    suffix; the first profile's layers carry none. Keep those."""
    if any(_PROFILE.search(x["Name"]) for x in raw.layers):
        raw.layers = [x for x in raw.layers if not _PROFILE.search(x["Name"])]
        raw.bindings = [b for b in raw.bindings if not _PROFILE.search(b)]
        raw.inputs = [t for t in raw.inputs if not _PROFILE.search(t.get("Name", ""))]
        raw.outputs = [t for t in raw.outputs if not _PROFILE.search(t.get("Name", ""))]
        raw.notes.append("several optimization profiles: showing the first profile's layers")
    return raw


def disambiguate_names(raw: RawPlan) -> RawPlan:
    """Layer names are keys (edges, the window's selection); make repeats unique: name, name_2."""
    seen: dict[str, int] = {}
    for x in raw.layers:
        name = x["Name"]
        if name in seen:
            seen[name] += 1
            x["Name"] = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
    return raw


def onnx_origins(raw: RawPlan) -> RawPlan:
    """Metadata `[ONNX Layer: a]\\x1f[ONNX Layer: b]` -> ["a", "b"] in `_onnx_nodes`.

    Reports without metadata (TensorRT < 8.6, names-only verbosity) name a fused layer after its
    parts, `w + QuantizeLinear_8 + Conv_12 + PWN(Clip_16)`: split that instead and let the fusion
    map drop the parts that are weights rather than nodes."""
    for x in raw.layers:
        meta = x.get("Metadata")
        if isinstance(meta, str) and "[ONNX Layer:" in meta:
            names = [m.strip() for m in _ONNX_LAYER.findall(meta)]
            x["_onnx_from"] = "metadata"
        elif "Metadata" in x:
            # Present but without ONNX records: a layer the builder added (shape calls,
            # reformats), or metadata a user set through the network API.
            names = [p.strip() for p in re.split(r"[\x1e\x1f]", str(meta or "")) if p.strip()]
            x["_onnx_from"] = "metadata"
        else:
            names = _names_from_layer_name(x["Name"])
            x["_onnx_from"] = "name"
        x["_onnx_nodes"] = list(dict.fromkeys(n for n in names if n))
    return raw


def _names_from_layer_name(name: str) -> list[str]:
    out = []
    for part in re.split(r" \+ |[\x1e\x1f]", _PROFILE.sub("", name)):
        part = part.strip()
        if part.startswith("PWN("):  # PWN(PWN(a, b), c): a pointwise fusion of a, b and c
            for token in re.split(r",\s*", part):
                token = token.replace("PWN(", "")
                extra = token.count(")") - token.count("(")
                out.append(token[:len(token) - extra].strip() if extra > 0 else token.strip())
        elif part:
            out.append(part)
    return out


def plain_names(raw: RawPlan) -> RawPlan:
    """TensorRT 8.6/10.0 put the 0x1E/0x1F separators in layer names too; show them as '+'."""
    for x in raw.layers:
        x["Name"] = re.sub(f"[{_SEPARATORS}]", "+", x["Name"])
    return raw


STEPS: list[Step] = [names_only, drop_signal_wait, keep_first_profile, onnx_origins, plain_names,
                     disambiguate_names]


def _shape(dims) -> tuple | None:
    if dims is None:
        return None
    if isinstance(dims, (list, tuple)):
        out = []
        for d in dims:
            try:
                out.append(int(d))
            except (TypeError, ValueError):
                out.append(str(d))
        return tuple(out)
    return None


def to_tensor(t) -> TensorInfo:
    if isinstance(t, str):
        return TensorInfo(t)
    dtype_text = t.get("Datatype") or t.get("DataType") or t.get("Format/Datatype") or ""
    fmt = t.get("Format") or t.get("Format/Datatype") or ""
    return TensorInfo(str(t.get("Name", "")), normalize_dtype(str(dtype_text)),
                      _shape(t.get("Dimensions")), str(fmt).strip())


def to_layer(x: dict) -> Layer:
    inputs = tuple(to_tensor(t) for t in x.get("Inputs") or [])
    outputs = tuple(to_tensor(t) for t in x.get("Outputs") or [])
    constants = tuple(to_tensor(t) for t in x.get("Constants") or [])
    ltype = x.get("LayerType") or x.get("ParameterType") or ""
    raw = {k: v for k, v in x.items() if not k.startswith("_")}
    return Layer(
        name=x["Name"], type=str(ltype), precision=derive_precision(inputs, constants, outputs),
        tactic=str(x.get("TacticName") or x.get("TacticValue") or "").strip(),
        inputs=inputs, outputs=outputs, constants=constants,
        onnx_nodes=tuple(x.get("_onnx_nodes", ())), raw=raw,
    )


def run(raw: RawPlan, steps: list[Step] | None = None) -> RawPlan:
    for step in steps or STEPS:
        raw = step(raw)
    return raw


def to_plan(raw: RawPlan, onnx_model: str | None = None, steps: list[Step] | None = None) -> Plan:
    raw = run(raw, steps)
    layers = tuple(to_layer(x) for x in raw.layers)
    inputs = tuple(to_tensor(t) for t in raw.inputs)
    outputs = tuple(to_tensor(t) for t in raw.outputs)
    if raw.bindings and not (inputs or outputs) and not raw.detailed:
        raw.notes.append("engine I/O tensors: " + ", ".join(raw.bindings))
    elif raw.bindings and not (inputs or outputs):
        # Bindings are names only: an input is one no layer produces.
        produced = {t.name for layer in layers for t in layer.outputs}
        known = {t.name: t for layer in layers for t in (*layer.inputs, *layer.outputs)}
        inputs = tuple(known.get(b, TensorInfo(b)) for b in raw.bindings if b not in produced)
        outputs = tuple(known.get(b, TensorInfo(b)) for b in raw.bindings if b in produced)
    return Plan(source_format=raw.source_format, layers=layers, inputs=inputs, outputs=outputs,
                onnx_model=onnx_model, source_path=raw.source_path, detailed=raw.detailed,
                unmapped=tuple(raw.unmapped), notes=tuple(raw.notes))
