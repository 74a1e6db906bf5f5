from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def tiny_model(hidden: int = 16, out: int = 4, seed: int = 0) -> onnx.ModelProto:
    """MatMul -> Add -> decomposed LayerNorm -> MatMul -> Softmax: the ops the passes care about."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(rng.normal(size=(hidden, hidden)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(size=(hidden,)).astype(np.float32), "B"),
             numpy_helper.from_array(rng.normal(size=(hidden, out)).astype(np.float32), "W2"),
             numpy_helper.from_array(np.array(2.0, np.float32), "two")]
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm1"),
             helper.make_node("Add", ["h", "B"], ["hb"], name="add1"),
             helper.make_node("ReduceMean", ["hb"], ["mu"], axes=[-1], name="rm1"),
             helper.make_node("Sub", ["hb", "mu"], ["d"], name="sub"),
             helper.make_node("Pow", ["d", "two"], ["d2"], name="pow"),
             helper.make_node("ReduceMean", ["d2"], ["var"], axes=[-1], name="rm2"),
             helper.make_node("Sqrt", ["var"], ["sd"], name="sqrt"),
             helper.make_node("Div", ["d", "sd"], ["n"]),  # unnamed on purpose
             helper.make_node("MatMul", ["n", "W2"], ["o"], name="mm2"),
             helper.make_node("Softmax", ["o"], ["y"], axis=-1, name="sm")]
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", hidden])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", out])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


@pytest.fixture
def tiny_path(tmp_path) -> Path:
    p = tmp_path / "tiny.onnx"
    onnx.save(tiny_model(), str(p))
    return p


@pytest.fixture
def tiny_calib(tmp_path) -> Path:
    p = tmp_path / "calib.npz"
    np.savez(p, x=np.random.default_rng(1).normal(size=(48, 16)).astype(np.float32))
    return p


def _demo_paths():
    from studio.core.demo.paths import demo_model_path, demo_tokenizer_path

    model = demo_model_path()
    if not model.exists():
        pytest.skip("demo model not generated (engine-studio demo-model)")
    return model, demo_tokenizer_path()


# pytest's importlib mode cannot import conftest as a module: hand the helpers out as fixtures.
@pytest.fixture
def make_tiny():
    return tiny_model


@pytest.fixture
def demo():
    return _demo_paths()


def _trt_parse_and_build(path, shapes) -> bool:
    """Parse with TensorRT-RTX's ONNX parser (no error allowed) and build on the CPU."""
    import tensorrt_rtx as trt

    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    net = builder.create_network(0)
    parser = trt.OnnxParser(net, logger)
    ok = parser.parse_from_file(str(path))
    errors = [parser.get_error(i).desc() for i in range(parser.num_errors)]
    assert ok and not errors, errors
    cfg = builder.create_builder_config()
    prof = builder.create_optimization_profile()
    for name, (a, b, c) in shapes.items():
        prof.set_shape(name, a, b, c)
    cfg.add_optimization_profile(prof)
    return builder.build_serialized_network(net, cfg) is not None


@pytest.fixture
def trt_parse_and_build():
    return _trt_parse_and_build
