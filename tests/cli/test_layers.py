"""`engine-studio layers`: the table, the --json contract, and one-line errors with exit 2."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "plans"


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("plan_fixture_models_c", DATA / "models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = tmp_path_factory.mktemp("cli") / "enc.onnx"
    onnx.save(mod.tiny_encoder(), path)
    return path


def test_json_contract(encoder, capsys):
    assert main(["layers", str(DATA / "tiny_encoder.fp32.layers.txt"), "--onnx", str(encoder), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["onnx_nodes"] == 55
    assert len(doc["layers"]) == 20
    for layer in doc["layers"]:
        assert {"name", "type", "precision", "onnx_nodes"} <= set(layer)
        assert isinstance(layer["onnx_nodes"], list)
    gelu = next(x for x in doc["layers"] if "/ffn/gelu/Erf" in x["onnx_nodes"])
    assert gelu["type"] == "runtime_fusion" and gelu["precision"] == "fp32"
    assert {u["name"] for u in doc["unabsorbed"]} >= {"/attn/Shape", "/attn/Concat_split"}
    assert doc["stats"]["layers_before"] == 55 and doc["stats"]["layers_after"] == 20
    assert doc["stats"]["patterns"]["MatMul+Add+GELU"] == 1
    assert doc["format"] == "tensorrt_log"


def test_json_without_a_model_counts_the_nodes_the_report_names(capsys):
    assert main(["layers", str(DATA / "matmul_add_relu.fp32.layers.txt"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["onnx_model"] is None
    assert doc["onnx_nodes"] == 3
    assert [x["onnx_nodes"] for x in doc["layers"]] == [[], ["fc_matmul", "fc_bias", "fc_relu"]]


def test_table(encoder, capsys):
    assert main(["layers", str(DATA / "tiny_encoder.int8.graph.json"), "--onnx", str(encoder)]) == 0
    out = capsys.readouterr().out
    assert "runtime_fusion" not in out and "gemm" in out and "int8" in out
    assert "23 engine layers from 55 ONNX nodes" in out
    assert "/attn/q/MatMul" in out
    assert "note: per-layer times" in out


@pytest.mark.parametrize("args, message", [
    (["/no/such/report.txt"], "no such file"),
    (["pyproject.toml"], "not a layer report"),
    ([str(DATA / "tiny_encoder.fp32.layers.txt"), "--onnx", "pyproject.toml"], "pyproject.toml"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = subprocess.run([sys.executable, "-m", "studio", "layers", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.slow
def test_engine_built_by_the_studio(tmp_path, capsys):
    """ENGINE_OR_REPORT given an engine: its saved report and source model come via the sidecar."""
    from studio.core.backends.base import BuildConfig, ShapeProfile
    from studio.core.jobs.build_job import run_build

    spec = importlib.util.spec_from_file_location("plan_fixture_models_c2", DATA / "models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    onnx.save(mod.matmul_add_relu(), tmp_path / "mar.onnx")
    engine = tmp_path / "mar.engine"
    run_build(BuildConfig(model=str(tmp_path / "mar.onnx"), backend="tensorrt", output=str(engine),
                          profiles=[ShapeProfile("x", (1, 16), (4, 16), (8, 16))]))
    assert main(["layers", str(engine), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["onnx_nodes"] == 3 and doc["unabsorbed"] == []
    assert [x["onnx_nodes"] for x in doc["layers"] if x["onnx_nodes"]] == [["fc_matmul", "fc_bias", "fc_relu"]]
    assert doc["stats"]["patterns"] == {"MatMul+Add+Relu": 1}
