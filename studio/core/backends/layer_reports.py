"""An engine's layers as a Plan, from whatever the user opens: a studio-built artifact (its
backend says where its layer report is), or a report file or text in any format a registered
backend reads. The formats belong to the backends (`Backend.plan_readers`); this module only
asks them, so a third-party backend brings its own format without touching the core.

An engine is never deserialized to inspect it: its layers come from the report saved at build
time. The source ONNX model, when not given, comes from the artifact's sidecar (if the file there
still has the recorded sha256), so layers are mapped to its nodes."""

from __future__ import annotations

import os
from pathlib import Path

from studio.core.backends.base import Backend, sidecar_path
from studio.core.backends.registry import backend_for_artifact, get_backend, installed_backends
from studio.core.backends.sidecar import load_sidecar, source_model
from studio.core.errors import StudioError
from studio.core.graph.plan import Plan
from studio.core.graph.plan_sources import SourceInput, as_source, read_source, to_plan


def readers() -> list:
    """Every registered backend's report readers, each backend's most specific first."""
    return [r for backend in installed_backends() for r in backend.plan_readers()]


def formats() -> list[str]:
    return [r.FORMAT for r in readers()]


def detect(source) -> str:
    """The format name of a report (text or path); StudioError when none fits."""
    return _reader(as_source(source)).FORMAT


def parse_report(source, onnx_model=None, fmt: str | None = None) -> Plan:
    """A report (path or text) -> Plan, without looking for sidecars."""
    src = as_source(source)
    if fmt is None:
        reader = _reader(src)
    else:
        reader = next((r for r in readers() if r.FORMAT == fmt), None)
        if reader is None:
            raise StudioError(f"unknown layer report format {fmt!r}; choose one of {', '.join(formats())}")
    raw = reader.parse(src, original=onnx_model)
    return to_plan(raw, onnx_model=_model_path(onnx_model))


def load_plan(path, onnx_model=None) -> Plan:
    """Plan from a report or a studio-built artifact. `onnx_model` (path, ModelProto or Graph)
    is the model the artifact came from; when omitted it is taken from the artifact's sidecar."""
    path = Path(path)
    if not path.exists():
        raise StudioError("no such file", str(path))
    sidecar = load_sidecar(path) if sidecar_path(path).is_file() else None
    notes: list[str] = []
    if onnx_model is None and sidecar is not None:
        found, problem = source_model(path, sidecar)
        if problem:
            notes.append(f"{problem}: layers are not mapped to it")
        onnx_model = str(found) if found and not problem else None
    owner = _owner(path, sidecar)
    report = owner.layer_report(path, sidecar) if owner is not None else path
    plan = parse_report(read_source(report), onnx_model=onnx_model)
    marked = _marked(plan, (sidecar or {}).get("not_optimized") or {})
    if marked:
        notes.append(f"{len(marked)} layer(s) hold blocks the build could not optimize (marked in the graph)")
    if notes or marked:
        plan = Plan(**{**plan.__dict__, "notes": plan.notes + tuple(notes), "marked": marked})
    return plan


def _reader(src: SourceInput):
    found = readers()
    for reader in found:
        if reader.match(src):
            return reader
    raise StudioError("not a layer report this studio reads (" + ", ".join(r.FORMAT for r in found) + ")",
                      src.where)


def _owner(path: Path, sidecar: dict | None) -> Backend | None:
    """The backend whose artifact this is: the sidecar says, else the file itself (an engine's
    magic bytes); None for a report file."""
    if sidecar is not None and sidecar.get("backend"):
        return get_backend(str(sidecar["backend"]))
    return backend_for_artifact(path)


def _marked(plan: Plan, not_optimized: dict) -> tuple[tuple[str, str], ...]:
    """(layer, why) for each layer that holds a source node the build could not optimize."""
    if not isinstance(not_optimized, dict):
        return ()
    out = []
    for layer in plan.layers:
        whys = [f"{n}: {not_optimized[n]}" for n in layer.onnx_nodes if n in not_optimized]
        if whys:
            out.append((layer.name, "; ".join(whys)))
    return tuple(out)


def _model_path(onnx_model) -> str | None:
    if onnx_model is None:
        return None
    if isinstance(onnx_model, (str, os.PathLike)):
        return str(onnx_model)
    return getattr(onnx_model, "path", None)
