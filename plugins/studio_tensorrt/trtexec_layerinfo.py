"""trtexec `--profilingVerbosity=detailed --exportLayerInfo=FILE` JSON.

trtexec writes the engine inspector's JSON unchanged, so parsing is the inspector reader's; what
this module adds is recognizing trtexec's files and what trtexec writes beside them. TREx's
process_engine.py (the usual way to run it) names them `<engine>.graph.json` (layer info) and
`<engine>.profile.json` (`--exportProfile`: `[{"count": N}, {"name", "timeMs", "averageMs",
"medianMs", "percentage"}, ...]`); when that profile is present its per-layer times are attached
to each layer's raw record as `AverageMs` / `Percentage` (layers matched by name)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from studio.core.graph.plan_sources.pipeline import RawPlan
from studio.core.graph.plan_sources.source import as_source
from studio_tensorrt import inspector_json

FORMAT = "trtexec_layerinfo"
_NAME = re.compile(r"(\.graph\.json|layer_?info[^/]*\.json|\.layers?\.json)$", re.I)


def match(source) -> bool:
    src = as_source(source)
    return (src.path is not None and bool(_NAME.search(src.path.name))
            and inspector_json.match(src))


def profile_path(path: Path) -> Path | None:
    for pattern in (".graph.json", ".layerinfo.json", ".layer_info.json", ".layers.json"):
        if path.name.lower().endswith(pattern):
            candidate = path.with_name(path.name[: -len(pattern)] + ".profile.json")
            if candidate.is_file():
                return candidate
    return None


def parse(source, original=None) -> RawPlan:
    src = as_source(source)
    raw = inspector_json.parse(src, source_format=FORMAT)
    prof = profile_path(src.path) if src.path else None
    if prof is not None:
        timed = _attach_profile(raw, prof)
        raw.notes.append(f"per-layer times from {prof.name} ({timed} layers matched)")
    return raw


def _attach_profile(raw: RawPlan, path: Path) -> int:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw.notes.append(f"{path.name} is not readable JSON; per-layer times left out")
        return 0
    by_name = {r.get("name"): r for r in records if isinstance(r, dict) and "name" in r}
    matched = 0
    for layer in raw.layers:
        if isinstance(layer, dict) and layer.get("Name") in by_name:
            rec = by_name[layer["Name"]]
            layer["AverageMs"] = rec.get("averageMs")
            layer["Percentage"] = rec.get("percentage")
            matched += 1
    return matched
