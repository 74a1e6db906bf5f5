import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from studio.core.errors import CapabilityError, ModelError, StudioError
from studio_onnxruntime.runner import OnnxRuntimeRunner

SMALL_MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "core" / "bench" / "small_models.py"


@pytest.fixture(scope="module")
def runner_mlp(tmp_path_factory):
    """x[batch, 32] -> y[batch, 8] (this directory's conftest has its own, smaller `runner_mlp`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_small_models", SMALL_MODELS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.mlp(tmp_path_factory.mktemp("r") / "mlp32.onnx")


def _numpy_mlp(path, x):
    m = onnx.load(path)
    w = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    return np.maximum(x @ w["W1"], 0) @ w["W2"]


def test_outputs_metadata_and_cold_start(runner_mlp):
    r = OnnxRuntimeRunner(runner_mlp, intra_op_threads=1, inter_op_threads=1)
    with r:
        x = np.random.default_rng(0).standard_normal((5, 32)).astype(np.float32)
        out = r.infer({"x": x}, check=True)
        np.testing.assert_allclose(out["y"], _numpy_mlp(runner_mlp, x), rtol=1e-4, atol=1e-4)
        assert [(m.name, m.dtype, m.shape) for m in r.input_metadata()] == [("x", "float32", ("batch", 32))]
        assert r.output_metadata()[0].shape == ("batch", 8)
        cs = r.cold_start
        assert cs.load_ms > 0 and cs.context_ms > 0 and cs.first_infer_ms > 0
        assert cs.extra["providers"] == ["CPUExecutionProvider"]
        assert r.last_timing.latency > 0 and r.last_timing.compute is None
        _, t = r.infer_timed({"x": x})
        assert t.latency > 0
        with pytest.raises(StudioError, match="dim 1 is 16, model expects 32"):
            r.infer({"x": x[:, :16]}, check=True)
    assert not r.is_active and r.session is None


def test_cuda_provider_refused_clearly_where_absent(runner_mlp):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    with pytest.raises(CapabilityError, match="CUDAExecutionProvider not available here .*onnxruntime-gpu"):
        OnnxRuntimeRunner(runner_mlp, providers=["cuda"])


def test_bad_model_file(tmp_path):
    p = tmp_path / "bad.onnx"
    p.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="bad.onnx: ONNX Runtime cannot open the model"):
        OnnxRuntimeRunner(p).activate()
    with pytest.raises(ModelError, match="cannot read model"):
        OnnxRuntimeRunner(tmp_path / "missing.onnx").activate()


def test_backend_opens_this_runner(runner_mlp):
    from studio.core.backends.registry import get_backend

    r = get_backend("onnxruntime").open_runner(runner_mlp, threads=1)
    assert isinstance(r, OnnxRuntimeRunner) and r.intra_op_threads == 1
