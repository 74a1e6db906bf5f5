"""Readers of engine layer reports, one module per format with the same shape:
`match(path_or_text) -> bool` and `parse(path_or_text) -> RawPlan`, followed by the shared
pipeline of named fixes (pipeline.py) that turns raw layers into a typed Plan.

`load(path, onnx_model=None)` picks the reader; given an artifact the studio built (an engine or
an ONNX Runtime optimized model with its sidecar `<artifact>.json`) it finds the builder's
`<engine>.layers.txt` and the source ONNX through the sidecar, and never deserializes the engine."""

from __future__ import annotations

import os
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.graph.plan import Plan
from studio.core.graph.plan_sources import (inspector_json, ort_optimized, tensorrt_log,
                                            trtexec_layerinfo)
from studio.core.graph.plan_sources.pipeline import to_plan
from studio.core.graph.plan_sources.source import SourceInput, as_source, read_source

# Most specific first: trtexec's files are inspector JSON with trtexec's names.
READERS = [trtexec_layerinfo, inspector_json, tensorrt_log]
FORMATS = [r.FORMAT for r in (*READERS, ort_optimized)]
ENGINE_SUFFIXES = {".engine", ".plan", ".trt"}


def layer_report_path(artifact: str | os.PathLike) -> Path:
    """Where the TensorRT backend saves the builder's `Layers:` report (see the TRT plugin)."""
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".layers.txt")


def detect(source) -> str:
    """The format name of a report (text or path); StudioError when none fits."""
    src = as_source(source)
    if ort_optimized.match(src):
        return ort_optimized.FORMAT
    for reader in READERS:
        if reader.match(src):
            return reader.FORMAT
    raise StudioError("not a layer report this studio reads (TensorRT `Layers:` log, engine "
                      "inspector / trtexec --exportLayerInfo JSON, or an ONNX Runtime optimized model)",
                      src.where)


def parse_report(source, onnx_model=None, fmt: str | None = None) -> Plan:
    """A report (path or text) -> Plan, without looking for sidecars."""
    src = as_source(source)
    fmt = fmt or detect(src)
    onnx_path = _model_path(onnx_model)
    if fmt == ort_optimized.FORMAT:
        raw = ort_optimized.parse(src, original=onnx_model)
    else:
        reader = {r.FORMAT: r for r in READERS}.get(fmt)
        if reader is None:
            raise StudioError(f"unknown layer report format {fmt!r}; choose one of {', '.join(FORMATS)}")
        raw = reader.parse(src)
    return to_plan(raw, onnx_model=onnx_path)


def load(path, onnx_model=None) -> Plan:
    """Plan from a report, an engine built by the studio, or an ONNX Runtime optimized model.

    `onnx_model` (path, ModelProto or Graph) is the model the engine came from; when omitted it
    is taken from the artifact's sidecar (if the file there still has the recorded sha256)."""
    path = Path(path)
    if not path.exists():
        raise StudioError("no such file", str(path))
    sidecar = _sidecar(path)
    notes: list[str] = []
    if onnx_model is None and sidecar is not None:
        onnx_model, note = _source_from_sidecar(sidecar, path)
        if note:
            notes.append(note)
    report: Path = path
    if path.suffix.lower() in ENGINE_SUFFIXES or (sidecar is not None and _is_binary(path)
                                                   and path.suffix.lower() != ".onnx"):
        report = _engine_report(path, sidecar)
    plan = parse_report(read_source(report), onnx_model=onnx_model)
    marked = _marked(plan, (sidecar or {}).get("not_optimized") or {})
    if marked:
        notes.append(f"{len(marked)} layer(s) hold blocks the build could not optimize (marked in the graph)")
    if notes or marked:
        plan = Plan(**{**plan.__dict__, "notes": plan.notes + tuple(notes), "marked": marked})
    return plan


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


def _is_binary(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"\x00" in fh.read(4096)
    except OSError:
        return False


def _sidecar(path: Path) -> dict | None:
    from studio.core.backends.base import sidecar_path
    from studio.core.backends.sidecar import load_sidecar

    if not sidecar_path(path).is_file():
        return None
    return load_sidecar(path)


def _engine_report(engine: Path, sidecar: dict | None) -> Path:
    """An engine's layers come from the report saved at build time: engines are code, and the
    studio does not deserialize one to inspect it."""
    names = []
    if sidecar and sidecar.get("layer_report"):
        names.append(engine.with_name(sidecar["layer_report"]))
    names.append(layer_report_path(engine))
    for candidate in names:
        if candidate.is_file():
            return candidate
    if sidecar is None:
        raise StudioError("an engine without the studio's sidecar: its layers cannot be read without "
                          "deserializing it; give the builder's `Layers:` log or inspector JSON instead",
                          str(engine))
    raise StudioError(f"no layer report beside this engine (expected {layer_report_path(engine).name}); "
                      "rebuild it with the studio", str(engine))


def _source_from_sidecar(sidecar: dict, artifact: Path) -> tuple[str | None, str | None]:
    from studio.core.backends.sidecar import source_model

    path, problem = source_model(artifact, sidecar)
    if problem:
        return None, f"{problem}: layers are not mapped to it"
    return (str(path) if path else None), None


def _model_path(onnx_model) -> str | None:
    if onnx_model is None:
        return None
    if isinstance(onnx_model, (str, os.PathLike)):
        return str(onnx_model)
    return getattr(onnx_model, "path", None)


__all__ = ["FORMATS", "READERS", "SourceInput", "detect", "layer_report_path", "load", "parse_report"]
