import importlib.util
from pathlib import Path

import pytest

SMALL_MODELS = Path(__file__).resolve().parents[1] / "core" / "bench" / "small_models.py"


def _helpers():
    spec = importlib.util.spec_from_file_location("bench_small_models", SMALL_MODELS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def models():
    return _helpers()


@pytest.fixture(scope="session")
def mlp_path(tmp_path_factory, models):
    return models.mlp(tmp_path_factory.mktemp("m") / "mlp.onnx")


@pytest.fixture
def ort_factory(mlp_path):
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    return lambda: OnnxRuntimeRunner(mlp_path, intra_op_threads=1)
