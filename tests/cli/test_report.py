"""`engine-studio report`: format by extension, atomic writes, bad input -> one line naming the
file and exit 2; end to end from the real `bench` and `accuracy` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import numpy as np
import pytest

from studio.cli.main import main
from studio.core.reports.json_report import load_report

_spec = spec_from_file_location("_ri_cli", Path(__file__).resolve().parents[1] / "core" / "reports" / "report_inputs.py")
ri = module_from_spec(_spec)
_spec.loader.exec_module(ri)


@pytest.fixture
def inputs(tmp_path):
    model = ri.tiny_model(tmp_path / "m.onnx")
    summary = ri.inspect_json(model, tmp_path / "summary.json")
    side = ri.sidecar(tmp_path / "m.engine", model, precision="fp16")
    return tmp_path, model, summary, side


def test_html_and_json_by_extension(inputs, capsys):
    d, model, summary, side = inputs
    assert main(["report", str(summary), str(side), "-o", str(d / "r.html"), "--title", "My <title>"]) == 0
    html = (d / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "My &lt;title&gt;" in html
    assert main(["report", str(summary), str(side), "-o", str(d / "r.json"), "--price-per-device-hour", "4.5"]) == 0
    rep = load_report(d / "r.json")
    assert rep.price_per_device_hour == 4.5 and rep.model.nodes == 4 and len(rep.builds) == 1
    out = capsys.readouterr().out
    assert "wrote HTML report" in out and "wrote JSON report" in out
    assert not list(d.glob(".*.part"))           # no temp files left behind


@pytest.mark.parametrize("make,needle", [
    (lambda d: d / "missing.json", "no such file"),
    (lambda d: (d / "x.json").write_text("{}") and d / "x.json", "not a result"),
    (lambda d: (d / "x.txt").write_text("hello") and d / "x.txt", "not a result"),
    (lambda d: (d / "bad.json").write_text("{oops") and d / "bad.json", "invalid JSON"),
    (lambda d: d, "folder"),
])
def test_bad_input_one_line_exit_2(inputs, capsys, make, needle):
    d, model, summary, side = inputs
    bad = make(d)
    out = d / "r.html"
    assert main(["report", str(summary), str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and str(bad) in err
    assert not out.exists()


def test_unknown_extension_and_bad_price(inputs, capsys):
    d, model, summary, side = inputs
    assert main(["report", str(summary), "-o", str(d / "r.docx")]) == 2
    assert "r.docx" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["report", str(summary), "-o", str(d / "r.html"), "--price-per-gpu-hour", "-3"])
    assert e.value.code == 2


def test_failed_write_keeps_previous_file(inputs, capsys, monkeypatch):
    d, model, summary, side = inputs
    out = d / "r.html"
    out.write_text("previous", encoding="utf-8")
    import studio.core.reports.html as html_mod

    def boom(*a, **k):
        raise RuntimeError("renderer crashed")
    monkeypatch.setattr(html_mod, "render_html", boom)
    assert main(["report", str(summary), "-o", str(out)]) == 1
    assert out.read_text(encoding="utf-8") == "previous" and not list(d.glob(".*.part"))


@pytest.mark.slow
def test_end_to_end_from_real_bench_and_accuracy(tmp_path):
    """bench (ORT fp32 and int8 builds) -> accuracy -> report in all three formats, through the
    installed CLI in a child process, as CI would run it."""
    model = ri.tiny_model(tmp_path / "m.onnx")
    np.savez(tmp_path / "val.npz", x=np.random.default_rng(0).standard_normal((64, 16)).astype(np.float32))

    def cli(*args):
        p = subprocess.run([sys.executable, "-m", "studio.cli.main", *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=240)
        assert p.returncode == 0, p.stderr[-2000:]
        return p

    common = ["--iterations", "120", "--warmup-iters", "5", "--concurrency", "1,2", "-q"]
    cli("bench", "m.onnx", "--backend", "onnxruntime", "--precision", "fp32", *common, "-o", "b32.json")
    cli("bench", "m.onnx", "--backend", "onnxruntime", "--precision", "int8", "--calib", "val.npz", *common,
        "-o", "b8.json")
    int8 = json.loads((tmp_path / "b8.json").read_text())["artifact"]
    cli("accuracy", int8, "--data", "val.npz", "-o", "acc.json")
    artifacts = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / ".cache").rglob("*.onnx"))
    assert len(artifacts) == 2
    for out in ("r.json", "r.html", "r.pdf"):
        cli("report", "b32.json", "b8.json", "acc.json", *artifacts, "m.onnx", "-o", out)
    rep = load_report(tmp_path / "r.json")
    assert {b.precision for b in rep.builds} == {"fp32", "int8"}
    assert all(b.layers_after for b in rep.builds)           # fused-graph stats of the ORT models
    assert {b.precision for b in rep.benchmarks} == {"fp32", "int8"}
    assert all(len(b.curve) == 2 for b in rep.benchmarks)
    assert rep.speedup is not None and rep.speedup.throughput_ratio >= 1.0
    assert rep.accuracy[0].precision == "int8" and rep.accuracy[0].top1_agreement is not None
    assert rep.model.nodes == 4
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert "Speedup" in (tmp_path / "r.html").read_text()
