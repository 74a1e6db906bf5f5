"""Read what builds, benchmarks and inspections left behind into a Report.

A RESULTS argument may be: a build sidecar (`<artifact>.json`), an artifact with its sidecar
beside it, a benchmark or accuracy result (studio.core.bench.results), a model summary
(`engine-studio inspect --json`), or an ONNX model. Anything else is refused with one line
naming the file. The readers are tolerant of missing fields: the producers' formats are still
growing, and a report should show what is there rather than refuse what is not."""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.reports.from_results import (
    accuracy_from_results, as_int, as_number, as_text, bench_from_results, describe_load, finish_report, new_report,
)
from studio.core.reports.report_model import (
    DEFAULT_PRICE_PER_GPU_HOUR, AccuracyInfo, BenchInfo, BuildInfo, CurvePoint, Environment,
    FusedLayer, FusionPattern, ModelInfo, Report, SourceFile, TensorInfo,
)

# Result JSON files over this size are refused: a report input is a summary, not raw data.
MAX_INPUT_BYTES = 64 * 1024 * 1024
HISTOGRAM_BINS = 30
MAX_FUSED_LAYERS = 8


# ----------------------------------------------------------------------------- small readers

def _get(d, *keys, default=None):
    """The first present, non-None value among `keys` (dotted paths reach into dicts)."""
    if not isinstance(d, dict):
        return default
    for key in keys:
        cur = d
        for part in key.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                cur = None
                break
        if cur is not None:
            return cur
    return default


def _fraction(v) -> float | None:
    """Accept 0..1 or a percentage 0..100."""
    f = as_number(v)
    if f is None:
        return None
    return f / 100.0 if f > 1.0 + 1e-9 else f


_PCT_ALIASES = {"median": "p50", "avg": "mean", "average": "mean", "minimum": "min", "maximum": "max"}


def _latency_stats(d: dict) -> dict[str, float]:
    """Normalize {"p50_ms": .., "P99": .., "median": ..} to {"p50": .., "p99": ..}."""
    out: dict[str, float] = {}
    if not isinstance(d, dict):
        return out
    for k, v in d.items():
        key = str(k).lower().removesuffix("_ms").removeprefix("latency_")
        key = _PCT_ALIASES.get(key, key)
        if key.replace(".", "").isdigit():
            key = "p" + key
        f = as_number(v)
        if f is not None and (key in ("min", "mean", "max", "std") or key.startswith("p")):
            out[key] = f
    return out


def _ms_dict(d) -> dict[str, float]:
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            f = as_number(v)
            if f is not None:
                out[str(k).removesuffix("_ms")] = f
    return out


def histogram_from_samples(samples: list[float], bins: int = HISTOGRAM_BINS) -> dict:
    vals = sorted(x for x in (as_number(s) for s in samples) if x is not None)
    if not vals:
        return {}
    lo, hi = vals[0], vals[-1]
    # Cut the long tail at P99.9 so one outlier does not squeeze every bar into one column.
    hi = min(hi, vals[min(len(vals) - 1, int(len(vals) * 0.999))])
    if hi <= lo:
        hi = lo + max(abs(lo) * 1e-3, 1e-6)
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        i = min(bins - 1, max(0, int((v - lo) / width)))
        counts[i] += 1
    return {"edges_ms": [lo + i * width for i in range(bins + 1)], "counts": counts}


def _read_json(path: Path):
    try:
        size = path.stat().st_size
    except OSError as e:
        raise StudioError(f"cannot read: {e.strerror or e}", where=str(path)) from None
    if size > MAX_INPUT_BYTES:
        raise StudioError(f"file is {size:,} bytes; a result file is at most {MAX_INPUT_BYTES:,}",
                          where=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise StudioError("not a result: not UTF-8 text", where=str(path)) from None
    except json.JSONDecodeError as e:
        raise StudioError(f"not a result: invalid JSON at line {e.lineno} ({e.msg})",
                          where=str(path)) from None
    except OSError as e:
        raise StudioError(f"cannot read: {e.strerror or e}", where=str(path)) from None


# ----------------------------------------------------------------------------- classification

def classify(data) -> str | None:
    """model | build | benchmark | accuracy | report | None (not something a report reads)."""
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    if kind == "engine-studio-artifact":
        return "build"
    if kind in ("bench", "accuracy") and "schema_version" in data:
        return "benchmark" if kind == "bench" else "accuracy"
    schema = as_text(data.get("schema") or kind or data.get("type")).lower()
    if "report" in schema:
        return "report"
    if "accuracy" in schema:
        return "accuracy"
    if "bench" in schema or "sweep" in schema:
        return "benchmark"
    if "sidecar" in schema or "build" in schema:
        return "build"
    if "summary" in schema or "model" == schema:
        return "model"
    keys = set(data)
    if keys & {"config", "build_config"} and keys & {"build_seconds", "size_bytes", "output", "artifact"}:
        return "build"
    if keys & {"top1_agreement", "top1", "max_abs_error", "max_abs_err", "agreement"}:
        return "accuracy"
    if keys & {"latency_ms", "latency", "percentiles", "throughput", "throughput_qps", "qps"}:
        return "benchmark"
    if "inputs" in keys and keys & {"op_histogram", "ops", "parameters", "num_parameters",
                                    "nodes", "num_nodes", "op_types"}:
        return "model"
    return None


# ----------------------------------------------------------------------------- section readers

def _tensors(items) -> list[TensorInfo]:
    out = []
    for t in items or []:
        if isinstance(t, dict):
            shape = t.get("shape") or t.get("dims") or []
            out.append(TensorInfo(name=as_text(t.get("name")), dtype=as_text(t.get("dtype") or t.get("type")),
                                  # bool is an int to Python but not a dimension
                                  shape=[s if isinstance(s, (int, str)) and not isinstance(s, bool) else str(s)
                                         for s in shape]
                                  if isinstance(shape, (list, tuple)) else [str(shape)]))
        elif isinstance(t, str):
            out.append(TensorInfo(name=t))
    return out


def _histogram_dict(h) -> dict[str, int]:
    if isinstance(h, dict):
        return {str(k): as_int(v) for k, v in h.items() if as_int(v) is not None and as_int(v) >= 0}
    if isinstance(h, list):   # [[op, count], ...] or [{"op_type":.., "count":..}]
        out = {}
        for row in h:
            if isinstance(row, (list, tuple)) and len(row) == 2 and (as_int(row[1]) or -1) >= 0:
                out[str(row[0])] = as_int(row[1])
            elif isinstance(row, dict):
                name = _get(row, "op_type", "op", "name")
                if name is not None and (as_int(row.get("count")) or -1) >= 0:
                    out[str(name)] = as_int(row["count"])
        return out
    return {}


def model_from_summary(d: dict, source: str = "") -> ModelInfo:
    hist = _histogram_dict(_get(d, "op_histogram", "ops", "op_types", default={}))
    opsets = _get(d, "opsets", "opset_imports", "opset_import", "opset", default={})
    if isinstance(opsets, int):
        opsets = {"ai.onnx": opsets}
    elif isinstance(opsets, list):
        opsets = {as_text(_get(o, "domain")) or "ai.onnx": as_int(_get(o, "version")) or 0
                  for o in opsets if isinstance(o, dict)}
    path = as_text(_get(d, "path", "model", "file"))
    return ModelInfo(
        name=as_text(_get(d, "name", "graph_name")) or (Path(path).name if path else Path(source).stem),
        path=path or source,
        inputs=_tensors(d.get("inputs")),
        outputs=_tensors(d.get("outputs")),
        parameters=as_int(_get(d, "parameters", "num_parameters", "parameter_count", "params")),
        parameter_bytes=as_int(_get(d, "parameter_bytes", "weight_bytes", "weights_bytes")),
        nodes=as_int(_get(d, "nodes", "num_nodes", "node_count")) if not isinstance(d.get("nodes"), list)
        else len(d["nodes"]),
        op_histogram=hist,
        opsets={(str(k) or "ai.onnx"): int(v) for k, v in opsets.items() if as_int(v) is not None}
        if isinstance(opsets, dict) else {},
        producer=" ".join(x for x in (as_text(_get(d, "producer", "producer_name")),
                                      as_text(d.get("producer_version"))) if x),
    )


def model_from_onnx(path: Path) -> ModelInfo:
    """Summarize an ONNX model through the graph core (the same summary `inspect` prints); it
    checks external-data locations before opening anything and does not load weights."""
    import warnings

    from studio.core.graph.onnx_loader import open_graph
    from studio.core.graph.summary import summarize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # loader warnings belong to `inspect`, not to a report
        graph = open_graph(str(path))
    return model_from_summary(summarize(graph).to_dict(), source=str(path))


def _fusion_section(d: dict, artifact: str, model_path: str) -> dict:
    """Layers before/after, main fusion patterns, precision per layer: from the sidecar when it
    carries them, else computed from the layer report beside the artifact
    (studio.core.graph.fusion)."""
    f = _get(d, "fusion", "fusion_stats", "metadata.fusion", "metadata.fusion_stats")
    if not isinstance(f, dict):
        f = _fusion_from_plan(d, artifact, model_path) or {}
    patterns = _get(f, "patterns", "fusion_patterns", "top_patterns", default=[])
    pats: list[FusionPattern] = []
    if isinstance(patterns, dict):
        pats = [FusionPattern(str(k), as_int(v) or 0) for k, v in patterns.items()]
    elif isinstance(patterns, list):
        for p in patterns:
            if isinstance(p, dict):
                name = _get(p, "pattern", "name")
                if isinstance(name, (list, tuple)):
                    name = "+".join(map(str, name))
                pats.append(FusionPattern(as_text(name), as_int(p.get("count")) or 0))
            elif isinstance(p, (list, tuple)) and len(p) == 2:
                name = "+".join(map(str, p[0])) if isinstance(p[0], (list, tuple)) else str(p[0])
                pats.append(FusionPattern(name, as_int(p[1]) or 0))
    pats.sort(key=lambda p: (-p.count, p.pattern))
    prec = _get(f, "precision_per_layer", "precision", "precisions", "layer_precisions", default={})
    groups = [g for g in (_get(f, "groups", "fused_layers", default=[]) or []) if isinstance(g, dict)]
    fused = sorted((FusedLayer(layer=as_text(_get(g, "layer", "name")), nodes=as_int(g.get("nodes")) or 0,
                               pattern=as_text(_get(g, "readable", "pattern")), precision=as_text(g.get("precision")))
                    for g in groups), key=lambda x: -x.nodes)[:MAX_FUSED_LAYERS]
    return {
        "fused_layers": fused,
        "layers_before": as_int(_get(f, "layers_before", "onnx_nodes", "nodes_before")),
        "layers_after": as_int(_get(f, "layers_after", "engine_layers", "layers")),
        "fusion_patterns": pats,
        "precision_per_layer": _histogram_dict(prec),
    }


def _fusion_from_plan(d: dict, artifact: str, model_path: str) -> dict | None:
    """Fused-graph stats from the layer report the build left beside the artifact: the
    studio.core.graph.fusion when it offers stats, else counted from the Plan directly."""
    report = _get(d, "layer_report")
    if report and artifact and not Path(report).is_absolute():
        report = str(Path(artifact).with_name(Path(report).name))
    if not report:
        cand = Path(artifact).with_name(Path(artifact).name + ".layers.txt") if artifact else None
        report = str(cand) if cand and cand.exists() else None
    if not report and artifact and artifact.lower().endswith(".onnx") and Path(artifact).is_file():
        report = artifact   # ONNX Runtime's artifact is the optimized model: its nodes are the layers
    if not report or not Path(report).exists():
        return None
    onnx_model = model_path if model_path and Path(model_path).is_file() else None
    try:
        from studio.core.backends.layer_reports import load_plan
        plan = load_plan(report, onnx_model=onnx_model)
    except (ImportError, StudioError):
        return None
    try:
        from studio.core.graph.fusion import fusion_map  # plan <-> ONNX mapping
        return fusion_map(plan, onnx_model).stats().to_dict()
    except (ImportError, StudioError):
        pass
    return _fusion_from_plan_layers(plan, onnx_model)


def _fusion_from_plan_layers(plan, onnx_model: str | None) -> dict:
    op_of: dict[str, str] = {}
    nodes_before = None
    if onnx_model:
        try:
            from studio.core.graph.onnx_loader import open_graph
            g = open_graph(onnx_model)
            op_of = {n.name: n.op_type for n in g.nodes}
            nodes_before = len(op_of)
        except (ImportError, StudioError, AttributeError):
            pass
    patterns: dict[str, int] = {}
    precisions: dict[str, int] = {}
    groups = []
    for layer in plan.layers:
        if len(layer.onnx_nodes) > 1:
            groups.append({"layer": layer.name, "nodes": len(layer.onnx_nodes), "precision": layer.precision,
                           "pattern": "+".join(op_of.get(n, "?") for n in layer.onnx_nodes) if op_of else ""})
        precisions[layer.precision or "unknown"] = precisions.get(layer.precision or "unknown", 0) + 1
        if len(layer.onnx_nodes) > 1:
            key = "+".join(op_of.get(n, "?") for n in layer.onnx_nodes) if op_of else layer.type
            patterns[key] = patterns.get(key, 0) + 1
    return {"layers_before": nodes_before, "layers_after": len(plan.layers),
            "patterns": [{"pattern": k, "count": v} for k, v in patterns.items()],
            "precision_per_layer": precisions, "groups": groups}


def build_from_sidecar(d: dict, source: str, artifact: str | None = None) -> BuildInfo:
    """A build sidecar (studio.core.backends.sidecar, kind "engine-studio-artifact")."""
    config = _get(d, "build_config", "config")
    config = config if isinstance(config, dict) else {}
    art = d.get("artifact")
    if not artifact:
        if isinstance(art, dict) and art.get("file"):
            artifact = str(Path(source).with_name(str(art["file"])))
        else:
            artifact = as_text(_get(d, "output", "artifact", "config.output"))
    model_path = as_text(_get(d, "source.path") or _get(config, "model"))
    library = as_text(_get(d, "library", "metadata.library"))
    if d.get("library_version") and str(d["library_version"]) not in library:
        library = f"{library} {d['library_version']}".strip()
    precision = as_text(_get(d, "precision", "config.precision"))
    backend = as_text(_get(d, "backend", "config.backend"))
    warnings = d.get("warnings") if isinstance(d.get("warnings"), list) else []
    return BuildInfo(
        label=f"{Path(artifact).name or Path(source).name} ({backend or '?'} {precision or '?'})",
        artifact=artifact, backend=backend, precision=precision,
        library=library,
        size_bytes=as_int(_get(d, "artifact.size_bytes", "size_bytes", "size")),
        build_seconds=as_number(_get(d, "build_seconds", "build_time_s", "seconds")),
        config=config,
        warnings=[str(w) for w in warnings],
        source=source,
        **_fusion_section(d, artifact, model_path),
    )


def bench_from_result(d: dict, source: str) -> BenchInfo:
    artifact = as_text(_get(d, "artifact", "engine", "model", "config.artifact"))
    backend = as_text(_get(d, "backend", "config.backend"))
    precision = as_text(_get(d, "precision", "config.precision", "build.precision"))
    lat = _latency_stats(_get(d, "latency_ms", "latency", "percentiles", "stats.latency_ms",
                              "stats.latency", "summary.latency_ms", default={}))
    samples = _get(d, "latencies_ms", "samples_ms", "raw_latencies_ms", "stats.samples_ms")
    hist = _get(d, "histogram", "latency_histogram", "stats.histogram")
    histogram: dict = {}
    if isinstance(hist, dict):
        edges = _get(hist, "edges_ms", "edges", "bin_edges")
        counts = _get(hist, "counts", "count")
        if isinstance(edges, list) and isinstance(counts, list) and len(edges) == len(counts) + 1:
            histogram = {"edges_ms": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    if not histogram and isinstance(samples, list):
        histogram = histogram_from_samples(samples)
    curve_raw = _get(d, "curve", "sweep", "points", default=[])
    curve = []
    if isinstance(curve_raw, list):
        for p in curve_raw:
            if not isinstance(p, dict):
                continue
            thr = as_number(_get(p, "throughput", "throughput_qps", "qps"))
            if thr is None:
                continue
            pl = _latency_stats(_get(p, "latency_ms", "latency", default={}))
            curve.append(CurvePoint(
                throughput=thr,
                p50_ms=as_number(_get(p, "p50_ms", "p50")) if _get(p, "p50_ms", "p50") is not None else pl.get("p50"),
                p99_ms=as_number(_get(p, "p99_ms", "p99")) if _get(p, "p99_ms", "p99") is not None else pl.get("p99"),
                label=as_text(_get(p, "label", "load", "concurrency", "rate"))))
    throughput = as_number(_get(d, "throughput", "throughput_qps", "qps", "requests_per_s",
                           "stats.throughput", "summary.throughput"))
    if isinstance(_get(d, "throughput"), dict):
        throughput = as_number(_get(d, "throughput.requests_per_s", "throughput.qps", "throughput.value"))
    device = _get(d, "device", "environment.gpu", "environment.cpu", "env.device")
    load = _get(d, "load", "load_pattern", "pattern", "config.load")
    if isinstance(load, dict):
        load = ", ".join(f"{k}={v}" for k, v in load.items())
    label = _get(d, "label", "name")
    return BenchInfo(
        label=as_text(label) or f"{Path(artifact).name or Path(source).stem} ({backend or '?'} {precision or '?'})",
        artifact=artifact, backend=backend, precision=precision, device=as_text(device),
        batch_size=as_int(_get(d, "batch_size", "batch", "config.batch_size")),
        concurrency=as_int(_get(d, "concurrency", "clients", "config.concurrency")),
        load_pattern=as_text(load),
        requests=as_int(_get(d, "requests", "count", "iterations", "stats.count")),
        duration_s=as_number(_get(d, "duration_s", "duration", "wall_s")),
        throughput=throughput,
        latency_ms=lat,
        timing_split_ms=_ms_dict(_get(d, "timing_split_ms", "timing_split", "split_ms", "split", default={})),
        histogram=histogram,
        curve=curve,
        cold_start_ms=_ms_dict(_get(d, "cold_start_ms", "cold_start", default={})),
        source=source,
    )


def accuracy_from_result(d: dict, source: str) -> AccuracyInfo:
    artifact = as_text(_get(d, "artifact", "engine", "candidate", "model"))
    precision = as_text(_get(d, "precision", "candidate_precision"))
    outputs = _get(d, "outputs", "per_output")

    def worst(*keys, reduce=max):
        vals = [as_number(_get(d, *keys))]
        if isinstance(outputs, dict):
            vals += [as_number(_get(o, *keys)) for o in outputs.values() if isinstance(o, dict)]
        vals = [v for v in vals if v is not None]
        return reduce(vals) if vals else None

    flags = _get(d, "flags", "warnings", default=[])
    if isinstance(flags, str):
        flags = [flags]
    label = _get(d, "label", "name")
    return AccuracyInfo(
        label=as_text(label) or f"{Path(artifact).name or Path(source).stem} ({precision or '?'})",
        artifact=artifact, precision=precision,
        reference=as_text(_get(d, "reference", "reference_precision")) or "fp32",
        samples=as_int(_get(d, "samples", "n", "count")),
        max_abs_error=worst("max_abs_error", "max_abs_err", "max_abs"),
        mean_abs_error=worst("mean_abs_error", "mean_abs_err", "mean_abs"),
        max_rel_error=worst("max_rel_error", "max_rel_err", "max_rel"),
        cosine_min=worst("cosine_min", "min_cosine", reduce=min),
        top1_agreement=_fraction(_get(d, "top1_agreement", "top1", "agreement")),
        reference_accuracy=_fraction(_get(d, "reference_accuracy", "fp32_accuracy", "accuracy_reference")),
        accuracy=_fraction(_get(d, "accuracy", "candidate_accuracy", "intent_accuracy")),
        flags=[str(f) for f in flags] if isinstance(flags, list) else [],
        source=source,
    )


def _environment_from_result(d: dict, source: str) -> Environment | None:
    env = _get(d, "environment", "env", "machine")
    if not isinstance(env, dict):
        return None
    libs = env.get("libraries") or env.get("versions") or {}
    return Environment(
        source=source, cpu=as_text(_get(env, "cpu", "cpu_model")),
        cores=as_int(_get(env, "cores", "cpu_count")),
        gpu=_get(env, "gpu", "gpu_name"), gpu_driver=_get(env, "gpu_driver", "driver", "driver_version"),
        os=as_text(_get(env, "os", "platform")), python=as_text(_get(env, "python")),
        libraries={str(k): (None if v is None else str(v)) for k, v in libs.items()} if isinstance(libs, dict) else {},
    )


# ----------------------------------------------------------------------------- assembly

def _expand(data) -> list:
    """A results file may hold one result, a list of them, or {"results": [...]}."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("results"), list) and classify(data) is None:
        return data["results"]
    return [data]


def assemble_report(paths: list[str], *, title: str | None = None,
                    price_per_gpu_hour: float = DEFAULT_PRICE_PER_GPU_HOUR,
                    environment: Environment | None = None) -> Report:
    """Read every path into one Report. Raises StudioError naming the first file that is missing
    or is not something a report can read."""
    report = new_report(title, price_per_gpu_hour)
    file_env: Environment | None = None
    hosts: list[dict] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise StudioError("no such file", where=str(path))
        if path.is_dir():
            raise StudioError("is a folder, not a result file", where=str(path))
        kinds_here: list[str] = []
        if path.suffix.lower() == ".json":
            for d in _expand(_read_json(path)):
                kind = classify(d)
                if kind is None or kind == "report":
                    what = "a finished report" if kind == "report" else "not a result"
                    raise StudioError(f"{what}: expected a build sidecar, a benchmark or accuracy "
                                      f"result, a model summary or an ONNX model", where=str(path))
                kinds_here.append(kind)
                try:
                    if kind == "model":
                        if report.model is None:
                            report.model = model_from_summary(d, source=str(path))
                        else:
                            report.notes.append(f"More than one model summary given; {path} was not used.")
                    elif kind == "build":
                        # A sidecar sits beside its artifact: <artifact>.json.
                        art = str(path.with_name(path.name[:-5])) if path.name.endswith(".json") else None
                        report.builds.append(build_from_sidecar(d, str(path), art))
                    elif kind in ("benchmark", "accuracy") and d.get("kind") in ("bench", "accuracy") \
                            and "schema_version" in d:
                        # The results module owns this format: it checks the version and the shape.
                        from studio.core.bench import results as _results
                        res = _results.from_dict(d, where=str(path))
                        hosts.append(res.host)
                        if kind == "benchmark":
                            report.benchmarks.append(bench_from_results(res, str(path)))
                        else:
                            report.accuracy.append(accuracy_from_results(res, str(path)))
                    elif kind == "benchmark":
                        report.benchmarks.append(bench_from_result(d, str(path)))
                        file_env = file_env or _environment_from_result(d, str(path))
                    elif kind == "accuracy":
                        report.accuracy.append(accuracy_from_result(d, str(path)))
                        file_env = file_env or _environment_from_result(d, str(path))
                except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
                    # A field of an unexpected type deep in a hand-edited or foreign file.
                    raise StudioError(f"malformed {kind} result ({type(e).__name__}: {e})"[:300],
                                      where=str(path)) from None
        else:
            side = path.with_name(path.name + ".json")
            if side.exists():
                d = _read_json(side)
                if classify(d) != "build":
                    raise StudioError("not a result: the JSON beside this artifact is not a build sidecar",
                                      where=str(side))
                try:
                    report.builds.append(build_from_sidecar(d, str(side), str(path)))
                except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
                    raise StudioError(f"malformed build sidecar ({type(e).__name__}: {e})"[:300],
                                      where=str(side)) from None
                kinds_here.append("build")
            elif path.suffix.lower() == ".onnx":
                if report.model is None:
                    report.model = model_from_onnx(path)
                else:
                    report.notes.append(f"More than one model given; {path} was not used.")
                kinds_here.append("model")
            else:
                raise StudioError("not a result: no build sidecar beside it (expected "
                                  f"{side.name}) and not an ONNX model or result JSON", where=str(path))
        for k in dict.fromkeys(kinds_here):
            report.sources.append(SourceFile(str(path), k))

    return finish_report(report, model_from_onnx=model_from_onnx, environment=environment,
                         measured_env=file_env, hosts=hosts)
