import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.backends.base import BuildConfig, sidecar_path
from studio.core.backends.check import check_artifact
from studio.core.errors import StudioError
from studio.core.jobs.build_job import run_build


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("check")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])
    w = numpy_helper.from_array(np.eye(8, dtype=np.float32), "W")
    m = helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g", [x], [y], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, d / "m.onnx")
    return run_build(BuildConfig(str(d / "m.onnx"), "tensorrt", str(d / "m.engine"))).output


def test_our_engine_is_trusted_and_the_reason_is_the_machine(engine):
    rep = check_artifact(engine)
    assert rep.trusted and "sha256 matches" in rep.trust_reason
    assert rep.built_with == rep.library_here
    gpu = rep.facts["gpu"]
    if not gpu["present"]:
        assert not rep.runs_here
        assert any("TensorRT-RTX engines need compute capability 8.0, 8.6, 8.9 or 12.x" in r for r in rep.reasons)
    assert not any("truncated" in r or "malformed" in r for r in rep.reasons)


def test_modified_engine_loses_trust(engine, tmp_path):
    copy = tmp_path / "m.engine"
    shutil.copy(engine, copy)
    shutil.copy(sidecar_path(engine), sidecar_path(copy))
    data = bytearray(copy.read_bytes())
    data[-1] ^= 0xFF
    copy.write_bytes(bytes(data))
    rep = check_artifact(copy)
    assert not rep.trusted and "sha256 differs" in rep.trust_reason and not rep.runs_here


def test_engine_without_sidecar_is_untrusted(engine, tmp_path):
    copy = tmp_path / "lone.engine"
    shutil.copy(engine, copy)
    rep = check_artifact(copy)
    assert not rep.trusted and "not built by Engine Studio" in rep.trust_reason
    assert rep.backend == "tensorrt"


def test_sidecar_from_another_library_version_is_named(engine, tmp_path):
    import json
    copy = tmp_path / "old.engine"
    shutil.copy(engine, copy)
    doc = json.loads(sidecar_path(engine).read_text())
    doc["library_version"] = "1.0.0.0"
    sidecar_path(copy).write_text(json.dumps(doc))
    rep = check_artifact(copy)
    assert any("built with tensorrt_rtx 1.0.0.0, this machine has tensorrt_rtx" in r for r in rep.reasons)


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(StudioError, match="no such file"):
        check_artifact(tmp_path / "none.engine")
    odd = tmp_path / "x.bin"
    odd.write_bytes(b"hello")
    rep = check_artifact(odd)
    assert not rep.runs_here and "unknown artifact type" in rep.reasons[0]
