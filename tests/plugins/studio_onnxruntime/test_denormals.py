"""Denormals flushed to zero where a build says so: on ONNX Runtime's pool threads through its
session option, and on the calling thread for the length of a run (denormals.py says why)."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from studio.core.backends.base import BuildConfig, sidecar_path
from studio.core.jobs.build_job import run_build
from studio_onnxruntime import denormals
from studio_onnxruntime.runner import OnnxRuntimeRunner

TINY = np.float32(1e-40)  # a denormal float32

pytestmark = pytest.mark.skipif(not denormals.supported(), reason="MXCSR control needs x86-64 Linux with glibc")


@pytest.fixture
def scale_model(tmp_path):
    """y = 1.5 * x: a denormal x gives a denormal y, unless denormals are flushed."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])
    graph = helper.make_graph([helper.make_node("Mul", ["x", "c"], ["y"], name="scale")], "scale", [x], [y],
                              [helper.make_tensor("c", TensorProto.FLOAT, [1], [1.5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "scale.onnx"
    onnx.save(model, path)
    return path


def test_flushed_covers_the_calling_thread_for_one_run_and_restores_it(scale_model):
    sess = ort.InferenceSession(str(scale_model), providers=["CPUExecutionProvider"])
    feed = {"x": np.full(1024, TINY)}
    before = denormals.current_mxcsr()
    assert np.count_nonzero(sess.run(None, feed)[0]) == 1024
    with denormals.flushed():
        assert denormals.current_mxcsr() & denormals.FTZ_DAZ == denormals.FTZ_DAZ
        assert np.count_nonzero(sess.run(None, feed)[0]) == 0
    assert denormals.current_mxcsr() & denormals.FTZ_DAZ == before & denormals.FTZ_DAZ
    assert np.count_nonzero(sess.run(None, feed)[0]) == 1024
    assert np.float32(TINY * np.float32(1.5)) != 0  # the rest of this thread keeps IEEE arithmetic


@pytest.mark.parametrize("threads", [1, 2])
def test_a_build_records_the_setting_and_its_runner_applies_it(tmp_path, scale_model, threads):
    out = tmp_path / "scale.ort.onnx"
    run_build(BuildConfig(str(scale_model), "onnxruntime", str(out)))
    side = json.loads(sidecar_path(out).read_text())
    assert side["backend_details"]["ort_session_config"] == {"session.set_denormal_as_zero": "1"}
    feed = {"x": np.full(1 << 16, TINY)}  # big enough to be split across the pool
    built = OnnxRuntimeRunner(out, intra_op_threads=threads).activate()
    assert np.count_nonzero(built.infer(feed)["y"]) == 0
    built.deactivate()
    # The source model has no sidecar: ORT's defaults, denormals kept.
    source = OnnxRuntimeRunner(scale_model, intra_op_threads=threads).activate()
    assert np.count_nonzero(source.infer(feed)["y"]) == 1 << 16
    source.deactivate()


def test_opening_a_flushing_session_leaves_the_opening_thread_as_it_was(tmp_path, scale_model):
    """ORT sets the flags of the thread that creates the process's first session, for good;
    run in a fresh interpreter so that this session is the first."""
    import subprocess
    import sys

    out = tmp_path / "scale.ort.onnx"
    run_build(BuildConfig(str(scale_model), "onnxruntime", str(out)))
    probe = (
        "import sys, numpy as np\n"
        "from studio_onnxruntime import denormals\n"
        "from studio_onnxruntime.runner import OnnxRuntimeRunner\n"
        "before = denormals.current_mxcsr() & denormals.FTZ_DAZ\n"
        f"r = OnnxRuntimeRunner({str(out)!r}, intra_op_threads=1).activate()\n"
        "flushed_in_run = np.count_nonzero(r.infer({'x': np.full(64, np.float32(1e-40))})['y']) == 0\n"
        "print(before, denormals.current_mxcsr() & denormals.FTZ_DAZ, flushed_in_run)\n")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["0", "0", "True"], r.stderr
