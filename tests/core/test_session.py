"""The whole story through the application layer, without Qt, on a user's model (a torch export
with two inputs and its own tokenizer and labels): open, build FP32 and INT8, benchmark each on
the user's texts, check accuracy against the FP32 source, compare, export, report. Every step
runs for real (ONNX Runtime builds and runs here), and the session says each change as an event."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from studio.core.backends.base import BuildConfig
from studio.core.bench.harness import BenchConfig
from studio.core.bench.results import AccuracyResult, BenchResult
from studio.core.errors import StudioError
from studio.core.jobs.build_job import BuildEntry
from studio.core.reports.json_report import load_report
from studio.core.session import Session

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
TEXTS = ROOT / "resources" / "demo" / "intents_calibration.csv"


@pytest.fixture
def users_model(tmp_path) -> Path:
    folder = tmp_path / "user"
    shutil.copytree(CORPUS / "minilm_2in_pooled", folder)
    return folder / "model.onnx"


@pytest.fixture
def labelled(users_model) -> Path:
    """The user's texts labelled with the model's own intents (its head is untrained: the
    accuracy is not the point, that both sides are scored the same way is)."""
    names = users_model.with_name("labels.txt").read_text(encoding="utf-8").split()
    with open(TEXTS, newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    out = users_model.with_name("val.csv")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "intent"])
        writer.writerows([t, names[i % len(names)]] for i, t in enumerate(texts))
    return out


def _config(session: Session, precision: str) -> BuildConfig:
    return BuildConfig(model=session.model, backend="onnxruntime", precision=precision,
                       output=str(session.output_for("onnxruntime", precision)),
                       options={"ort_speed_probe": False})


@pytest.mark.slow
def test_the_whole_story_through_the_session(users_model, labelled, tmp_path):
    session = Session()
    seen: list[tuple[str, object]] = []
    for name in session.events.names:
        getattr(session.events, name).connect(lambda value, name=name: seen.append((name, value)))

    session.open(users_model)
    fp32 = session.build(_config(session, "fp32"))
    int8 = session.build(_config(session, "int8"))
    assert [Path(e.result.output).name for e in session.builds.values()] == \
        ["model.fp32.ort.onnx", "model.int8.ort.onnx"]            # the command line's names
    assert session.output_for("onnxruntime", "fp32").name == "model-2.fp32.ort.onnx"   # never over a build

    tokenizer = str(users_model.with_name("tokenizer.json"))
    config = BenchConfig(batch=8, duration_s=0.5, warmup_s=0.1)
    runs = {e.key: session.bench(e.key, config, data=str(TEXTS), tokenizer=tokenizer) for e in (fp32, int8)}
    for key, res in runs.items():
        assert isinstance(res, BenchResult) and res.artifact == key and res.runs[0].throughput > 0
        declared = {"kind": "text", "source": str(TEXTS), "seq_len": "each text's own length", "tokenizer": tokenizer}
        assert {k: res.inputs[k] for k in declared} == declared
        n_texts = len(TEXTS.read_text(encoding="utf-8").splitlines()) - 1
        assert res.inputs["samples"] == res.runs[0].feed["samples"] == n_texts   # what the child fed
        assert BenchResult.from_dict(json.loads(Path(key + ".bench.json").read_text())).runs  # saved for the user

    acc = session.check_accuracy(int8.key, str(labelled), column="text", label_column="intent",
                                 tokenizer=tokenizer)
    assert isinstance(acc, AccuracyResult) and acc.build == int8.key and acc.samples > 100
    assert acc.reference_accuracy is not None and acc.top1_agreement > 0.5
    assert Path(int8.key + ".accuracy.json").is_file()

    comparison = session.compare(price_per_hour=1.0)
    assert comparison.speedup is not None and len(comparison.benchmarks) == 2
    assert comparison.accuracy[int8.key].accuracy == pytest.approx(acc.accuracy)
    assert comparison.sizes[int8.key] == Path(int8.key).stat().st_size

    exported = session.export(int8.key, tmp_path / "deploy")
    assert sorted(Path(p).name for p in exported) == ["model.int8.ort.onnx", "model.int8.ort.onnx.json"]

    assert session.write_report(tmp_path / "report.json", price_per_device_hour=1.0) == "json"
    report = load_report(tmp_path / "report.json")
    assert report.model is not None and report.model.path == str(users_model)
    assert sorted(b.artifact for b in report.builds) == sorted([fp32.key, int8.key])
    assert sorted(b.artifact for b in report.benchmarks) == sorted([fp32.key, int8.key])
    assert [a.artifact for a in report.accuracy] == [int8.key]
    assert report.speedup.throughput_ratio == pytest.approx(comparison.speedup.throughput_ratio)
    assert session.write_report(tmp_path / "report.html") == "html"
    assert "model.int8.ort.onnx" in (tmp_path / "report.html").read_text(encoding="utf-8")

    kinds = [name for name, _ in seen]
    assert kinds == ["model", "build", "build", "run", "run", "accuracy"]
    assert all(isinstance(v, BuildEntry) for n, v in seen if n == "build")


def test_operations_say_what_is_missing(tmp_path):
    session = Session()
    with pytest.raises(StudioError, match="open a model first"):
        session.output_for("onnxruntime", "fp32")
    with pytest.raises(StudioError, match="no such file"):
        session.open(tmp_path / "absent.onnx")
    with pytest.raises(StudioError, match="not a build of this session"):
        session.bench(str(tmp_path / "x.ort.onnx"), BenchConfig())
    with pytest.raises(StudioError, match="nothing to report"):
        session.report()
    with pytest.raises(StudioError, match="unknown report format"):
        session.write_report(tmp_path / "r.docx")


def test_a_result_opened_from_a_file_keeps_its_file(tmp_path):
    """A benchmark without an artifact (a trtexec import, say) is held under the file it came from."""
    from studio.core.bench import results

    res = BenchResult(model="bert.onnx", backend="tensorrt", precision="fp16", artifact=None)
    path = str(tmp_path / "gpu.bench.json")
    res.save(path)
    session = Session()
    opened = session.add_result(results.load(path), source=path)
    assert session.result_file(opened) == path
    assert session.result_file(BenchResult(model="x", backend="y", precision="z")) is None


def test_a_callback_may_disconnect_itself_and_unknown_events_are_named():
    session = Session()
    calls = []

    def once(value):
        calls.append(value)
        session.events.model.disconnect(once)

    session.events.model.connect(once)
    session.events.model("a")
    session.events.model("b")
    assert calls == ["a"]
    with pytest.raises(AttributeError, match="no event 'builds'; these exist: model, build, run, accuracy"):
        session.events.builds
