"""The window and the command line run the same workflow on the same core: the same actions on a
user's model (build FP32 and INT8 with ONNX Runtime, benchmark on the user's texts, check
accuracy on the user's labelled texts) give the same artifact names, the same sidecars and the
same results from either."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
USERS_MODEL = ROOT / "tests" / "data" / "corpus" / "minilm_2in_pooled"
TEXTS = ROOT / "resources" / "demo" / "intents_calibration.csv"
# What differs between two builds of the same model by nature: when and how long, and the speed
# measured during the build. The artifacts themselves are byte for byte the same (their sha256).
VARYING = {"created_at", "started_at", "wall_seconds", "build_seconds"}
MEASURED = {"speed_probe", "speed_probes"}


def _user_copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(USERS_MODEL, folder)
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    with open(TEXTS, newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    with open(folder / "val.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "intent"])
        writer.writerows([t, names[i % len(names)]] for i, t in enumerate(texts))
    return folder / "model.onnx"


def _comparable_sidecar(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    config = dict(doc["build_config"])
    for key in ("model", "output"):
        config[key] = Path(config[key]).name
    details = {k: v for k, v in doc.get("backend_details", {}).items() if k not in MEASURED}
    source = {**doc["source"], "path": Path(doc["source"]["path"]).name}
    warnings = [w for w in doc.get("warnings", []) if "probe batch" not in w]   # the speed probe's, measured
    return {**{k: v for k, v in doc.items() if k not in VARYING | {"build_config", "backend_details", "source"}},
            "build_config": config, "backend_details": details, "source": source, "warnings": warnings}


def _comparable_bench(doc: dict) -> dict:
    """What a benchmark says besides what it measured: the runs asked for, what fed them, how."""
    inputs = {k: Path(v).name if k in ("source", "tokenizer") else v for k, v in doc["inputs"].items()}
    runs = [(r["batch"], r["concurrency"], r["load"]["pattern"], r["samples"] // r["requests"]) for r in doc["runs"]]
    return {"backend": doc["backend"], "precision": doc["precision"], "artifact": Path(doc["artifact"]).name,
            "runner": doc["runner"], "inputs": inputs, "runs": runs}


def _comparable_accuracy(doc: dict) -> dict:
    keep = ("backend", "precision", "samples", "accuracy", "reference_accuracy", "accuracy_change",
            "top1_agreement", "flagged", "label_column", "threshold", "nan_count", "inf_count")
    return {k: doc.get(k) for k in keep}


@pytest.mark.slow
def test_window_and_command_line_give_the_same_builds_and_results(qtbot, window, open_model, tmp_path, capsys):
    in_window, in_cli = _user_copy(tmp_path, "window"), _user_copy(tmp_path, "cli")
    tokenizer = str(in_window.with_name("tokenizer.json"))

    open_model(window, str(in_window))
    window.build_panel.output_dir = None            # beside the model, as the command line writes
    window.build_panel.select_backend("onnxruntime")
    builds = {}
    for precision in ("fp32", "int8"):
        window.build_panel.select_precision(precision)
        with qtbot.waitSignal(window.build_panel.built, timeout=180000) as sig:
            assert window.build_panel.start_build() is not None, window.errors.history
        builds[precision] = Path(sig.args[0].result.output)
    task = window.workflow.run_accuracy({"val": str(in_window.with_name("val.csv")), "val_column": "text",
                                "label_column": "intent", "labels": None, "tokenizer": tokenizer})
    # the results arrive through a queued signal, after the worker thread has ended
    qtbot.waitUntil(lambda: str(builds["int8"]) in window.session.accuracy or task.error is not None, timeout=180000)
    assert task.error is None, task.error

    bench = window.bench
    bench.check([str(builds["int8"])])
    bench.inputs.setText(str(in_window.with_name("val.csv")))
    bench._read_header("text")
    bench.batches.setText("8")
    bench.duration.setValue(0.5)
    with qtbot.waitSignal(bench.finished, timeout=120000):
        assert bench.start() is not None
    window_bench = window.session.runs[str(builds["int8"])].to_dict()

    for precision in ("fp32", "int8"):
        assert main(["build", str(in_cli), "--backend", "onnxruntime", "--precision", precision, "-q"]) == 0
    capsys.readouterr()
    assert main(["bench", str(in_cli.with_name(builds["int8"].name)), "--data", str(in_cli.with_name("val.csv")),
                 "--data-column", "text", "--batch", "8", "--duration", "0.5", "--json", "-q"]) == 0
    cli_bench = json.loads(capsys.readouterr().out)
    cli_int8 = in_cli.with_name(builds["int8"].name)
    assert main(["accuracy", str(cli_int8), "--data", str(in_cli.with_name("val.csv")), "--data-column", "text",
                 "--label-column", "intent", "--tokenizer", str(in_cli.with_name("tokenizer.json")), "--json"]) == 0
    cli_accuracy = json.loads(capsys.readouterr().out)

    for precision, path in builds.items():
        assert path.parent == in_window.parent and path.name == f"model.{precision}.ort.onnx"
        twin = in_cli.with_name(path.name)
        assert twin.is_file(), f"the command line wrote no {path.name}"
        assert _comparable_sidecar(Path(str(path) + ".json")) == _comparable_sidecar(Path(str(twin) + ".json"))

    assert _comparable_bench(window_bench) == _comparable_bench(cli_bench)
    assert window_bench["inputs"]["samples"] == cli_bench["inputs"]["samples"] > 0   # the user's texts, all of them
    window_accuracy = window.session.accuracy[str(builds["int8"])].to_dict()
    assert _comparable_accuracy(window_accuracy) == _comparable_accuracy(cli_accuracy)
    saved = json.loads(Path(window.session.result_file(window.session.accuracy[str(builds["int8"])])).read_text())
    assert _comparable_accuracy(saved) == _comparable_accuracy(cli_accuracy)
