"""One way to serialize results: dataclasses to JSON-ready dicts and back by their type hints,
with errors that name the file and the field."""

from __future__ import annotations

import ast
import enum
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from studio.core.bench.results import AccuracyResult, BenchResult, RunResult
from studio.core.bench.stats import summarize
from studio.core.errors import StudioError
from studio.core.serde import Record, from_dict, to_dict

ROOT = Path(__file__).resolve().parents[2]


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Inner(Record):
    p50: float
    shape: tuple[int | str, ...] = ()


@dataclass
class Outer(Record):
    name: str
    inner: Inner
    maybe: Inner | None = None
    runs: list[Inner] = field(default_factory=list)
    sizes: dict[int, int] = field(default_factory=dict)
    colour: Colour = Colour.RED
    free: dict = field(default_factory=dict)


def test_a_record_survives_json_both_ways():
    obj = Outer("a", Inner(1.5, (1, "seq")), None, [Inner(2.0)], {8: 3}, Colour.RED, {"k": [1, None]})
    text = json.dumps(obj.to_dict())
    back = Outer.from_dict(json.loads(text))
    assert back == obj
    assert isinstance(back.inner.shape, tuple) and isinstance(next(iter(back.sizes)), int)


def test_keys_a_newer_studio_added_are_ignored_and_defaults_fill_what_an_older_one_lacked():
    back = Outer.from_dict({"name": "a", "inner": {"p50": 1, "added_later": True}, "also_new": 1})
    assert back == Outer("a", Inner(1.0))


def test_what_does_not_fit_is_one_line_naming_the_file_and_the_field():
    with pytest.raises(StudioError) as e:
        Outer.from_dict({"name": "a", "inner": {"p50": 1}, "runs": [{"p50": 1}, {"p50": "fast"}]}, where="r.json")
    assert str(e.value) == "r.json: not a valid Outer: $.runs[1].p50: expected a number, got str 'fast'"
    with pytest.raises(StudioError, match=r"\$\.inner: missing"):
        Outer.from_dict({"name": "a"})
    with pytest.raises(StudioError, match=r"\$: expected an object \(Outer\), got list"):
        from_dict(Outer, [1, 2])
    with pytest.raises(StudioError, match=r"\$\.colour: expected one of 'red', got 'blue'"):
        Outer.from_dict({"name": "a", "inner": {"p50": 1}, "colour": "blue"})
    with pytest.raises(StudioError, match=r"\$\.sizes: key 'eight' is not a number"):
        Outer.from_dict({"name": "a", "inner": {"p50": 1}, "sizes": {"eight": 1}})


def test_a_metric_that_was_nan_is_written_and_read_as_null():
    assert Inner.from_dict({"p50": None}).p50 is None
    assert to_dict(Inner(float("nan"))) is not None      # to_dict keeps it; results.save writes null


def test_a_benchmark_and_an_accuracy_result_round_trip(tmp_path):
    lat = summarize([1.0, 2.0, 3.0, 4.0])
    run = RunResult(batch=8, concurrency=2, throughput=100.0, requests_per_s=12.5, latency_ms=lat, requests=40,
                    samples=320, duration_s=3.2, cv=lat.cv, queue_ms=lat, batch_sizes={8: 40})
    bench = BenchResult("m.onnx", "onnxruntime", "int8", runs=[run])
    path = tmp_path / "r.bench.json"
    bench.save(path)
    assert BenchResult.from_dict(json.loads(path.read_text())) == bench
    acc = AccuracyResult("b.onnx", "m.onnx", "onnxruntime", "int8", 10, accuracy=0.9)
    assert AccuracyResult.from_dict(json.loads(json.dumps(acc.to_dict()))) == acc


# Types whose JSON is a view (a subset, derived figures, or a user's file format with a header of
# its own) and are written only, never read back as results.
VIEWS = {
    "Sample",          # a live latency, the wire format of the benchmark's sample stream
    "RateSearch",      # the P99 budget search as the CLI prints it
    "Preview",         # numpy tensors of a calibration preview, as lists
    "FusionStats",     # figures derived from a plan and its model
    "FusionMap",       # a plan mapped onto its model
    "Value",           # a model tensor as `inspect` shows it
    "Initializer",     # a weight's metadata, never its values
    "KeepFile",        # the user's keep-file, in its own format
    "Stall",           # the demo's stall attribution, rounded for people
}


def test_every_serialized_type_goes_through_serde():
    hand_written = []
    for path in [*sorted((ROOT / "studio").rglob("*.py")), *sorted((ROOT / "plugins").rglob("*.py"))]:
        if path.name == "serde.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            methods = {f.name for f in cls.body if isinstance(f, ast.FunctionDef)}
            bases = {getattr(b, "id", getattr(b, "attr", "")) for b in cls.bases}
            if "to_dict" in methods and not bases & {"Record"} and cls.name not in VIEWS:
                hand_written.append(f"{path.relative_to(ROOT)}: {cls.name}")
    assert not hand_written, "serialize these with studio.core.serde.Record: " + ", ".join(hand_written)
