"""Report sections from the studio's own records: a model (its file, or the summary
`engine-studio inspect --json` printed, studio.core.graph.summary) and a build (its sidecar,
studio.core.backends.sidecar, with the fused graph's figures from the layers its backend kept).
Both ways to make a report use these: the session with what it holds, studio.core.reports.inputs
with the user's files. Each reads the keys its producer writes, coerced (files can be
hand-edited: a string where a number belongs must not reach the renderers)."""

from __future__ import annotations

import warnings
from pathlib import Path

from studio.core.backends.layer_reports import load_plan
from studio.core.errors import StudioError
from studio.core.graph.fusion import fusion_map
from studio.core.graph.onnx_loader import open_graph
from studio.core.graph.summary import summarize
from studio.core.reports.from_results import as_int, as_number, as_text
from studio.core.reports.report_model import BuildInfo, FusedLayer, FusionPattern, ModelInfo, ReportTensor

MAX_FUSED_LAYERS = 8


def _tensors(items) -> list[ReportTensor]:
    out = []
    for t in items if isinstance(items, list) else []:
        if not isinstance(t, dict):
            continue
        shape = t.get("shape") if isinstance(t.get("shape"), list) else []
        # bool is an int to Python but not a dimension
        out.append(ReportTensor(name=as_text(t.get("name")), dtype=as_text(t.get("dtype")),
                              shape=[s if isinstance(s, (int, str)) and not isinstance(s, bool) else str(s)
                                     for s in shape]))
    return out


def _counts(d) -> dict[str, int]:
    if not isinstance(d, dict):
        return {}
    return {str(k): as_int(v) for k, v in d.items() if as_int(v) is not None and as_int(v) >= 0}


def model_from_summary(d: dict, source: str = "") -> ModelInfo:
    """A model summary as `inspect --json` writes it."""
    path = as_text(d.get("path"))
    producer = " ".join(x for x in (as_text(d.get("producer")), as_text(d.get("producer_version"))) if x)
    return ModelInfo(
        name=Path(path).name if path else Path(source).stem, path=path or source,
        inputs=_tensors(d.get("inputs")), outputs=_tensors(d.get("outputs")),
        parameters=as_int(d.get("parameters")), parameter_bytes=as_int(d.get("weight_bytes")),
        nodes=as_int(d.get("nodes")), op_histogram=_counts(d.get("op_histogram")),
        opsets={(k or "ai.onnx"): v for k, v in _counts(d.get("opset_imports")).items()},
        producer=producer,
    )


def model_from_onnx(path: Path) -> ModelInfo:
    """Summarize an ONNX model through the graph core (the same summary `inspect` prints); it
    checks external-data locations before opening anything and does not load weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # loader warnings belong to `inspect`, not to a report
        graph = open_graph(str(path))
    return model_from_summary(summarize(graph).to_dict(), source=str(path))


def fusion_section(artifact: str, model_path: str) -> dict:
    """Layers before/after, the main fusion patterns, precision per layer and the largest fused
    layers: from the layers the build's backend kept (studio.core.backends.layer_reports) mapped
    to the source model (studio.core.graph.fusion). Empty when the layers are not there (an
    artifact copied without them): the build's other facts stand alone."""
    onnx_model = model_path if model_path and Path(model_path).is_file() else None
    try:
        plan = load_plan(artifact, onnx_model=onnx_model)
        stats = fusion_map(plan, onnx_model).stats()
    except StudioError:
        return {}
    fused = sorted((FusedLayer(layer=g.layer, nodes=g.nodes, pattern=g.readable, precision=g.precision)
                    for g in stats.groups), key=lambda x: -x.nodes)[:MAX_FUSED_LAYERS]
    return {
        "fused_layers": fused,
        "layers_before": stats.layers_before if (onnx_model or plan.onnx_model) else None,
        "layers_after": stats.layers_after,
        "fusion_patterns": sorted((FusionPattern(k, v) for k, v in stats.patterns.items()),
                                  key=lambda p: (-p.count, p.pattern)),
        "precision_per_layer": dict(stats.precision),
    }


def build_from_sidecar(d: dict, source: str, artifact: str | None = None) -> BuildInfo:
    """A build sidecar (kind "engine-studio-artifact"); `artifact` is the file it describes."""
    config = d.get("build_config") if isinstance(d.get("build_config"), dict) else {}
    art = d.get("artifact") if isinstance(d.get("artifact"), dict) else {}
    if not artifact:
        artifact = str(Path(source).with_name(as_text(art.get("file")))) if art.get("file") else ""
    src = d.get("source") if isinstance(d.get("source"), dict) else {}
    model_path = as_text(src.get("path") or config.get("model"))
    library = as_text(d.get("library"))
    if d.get("library_version") and str(d["library_version"]) not in library:
        library = f"{library} {d['library_version']}".strip()
    precision, backend = as_text(d.get("precision")), as_text(d.get("backend"))
    warnings_ = d.get("warnings") if isinstance(d.get("warnings"), list) else []
    return BuildInfo(
        label=f"{Path(artifact).name or Path(source).name} ({backend or '?'} {precision or '?'})",
        artifact=artifact, backend=backend, precision=precision, library=library,
        size_bytes=as_int(art.get("size_bytes")), build_seconds=as_number(d.get("build_seconds")),
        config=config, warnings=[str(w) for w in warnings_], source=source,
        **(fusion_section(artifact, model_path) if artifact else {}),
    )
