"""The user's files into a Report, for `engine-studio report`: a build sidecar (`<artifact>.json`),
an artifact with its sidecar beside it, a benchmark or accuracy result (studio.core.bench.results,
which reads every version it wrote), a sweep (`engine-studio sweep -o`), a model summary (`engine-studio inspect --json`), or an ONNX
model. Anything else is refused with one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.bench import results
from studio.core.bench.sweep import SweepResult
from studio.core.errors import StudioError
from studio.core.reports.from_results import accuracy_from_results, bench_from_results, finish_report, new_report
from studio.core.reports.report_model import DEFAULT_PRICE_PER_DEVICE_HOUR, Environment, Report, SourceFile
from studio.core.reports.sections import build_from_sidecar, model_from_onnx, model_from_summary

# Result JSON files over this size are refused: a report input is a summary, not raw data.
MAX_INPUT_BYTES = 64 * 1024 * 1024


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


def classify(data) -> str | None:
    """model | build | benchmark | accuracy | sweep | report | None (not something the studio wrote)."""
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    if kind == "engine-studio-artifact":
        return "build"
    if kind == "sweep" and "schema_version" in data:
        return "sweep"
    if kind in ("bench", "accuracy") and "schema_version" in data:
        return "benchmark" if kind == "bench" else "accuracy"
    if kind == "report" or "report" in str(data.get("schema") or ""):
        return "report"
    if isinstance(data.get("inputs"), list) and "op_histogram" in data and "nodes" in data:
        return "model"             # engine-studio inspect --json
    return None


def assemble_report(paths: list[str], *, title: str | None = None,
                    price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR,
                    environment: Environment | None = None) -> Report:
    """Read every path into one Report. Raises StudioError naming the first file that is missing
    or is not something a report can read."""
    report = new_report(title, price_per_device_hour)
    hosts: list[dict] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise StudioError("no such file", where=str(path))
        if path.is_dir():
            raise StudioError("is a folder, not a result file", where=str(path))
        try:
            kind = _read_one(report, path, hosts)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
            # A field of an unexpected type deep in a hand-edited file.
            raise StudioError(f"malformed result ({type(e).__name__}: {e})"[:300], where=str(path)) from None
        report.sources.append(SourceFile(str(path), kind))
    return finish_report(report, model_from_onnx=model_from_onnx, environment=environment, hosts=hosts)


def _read_one(report: Report, path: Path, hosts: list) -> str:
    """Add what one file holds to `report`; its kind."""
    if path.suffix.lower() != ".json":
        side = path.with_name(path.name + ".json")
        if side.exists():
            if classify(d := _read_json(side)) != "build":
                raise StudioError("not a result: the JSON beside this artifact is not a build sidecar",
                                  where=str(side))
            report.builds.append(build_from_sidecar(d, str(side), str(path)))
            return "build"
        if path.suffix.lower() != ".onnx":
            raise StudioError("not a result: no build sidecar beside it (expected "
                              f"{side.name}) and not an ONNX model or result JSON", where=str(path))
        _set_model(report, path, lambda: model_from_onnx(path))
        return "model"
    d = _read_json(path)
    kind = classify(d)
    if kind is None or kind == "report":
        raise StudioError(("a finished report" if kind == "report" else "not a result")
                          + ": expected a build sidecar, a benchmark, accuracy or sweep result, a model "
                          "summary or an ONNX model", where=str(path))
    if kind == "model":
        _set_model(report, path, lambda: model_from_summary(d, source=str(path)))
    elif kind == "sweep":
        if report.sweep is not None:
            report.notes.append(f"More than one sweep given; {path} was not used.")
        else:
            report.sweep = SweepResult.from_dict(d, where=str(path))
    elif kind == "build":
        # A sidecar sits beside its artifact: <artifact>.json.
        report.builds.append(build_from_sidecar(d, str(path), str(path.with_name(path.name[:-5]))))
    else:
        res = results.from_dict(d, where=str(path))   # checks the version and the shape
        hosts.append(res.host)
        if kind == "benchmark":
            report.benchmarks.append(bench_from_results(res, str(path)))
        else:
            report.accuracy.append(accuracy_from_results(res, str(path)))
    return kind


def _set_model(report: Report, path: Path, read) -> None:
    if report.model is None:
        report.model = read()
    else:
        report.notes.append(f"More than one model given; {path} was not used.")
