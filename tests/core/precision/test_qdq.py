import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from studio.core.backends.base import CalibrationSpec
from studio.core.data.calibration import calibration_set_for_model
from studio.core.errors import Cancelled, StudioError
from studio.core.precision.qdq import quantize_qdq
from studio.core.progress import TaskState


def zero_points(m):
    inits = {i.name: i for i in m.graph.initializer}
    zps = []
    for n in m.graph.node:
        if n.op_type in ("QuantizeLinear", "DequantizeLinear") and len(n.input) > 2:
            zps.append(numpy_helper.to_array(inits[n.input[2]]))
    return zps


@pytest.mark.parametrize("method", ["minmax", "entropy", "percentile"])
def test_qdq_symmetric_and_close(tmp_path, tiny_path, tiny_calib, ort_run, method):
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=32), tiny_path)
    events = []
    out = tmp_path / "q.onnx"
    recipe = quantize_qdq(tiny_path, out, calib, TaskState(events.append, min_interval=0), method=method)
    m = onnx.load(str(out))
    onnx.checker.check_model(m)
    assert recipe["calibration_method"] == method and recipe["per_channel"]
    assert {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False}.items() <= recipe["extra_options"].items()
    zps = zero_points(m)
    assert zps and all((z == 0).all() for z in zps)
    assert sum(1 for n in m.graph.node if n.op_type == "QuantizeLinear") >= 2
    x = np.random.default_rng(5).normal(size=(4, 16)).astype(np.float32)
    ref, got = ort_run(tiny_path, {"x": x})[0], ort_run(out, {"x": x})[0]
    assert np.abs(ref - got).max() < 0.1
    assert any(e.kind == "progress" and e.phase == "Calibrating" for e in events)


def test_qdq_parses_and_builds_with_tensorrt_rtx(tmp_path, tiny_path, tiny_calib, trt_parse_and_build):
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=16), tiny_path)
    out = tmp_path / "q.onnx"
    quantize_qdq(tiny_path, out, calib, TaskState())
    assert trt_parse_and_build(out, {"x": ((1, 16), (4, 16), (8, 16))})


def test_fp8_qdq_builds_with_tensorrt_rtx(tmp_path, tiny_path, tiny_calib, trt_parse_and_build):
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=16), tiny_path)
    out = tmp_path / "f8.onnx"
    recipe = quantize_qdq(tiny_path, out, calib, TaskState(), precision="fp8")
    assert recipe["calibration_method"] == "distribution"
    m = onnx.load(str(out))
    assert any(i.data_type == onnx.TensorProto.FLOAT8E4M3FN for i in m.graph.initializer)
    assert trt_parse_and_build(out, {"x": ((1, 16), (4, 16), (8, 16))})


def test_keep_fp32_op_type_excludes_nodes(tmp_path, tiny_path, tiny_calib):
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=16), tiny_path)
    out = tmp_path / "q.onnx"
    recipe = quantize_qdq(tiny_path, out, calib, TaskState(), keep_fp32=["mm2"])
    assert recipe["nodes_excluded"] == ["mm2"]
    m = onnx.load(str(out))
    producer = {o: n for n in m.graph.node for o in n.output}
    mm2 = next(n for n in m.graph.node if n.name == "mm2")
    assert all(producer.get(i) is None or producer[i].op_type != "DequantizeLinear" for i in mm2.input)


def test_cancel_stops_calibration_and_writes_nothing(tmp_path, tiny_path, tiny_calib):
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=32), tiny_path)
    state = TaskState()
    state.cancel()
    out = tmp_path / "q.onnx"
    with pytest.raises(Cancelled):
        quantize_qdq(tiny_path, out, calib, state)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or "studio-qdq" in p.name] == []


def test_unknown_method(tmp_path, tiny_path, tiny_calib):
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=4), tiny_path)
    with pytest.raises(StudioError, match="unknown calibration method 'kl'"):
        quantize_qdq(tiny_path, tmp_path / "q.onnx", calib, TaskState(), method="kl")


@pytest.mark.slow
def test_demo_model_qdq_builds_with_tensorrt_rtx(tmp_path, demo, ort_run, trt_parse_and_build):
    model, tok = demo
    from studio.core.data.tokenizer import load_tokenizer

    calib_csv = model.parents[1] / "intents_calibration.csv"
    calib = calibration_set_for_model(CalibrationSpec(str(calib_csv), column="text", tokenizer=str(tok),
                                                      samples=16, max_length=32), model)
    out = tmp_path / "demo-q.onnx"
    quantize_qdq(model, out, calib, TaskState())
    assert all((z == 0).all() for z in zero_points(onnx.load(str(out))))
    feed = load_tokenizer(str(tok)).encode(["where is my parcel", "the coupon code does not work"])
    ref, got = ort_run(model, feed)[0], ort_run(out, feed)[0]
    assert (ref.argmax(1) == got.argmax(1)).all()
    shapes = {n: ((1, 8), (8, 64), (32, 128)) for n in ("input_ids", "attention_mask")}
    assert trt_parse_and_build(out, shapes)


def _quantized(tmp_path, tiny_calib, nodes, out_name: str, out_width: int, w):
    """A one- or two-node model reading x [batch, 16] with weights W, saved and Q/DQ-quantized:
    (source path, quantized model, recipe)."""
    from onnx import TensorProto, helper

    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
                          [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", out_width])],
                          [numpy_helper.from_array(w, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    src = tmp_path / "src.onnx"
    onnx.save(m, str(src))
    calib = calibration_set_for_model(CalibrationSpec(str(tiny_calib), samples=16), src)
    out = tmp_path / "q.onnx"
    recipe = quantize_qdq(src, out, calib, TaskState())
    return src, onnx.load(str(out)), recipe


def test_only_the_quantized_gemm_reads_the_dequantized_tensor(tmp_path, tiny_calib):
    """A tensor read by a GEMM and by a residual Add: ORT hands its one Q/DQ pair to both; the
    Add must get the float tensor back, or int8 noise runs down the residual stream."""
    from onnx import helper

    w = np.random.default_rng(2).normal(size=(16, 16)).astype(np.float32)
    _, q, recipe = _quantized(tmp_path, tiny_calib, [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
                                                     helper.make_node("Add", ["x", "h"], ["y"], name="residual")],
                              "y", 16, w)
    producer = {o: n for n in q.graph.node for o in n.output}
    mm = next(n for n in q.graph.node if n.name == "mm")
    add = next(n for n in q.graph.node if n.name == "residual")
    assert producer[mm.input[0]].op_type == "DequantizeLinear"   # the GEMM is still quantized
    # the Add reads float tensors: the input, and the GEMM's output ORT had quantized for it alone
    assert list(add.input) == ["x", "h"]
    assert recipe["float_inputs_restored"] == 2


def test_a_graph_output_is_not_quantized(tmp_path, tiny_calib, ort_run):
    """The logits of a classifier GEMM: ORT puts Q/DQ on them, which only rounds what the user reads."""
    from onnx import helper

    w = np.random.default_rng(2).normal(size=(16, 4)).astype(np.float32)
    src, q, _ = _quantized(tmp_path, tiny_calib, [helper.make_node("Gemm", ["x", "W"], ["logits"], name="classifier")],
                           "logits", 4, w)
    onnx.checker.check_model(q)
    producer = {o: n for n in q.graph.node for o in n.output}
    assert producer["logits"].name == "classifier"
    assert sum(n.op_type == "QuantizeLinear" for n in q.graph.node) == 1   # the GEMM's input only
    x = np.random.default_rng(5).normal(size=(4, 16)).astype(np.float32)
    assert np.abs(ort_run(src, {"x": x})[0] - _as_written(tmp_path / "q.onnx", {"x": x})[0]).max() < 0.2


def _as_written(path, feed):
    """The Q/DQ model computed as its ops say (quantize, dequantize, float GEMM), as TensorRT
    reads it. ORT's optimizer would fuse Q/DQ into its own int8 kernels, whose results depend on
    the CPU: without VNNI (AVX2 only) they saturate 16-bit sums, and one logit of this test moved
    by 1.9 where the Q/DQ arithmetic moves it by 0.08."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]).run(None, feed)


@pytest.mark.parametrize("method, precision", [("entropy", "int8"), ("percentile", "int8"), ("minmax", "fp8")])
def test_histogram_calibration_takes_texts_of_any_length(tmp_path, method, precision):
    """Texts make batches of different lengths, and 20 samples a short last batch: the histogram
    calibrators (entropy, percentile, fp8's distribution) stack them all and failed on both."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    model = root / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
    spec = CalibrationSpec(str(root / "resources" / "demo" / "intents_calibration.csv"), column="text", samples=20)
    calib = calibration_set_for_model(spec, model, default_tokenizer=str(model.with_name("tokenizer.json")))
    out = tmp_path / "q.onnx"
    recipe = quantize_qdq(model, out, calib, TaskState(), method=method, precision=precision)
    assert recipe["calibration_batch_size"] == 5 and calib.padding == "longest"   # the caller's set unchanged
    assert sum(n.op_type == "QuantizeLinear" for n in onnx.load(str(out)).graph.node) > 10
