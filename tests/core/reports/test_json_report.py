"""The JSON report: validates against report.schema.json (checked by studio.core.reports.
schema_check, our own small checker; no jsonschema dependency) and round-trips."""

from __future__ import annotations

import json
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import pytest

from studio.core.errors import StudioError
from studio.core.reports import schema_check
from studio.core.reports.inputs import assemble_report
from studio.core.reports.json_report import dumps, load_report, loads, report_schema, save_report, validate
from studio.core.reports.report_model import Report

_spec = spec_from_file_location("_ri_json", Path(__file__).with_name("report_inputs.py"))
ri = module_from_spec(_spec)
_spec.loader.exec_module(ri)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("jsonrep")
    real = ri.real_inputs(d, hostile=True)
    return assemble_report([str(p) for k, p in real.items() if k != "model"], title="JSON <test>")


def test_round_trip_and_schema(report, tmp_path):
    out = tmp_path / "r.json"
    save_report(report, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "engine-studio/report" and data["schema_version"] == 2
    assert schema_check.errors(data, report_schema()) == []
    again = load_report(out)
    assert again == report
    save_report(again, tmp_path / "r2.json")
    assert (tmp_path / "r2.json").read_text() == out.read_text()
    # every section is filled by the real inputs
    assert data["model"] and data["builds"] and data["benchmarks"] and data["accuracy"] and data["speedup"]
    # hostile names are kept verbatim in JSON (escaping is the renderer's job)
    assert data["model"]["inputs"][0]["name"] == ri.HOSTILE["script"]
    assert len(data["model"]["outputs"][0]["name"]) > 100_000


def test_empty_sections_validate():
    r = Report(title="only a title")
    assert Report.from_dict(json.loads(dumps(r))) == r


def test_schema_covers_every_field(report):
    """additionalProperties is false everywhere: a field added to the model but not to the
    schema fails here."""
    data = report.to_dict()
    data["builds"][0]["surprise"] = 1
    with pytest.raises(StudioError, match="unexpected property 'surprise'"):
        validate(data)


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d.update(schema="other"), "not a report"),
    (lambda d: d.update(schema_version=3), "newer"),
    (lambda d: d["benchmarks"][0].update(throughput="fast"), "expected number/null"),
    (lambda d: d.pop("builds"), "missing required 'builds'"),
    (lambda d: d["sources"][0].update(kind="virus"), "not one of"),
])
def test_invalid_reports_are_refused(report, mutate, needle):
    data = json.loads(dumps(report))
    mutate(data)
    with pytest.raises(StudioError, match=needle):
        loads(json.dumps(data), where="r.json")


def test_a_version_1_report_is_read_with_the_price_per_device_hour(report):
    """Version 1 called the price "per GPU-hour" even for a CPU run; its files still open."""
    data = json.loads(dumps(report))
    data["schema_version"] = 1
    data["price_per_gpu_hour"] = data.pop("price_per_device_hour")
    data["speedup"]["price_per_gpu_hour"] = data["speedup"].pop("price_per_device_hour")
    del data["speedup"]["priced_device"]
    old = loads(json.dumps(data), where="old.json")
    assert old.price_per_device_hour == report.price_per_device_hour
    assert old.speedup.price_per_device_hour == report.speedup.price_per_device_hour
    assert old.speedup.priced_device == ""
    # the device the price is for is named in the new files
    assert report.speedup.priced_device and report.speedup.priced_device in report.speedup.assumption


def test_not_json_and_missing_file(tmp_path):
    with pytest.raises(StudioError, match="invalid JSON"):
        loads("{", where="x")
    with pytest.raises(StudioError, match="no such file"):
        load_report(tmp_path / "nope.json")


def test_nan_never_reaches_the_file(tmp_path):
    r = Report()
    r.price_per_device_hour = float("nan")
    with pytest.raises(StudioError):
        save_report(r, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()


def test_checker_rejects_unknown_keywords():
    with pytest.raises(ValueError, match="unsupported"):
        schema_check.errors(1, {"type": "integer", "multipleOf": 2})
    assert schema_check.errors(True, {"type": "integer"})          # bool is not an integer
    assert schema_check.errors(None, {"anyOf": [{"type": "null"}, {"type": "string"}]}) == []


def test_export_picks_the_format_by_extension(report, tmp_path):
    from studio.core.reports.export import write_report
    assert write_report(report, tmp_path / "a.JSON") == "json"
    assert load_report(tmp_path / "a.JSON") == report
    assert write_report(report, tmp_path / "a.htm") == "html"
    with pytest.raises(StudioError, match="Qt layer"):
        write_report(report, tmp_path / "a.pdf")          # the core cannot make PDFs itself
    with pytest.raises(StudioError, match="unknown report format"):
        write_report(report, tmp_path / "a.docx")
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "a.docx").exists()


def test_results_reader_tells_a_report_from_results(report, tmp_path):
    """A report saved as JSON is refused by the results reader with what it is, and read back
    whole by the report's own reader."""
    from studio.core.bench import results
    save_report(report, tmp_path / "r.json")
    with pytest.raises(StudioError, match="a report, not bench or accuracy results"):
        results.load(tmp_path / "r.json")
    assert load_report(tmp_path / "r.json") == report
    data = json.loads((tmp_path / "r.json").read_text())
    data["schema_version"] = 7
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(StudioError, match="bad.json"):
        load_report(tmp_path / "bad.json")
