import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.backends.base import BuildConfig, CalibrationSpec, ShapeProfile, sidecar_path
from studio.core.backends.sidecar import SCHEMA_VERSION, load_sidecar
from studio.core.errors import StudioError
from studio.core.io import sha256_file as _sha256_file
from studio.core.jobs.build_job import run_build


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("sidecar")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])
    w = numpy_helper.from_array(np.eye(8, dtype=np.float32), "W")
    m = helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g", [x], [y], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, d / "m.onnx")
    cfg = BuildConfig(str(d / "m.onnx"), "tensorrt", str(d / "m.engine"), workspace=64 << 20, optimization_level=2,
                      profiles=[ShapeProfile.parse("x:1x8,2x8,4x8")], timing_cache=str(d / "tc.bin"))
    res = run_build(cfg)
    return cfg, res


def test_sidecar_holds_what_the_issue_lists(built):
    cfg, res = built
    doc = load_sidecar(res.output)
    assert doc["schema_version"] == SCHEMA_VERSION and doc["backend"] == "tensorrt"
    assert doc["library"] == "tensorrt_rtx" and doc["library_version"] and doc["cuda_version"]
    assert doc["target_compute_capabilities"] == ["8.0", "8.6", "8.9", "12.0", "12.1"]
    assert doc["precision"] == "fp32"
    assert BuildConfig.from_dict(doc["build_config"]) == cfg          # the whole config round-trips
    assert doc["input_profiles"] == [{"name": "x", "min": [1, 8], "opt": [2, 8], "max": [4, 8]}]
    assert doc["source"]["sha256"] == _sha256_file(cfg.model)
    assert doc["artifact"]["sha256"] == _sha256_file(res.output)
    assert doc["artifact"]["size_bytes"] == res.size_bytes
    assert doc["build_seconds"] > 0 and doc["studio_version"]
    assert doc["timing_cache"]["supported"] is False and doc["timing_cache_hit"] is None
    assert doc["layer_report"] == "m.engine.layers.txt"
    assert "calibration" in doc


def test_config_with_calibration_round_trips():
    cfg = BuildConfig("m.onnx", "tensorrt", "m.engine", precision="int8",
                      calibration=CalibrationSpec("c.csv", column="text", samples=64, method="entropy"))
    assert BuildConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_foreign_or_future_sidecars_are_refused(tmp_path):
    art = tmp_path / "x.engine"
    art.write_bytes(b"x")
    sidecar_path(art).write_text('{"hello": 1}')
    with pytest.raises(StudioError, match="not an Engine Studio sidecar"):
        load_sidecar(art)
    sidecar_path(art).write_text(json.dumps({"kind": "engine-studio-artifact", "schema_version": 99}))
    with pytest.raises(StudioError, match="newer"):
        load_sidecar(art)
    sidecar_path(art).write_text("{nope")
    with pytest.raises(StudioError, match="not valid JSON"):
        load_sidecar(art)
