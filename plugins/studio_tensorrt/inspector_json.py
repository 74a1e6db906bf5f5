"""IEngineInspector.get_engine_information(LayerInformationFormat.JSON), as TREx reads it:

    {"Layers": [{"Name": ..., "LayerType": ..., "Inputs": [{"Name", "Location", "Dimensions",
                 "Format/Datatype"}], "Outputs": [...], "TacticName": ..., "Metadata":
                 "[ONNX Layer: a]\\x1f[ONNX Layer: b]", ...}, ...],
     "Bindings": ["input", "output"]}

Engines built without ProfilingVerbosity.DETAILED give `"Layers": ["name", ...]`, one string per
layer (LAYER_NAMES_ONLY); older TensorRT (< 8.6) has no Metadata and no Bindings. A GPU is needed
to make this file (the engine must be deserialized), so the studio reads it when a user brings it."""

from __future__ import annotations

from studio.core.errors import StudioError
from studio.core.graph.plan_sources.pipeline import RawPlan
from studio.core.graph.plan_sources.source import as_source

FORMAT = "inspector_json"


def engine_information(doc) -> dict | None:
    """The inspector object inside `doc`, or None when `doc` is not one."""
    if isinstance(doc, dict) and isinstance(doc.get("Layers"), list):
        return doc
    return None


def match(source) -> bool:
    return engine_information(as_source(source).json) is not None


def parse(source, original=None, source_format: str = FORMAT) -> RawPlan:
    src = as_source(source)
    info = engine_information(src.json)
    if info is None:
        raise StudioError("not engine-inspector JSON (expected an object with a \"Layers\" list)",
                          src.where)
    layers = info["Layers"]
    if not layers:
        raise StudioError("the engine information lists no layers", src.where)
    bindings = info.get("Bindings") or []
    if not isinstance(bindings, list) or not all(isinstance(b, str) for b in bindings):
        raise StudioError("\"Bindings\" should be a list of tensor names", src.where)
    for i, layer in enumerate(layers):
        if isinstance(layer, dict):
            for key in ("Inputs", "Outputs", "Constants"):
                if key in layer and not isinstance(layer[key], list):
                    raise StudioError(f"layer {i} ({layer.get('Name', '?')}): \"{key}\" should be a list",
                                      src.where)
                bad = next((j for j, t in enumerate(layer.get(key) or []) if not isinstance(t, (dict, str))), None)
                if bad is not None:
                    raise StudioError(f"layer {i} ({layer.get('Name', '?')}): \"{key}\"[{bad}] should be a "
                                      f"tensor object or name", src.where)
    # The pipeline edits layers in place; keep the caller's document intact.
    layers = [dict(x) if isinstance(x, dict) else x for x in layers]
    return RawPlan(source_format, layers, bindings=list(bindings), source_path=src.path_str)
