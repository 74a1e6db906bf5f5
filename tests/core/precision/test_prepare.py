import json

import onnx
import pytest

from studio.core.backends.base import BuildConfig, CalibrationSpec
from studio.core.backends.registry import get_backend
from studio.core.errors import CapabilityError, DataError
from studio.core.precision.prepare import PreparedModel, prepare_precision
from studio.core.progress import TaskState


# What the two built-in compilers take: TensorRT calibrated Q/DQ only, ONNX Runtime dynamic
# int8 by default.
QDQ_ONLY = get_backend("tensorrt").precision_target()
DYNAMIC_FIRST = get_backend("onnxruntime").precision_target()


def cfg(model, precision, **kw):
    return BuildConfig(model=str(model), backend="tensorrt", output="unused", precision=precision, **kw)


def test_fp32_is_the_model_itself(tmp_path, tiny_path):
    p = prepare_precision(cfg(tiny_path, "fp32"), QDQ_ONLY, tmp_path, TaskState())
    assert p.path == str(tiny_path) and p.recipe == {"name": "none"}


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_casts_for_tensorrt(tmp_path, tiny_path, precision):
    p = prepare_precision(cfg(tiny_path, precision), QDQ_ONLY, tmp_path / "w", TaskState())
    assert p.precision == precision and p.recipe["name"] == f"cast-{precision}"
    onnx.checker.check_model(onnx.load(p.path), full_check=True)
    json.dumps(p.to_dict())


def test_int8_for_tensorrt_needs_calibration(tmp_path, tiny_path):
    with pytest.raises(DataError, match="needs calibration data"):
        prepare_precision(cfg(tiny_path, "int8"), QDQ_ONLY, tmp_path, TaskState())


def test_int8_for_tensorrt_is_qdq_with_summary(tmp_path, tiny_path, tiny_calib):
    c = cfg(tiny_path, "int8", calibration=CalibrationSpec(str(tiny_calib), samples=16, method="entropy"))
    p = prepare_precision(c, QDQ_ONLY, tmp_path, TaskState())
    assert isinstance(p, PreparedModel) and p.recipe["name"] == "tensorrt-qdq"
    assert p.recipe["calibration_method"] == "entropy"
    assert p.calibration["samples"] == 16 and p.calibration["kind"] == "arrays"
    json.dumps(p.to_dict())


def test_fp8_for_tensorrt(tmp_path, tiny_path, tiny_calib):
    c = cfg(tiny_path, "fp8", calibration=CalibrationSpec(str(tiny_calib), samples=8))
    p = prepare_precision(c, QDQ_ONLY, tmp_path, TaskState())
    assert p.precision == "fp8" and p.recipe["precision"] == "fp8"


def test_int8_for_onnxruntime_is_dynamic(tmp_path, tiny_path):
    p = prepare_precision(cfg(tiny_path, "int8"), DYNAMIC_FIRST, tmp_path, TaskState())
    assert p.recipe["name"] == "ort-dynamic-int8" and p.calibration is None


def test_refusals(tmp_path, tiny_path):
    """A precision the backend lacks is refused by its capabilities before the precision step;
    an int8 recipe its compiler does not take is refused by the step, naming what it takes."""
    caps = get_backend("onnxruntime").capabilities()
    with pytest.raises(CapabilityError, match="bf16 is not available: ONNX Runtime's CPU provider"):
        caps.check_precision("bf16")
    with pytest.raises(CapabilityError, match="fp8 is not available: ONNX Runtime has no fp8"):
        caps.check_precision("fp8")
    with pytest.raises(CapabilityError, match="'dynamic' does not build for this backend; it takes 'qdq'"):
        prepare_precision(cfg(tiny_path, "int8", options={"int8_recipe": "dynamic"}), QDQ_ONLY, tmp_path, TaskState())
    with pytest.raises(CapabilityError, match="unknown int8 recipe 'static'"):
        prepare_precision(cfg(tiny_path, "int8", options={"int8_recipe": "static"}), DYNAMIC_FIRST, tmp_path, TaskState())


def test_text_calibration_against_a_non_text_model(tmp_path, tiny_path):
    csv = tmp_path / "c.csv"
    csv.write_text("text\nhello\n", encoding="utf-8")
    from studio.core.demo.weights import minilm_tokenizer_path

    c = cfg(tiny_path, "int8", calibration=CalibrationSpec(str(csv), tokenizer=str(minilm_tokenizer_path())))
    with pytest.raises(DataError, match="model input 'x' cannot be made from text"):
        prepare_precision(c, QDQ_ONLY, tmp_path, TaskState())


def _float_types(path):
    m = onnx.load(str(path))
    return {onnx.TensorProto.DataType.Name(t.data_type) for t in m.graph.initializer}, m


def test_int8_for_tensorrt_keeps_the_rest_in_fp16_and_scales_in_fp32(tmp_path, tiny_path, tiny_calib,
                                                                     trt_parse_and_build):
    c = cfg(tiny_path, "int8", calibration=CalibrationSpec(str(tiny_calib), samples=16))
    p = prepare_precision(c, QDQ_ONLY, tmp_path, TaskState())
    types, m = _float_types(p.path)
    assert {"INT8", "FLOAT16"} <= types and p.recipe["high_precision"] == "fp16"
    inits = {t.name: t for t in m.graph.initializer}
    scales = [inits[n.input[1]] for n in m.graph.node if n.op_type == "DequantizeLinear"]
    assert scales and all(s.data_type == onnx.TensorProto.FLOAT for s in scales)
    # the fragile LayerNorm variance stays fp32: its Pow reads an fp32 input (a Cast feeds it)
    producers = {o: n for n in m.graph.node for o in n.output}
    assert producers[next(n for n in m.graph.node if n.name == "pow").input[0]].op_type == "Cast"
    assert any("unquantized runs in fp16" in n for n in p.notes)
    assert trt_parse_and_build(p.path, {"x": ((1, 16), (4, 16), (8, 16))})


@pytest.mark.parametrize("high, expect", [("fp32", {"INT8", "FLOAT"}), ("bf16", {"INT8", "BFLOAT16"})])
def test_int8_high_precision_is_a_choice(tmp_path, tiny_path, tiny_calib, high, expect):
    c = cfg(tiny_path, "int8", calibration=CalibrationSpec(str(tiny_calib), samples=16),
            options={"high_precision": high})
    p = prepare_precision(c, QDQ_ONLY, tmp_path, TaskState())
    types, _ = _float_types(p.path)
    assert expect <= types and "FLOAT16" not in types
    assert p.recipe["high_precision"] == high


def test_unknown_high_precision_is_refused(tmp_path, tiny_path, tiny_calib):
    c = cfg(tiny_path, "int8", calibration=CalibrationSpec(str(tiny_calib), samples=16),
            options={"high_precision": "fp64"})
    with pytest.raises(CapabilityError, match="choose one of fp16, bf16, fp32"):
        prepare_precision(c, QDQ_ONLY, tmp_path, TaskState())


@pytest.mark.parametrize("vnni, asked, seven_bits", [(True, None, False), (False, None, True), (None, None, False),
                                                      (False, False, False), (True, True, True)])
def test_int8_weights_take_7_bits_where_the_cpu_has_no_vnni(tmp_path, tiny_path, monkeypatch, vnni, asked, seven_bits):
    """Without VNNI, ORT's U8S8 kernels add 8-bit products in 16 bits and saturate: the weights
    then lose a bit of range instead, and the build says why. The option overrides."""
    import studio.core.precision.cpu_int8 as cpu_int8

    monkeypatch.setattr(cpu_int8, "cpu_has_vnni", lambda: vnni)
    options = {} if asked is None else {"int8_reduce_range": asked}
    p = prepare_precision(cfg(tiny_path, "int8", options=options), DYNAMIC_FIRST, tmp_path, TaskState())
    assert p.recipe["reduce_range"] is seven_bits
    assert any("this CPU has no VNNI" in n for n in p.notes) == (seven_bits and asked is None)


def test_vnni_is_read_from_the_cpus_flags(tmp_path):
    from studio.core.precision.cpu_int8 import cpu_has_vnni

    for flags, has in (("fpu avx2 avx512f avx512_vnni", True), ("fpu avx2 avx_vnni", True), ("fpu sse4_2 avx2", False)):
        (tmp_path / "cpuinfo").write_text(f"processor\t: 0\nmodel name\t: X\nflags\t\t: {flags}\n\n")
        assert cpu_has_vnni(str(tmp_path / "cpuinfo")) is has
    assert cpu_has_vnni(str(tmp_path / "missing")) is None
