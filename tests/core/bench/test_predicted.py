"""Predicted accuracy of TensorRT builds, which cannot run on this machine: the typed ONNX kept
beside the engine, run on the CPU with the engine's roundings."""

import json
from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.cli.main import main
from studio.core.backends.sidecar import load_sidecar, typed_model_path
from studio.core.bench.accuracy import check_build
from studio.core.errors import StudioError

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "corpus"
VAL = ROOT / "resources" / "demo" / "intents_validation.csv"


def _add_model(path: Path) -> Path:
    """y = x + c, where the low precision's rounding is all there is to see."""
    c = np.random.default_rng(3).normal(size=(8,)).astype(np.float32) * 3
    g = helper.make_graph([helper.make_node("Add", ["x", "c"], ["y"], name="add")], "add",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
                          [numpy_helper.from_array(c, "c")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def _build(model, precision, out, *extra):
    assert main(["build", str(model), "--backend", "tensorrt", "--precision", precision, "-o", str(out), "-q",
                 *extra]) == 0
    return out


@pytest.mark.parametrize("precision, dtype", [("fp16", np.float16), ("bf16", ml_dtypes.bfloat16)])
def test_prediction_rounds_where_the_engine_rounds(tmp_path, precision, dtype):
    model = _add_model(tmp_path / "add.onnx")
    engine = _build(model, precision, tmp_path / f"add.{precision}.engine")
    x = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32) * 100
    np.savez(tmp_path / "x.npz", x=x)
    res = check_build(engine, str(tmp_path / "x.npz"), batch=4)
    assert res.predicted and "CPU execution of the engine's precisions" in res.prediction
    assert "accumulation order" in res.prediction
    c = numpy_helper.to_array(onnx.load(str(model)).graph.initializer[0])
    # what a GPU computes: both operands rounded to the precision, the sum rounded again
    expected = (x.astype(dtype) + c.astype(dtype)).astype(dtype).astype(np.float64)
    error = np.abs(expected - (x + c).astype(np.float64)).max()  # against the FP32 reference
    assert error > 0.01  # the roundings are visible: an fp32 run would show none
    assert res.max_abs_error == pytest.approx(error, rel=1e-6)


@pytest.fixture(scope="module")
def int8_engine(tmp_path_factory):
    model = CORPUS / "bert_ts17_eager" / "model.onnx"
    out = tmp_path_factory.mktemp("int8") / "bert.int8.engine"
    return _build(model, "int8", out, "--calib", str(VAL), "--calib-samples", "32")


def test_int8_engine_accuracy_is_predicted_from_its_typed_model(capsys, int8_engine):
    sidecar = load_sidecar(int8_engine)
    typed = typed_model_path(int8_engine)
    assert sidecar["typed_model"]["file"] == typed.name and typed.is_file()
    kinds = {n.op_type for n in onnx.load(str(typed)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= kinds
    capsys.readouterr()
    assert main(["accuracy", str(int8_engine), "--data", str(VAL), "--limit", "48", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["predicted"] is True and d["backend"] == "tensorrt" and d["precision"] == "int8"
    # random weights: only agreement with FP32 means anything, and int8 moves some logits
    assert 0.5 < d["top1_agreement"] <= 1.0 and 0 < d["max_abs_error"] and d["nan_count"] == 0


def test_a_changed_typed_model_is_refused(tmp_path, int8_engine):
    import shutil

    engine = tmp_path / int8_engine.name
    for p in int8_engine.parent.iterdir():
        shutil.copy(p, tmp_path / p.name)
    typed = typed_model_path(engine)
    typed.write_bytes(typed.read_bytes() + b"\0")
    with pytest.raises(StudioError, match="cannot be predicted: the typed model .* changed since the build"):
        check_build(engine, str(VAL), limit=8)
    typed.unlink()
    with pytest.raises(StudioError, match="kept beside the build is gone"):
        check_build(engine, str(VAL), limit=8)
