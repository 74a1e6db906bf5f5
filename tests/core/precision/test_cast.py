import numpy as np
import onnx
import pytest
from onnx import TensorProto

from studio.core.errors import ModelError
from studio.core.precision.cast import cast_bf16, cast_fp16


def io_types(m):
    return [v.type.tensor_type.elem_type for v in list(m.graph.input) + list(m.graph.output)]


def test_fp16_keeps_io_fp32_and_fragile_ops(tmp_path, make_tiny, ort_run):
    m, notes = cast_fp16(make_tiny())
    onnx.checker.check_model(m, full_check=True)
    assert io_types(m) == [TensorProto.FLOAT, TensorProto.FLOAT]
    assert {i.name: i.data_type for i in m.graph.initializer}["W"] == TensorProto.FLOAT16
    assert any("Pow" in n for n in notes)
    p = tmp_path / "f16.onnx"
    onnx.save(m, str(p))
    x = np.random.default_rng(0).normal(size=(3, 16)).astype(np.float32)
    src = tmp_path / "f32.onnx"
    onnx.save(make_tiny(), str(src))
    np.testing.assert_allclose(ort_run(p, {"x": x})[0], ort_run(src, {"x": x})[0], atol=2e-2)


def test_keep_fp32_by_node_name_and_op_type(make_tiny):
    m, notes = cast_fp16(make_tiny(), keep_fp32=["mm2", "Softmax"])
    producer = {o: n for n in m.graph.node for o in n.output}
    mm2 = next(n for n in m.graph.node if n.name == "mm2")
    assert {i.name: i.data_type for i in m.graph.initializer}["W2"] == TensorProto.FLOAT
    feeder = producer[mm2.input[0]]
    assert feeder.op_type == "Cast" and feeder.attribute[0].i == TensorProto.FLOAT
    mm1 = next(n for n in m.graph.node if n.name == "mm1")
    assert {i.name: i.data_type for i in m.graph.initializer}[mm1.input[1]] == TensorProto.FLOAT16
    assert any("mm2" in n and "Softmax" in n for n in notes)


def test_keep_fp32_typo_is_an_error(make_tiny):
    with pytest.raises(ModelError, match="'Matmul' is neither a node name, an op type nor a pattern"):
        cast_fp16(make_tiny(), keep_fp32=["Matmul"])


def test_bf16_model_checks_and_builds_with_tensorrt_rtx(tmp_path, make_tiny, trt_parse_and_build):
    m, _ = cast_bf16(make_tiny())
    onnx.checker.check_model(m, full_check=True)
    assert io_types(m) == [TensorProto.FLOAT, TensorProto.FLOAT]
    w = {i.name: i for i in m.graph.initializer}["W"]
    assert w.data_type == TensorProto.BFLOAT16
    # bf16 is taken from the fp32 original, not via fp16: compare with a direct rounding.
    import ml_dtypes
    from onnx import numpy_helper

    orig = numpy_helper.to_array({i.name: i for i in make_tiny().graph.initializer}["W"])
    got = np.frombuffer(w.raw_data, np.uint16).view(ml_dtypes.bfloat16).astype(np.float32).reshape(orig.shape)
    np.testing.assert_array_equal(got, orig.astype(ml_dtypes.bfloat16).astype(np.float32))
    p = tmp_path / "bf16.onnx"
    onnx.save(m, str(p))
    assert trt_parse_and_build(p, {"x": ((1, 16), (4, 16), (8, 16))})


def test_fp16_tiny_builds_with_tensorrt_rtx(tmp_path, make_tiny, trt_parse_and_build):
    p = tmp_path / "f16.onnx"
    onnx.save(cast_fp16(make_tiny())[0], str(p))
    assert trt_parse_and_build(p, {"x": ((1, 16), (4, 16), (8, 16))})


@pytest.mark.slow
def test_fp16_demo_model_close_to_fp32(tmp_path, demo, ort_run):
    model, tok = demo
    from studio.core.data.tokenizer import load_tokenizer
    from studio.core.precision.model_io import load_model

    m, _ = cast_fp16(load_model(model))
    onnx.checker.check_model(m)
    p = tmp_path / "demo16.onnx"
    onnx.save(m, str(p))
    feed = load_tokenizer(str(tok)).encode(["where is my parcel", "I want my money back for the broken kettle"])
    ref = ort_run(model, feed)[0]
    got = ort_run(p, feed)[0]
    assert np.abs(got - ref).max() < 0.05 * np.abs(ref).max()
    assert (got.argmax(1) == ref.argmax(1)).all()
