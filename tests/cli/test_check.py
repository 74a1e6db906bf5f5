import json
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio.cli.main import main


def _engine(tmp_path, capsys):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])
    w = numpy_helper.from_array(np.eye(8, dtype=np.float32), "W")
    m = helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g", [x], [y], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "m.onnx")
    assert main(["build", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m.engine"), "-q"]) == 0
    capsys.readouterr()
    return tmp_path / "m.engine"


def test_check_text_and_json(tmp_path, capsys):
    eng = _engine(tmp_path, capsys)
    rc = main(["check", str(eng), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["trusted"] and doc["backend"] == "tensorrt"
    assert rc == (0 if doc["runs_here"] else 1)
    if not doc["facts"]["gpu"]["present"]:
        assert rc == 1 and any("compute capability" in r for r in doc["reasons"])
    main(["check", str(eng)])
    out = capsys.readouterr().out
    assert "built by Engine Studio" in out and ("cannot run here" in out or "runs here" in out)


def test_check_refuses_to_trust_a_foreign_engine(tmp_path, capsys):
    eng = _engine(tmp_path, capsys)
    foreign = tmp_path / "foreign.engine"
    shutil.copy(eng, foreign)
    main(["check", str(foreign), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert not doc["trusted"] and "deserialize" not in doc["facts"]
    junk = tmp_path / "junk.engine"
    junk.write_bytes(b"\x00" * 300)
    assert main(["check", str(junk)]) == 1
    assert "not a TensorRT-RTX plan" in capsys.readouterr().out


def test_check_missing_file_exits_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "none.engine")]) == 2
    assert "no such file" in capsys.readouterr().err
