import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.cli.cmd_build import parse_size
from studio.cli.main import main
from studio.core.errors import StudioError

ROOT = Path(__file__).resolve().parents[2]


def _model(path, n=1, d=16):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", d])
    rng = np.random.default_rng(0)
    nodes, inits, cur = [], [], "x"
    for i in range(n):
        inits.append(numpy_helper.from_array(rng.standard_normal((d, d)).astype(np.float32) * 0.05, f"W{i}"))
        nodes += [helper.make_node("MatMul", [cur, f"W{i}"], [f"m{i}"], name=f"mm{i}"),
                  helper.make_node("Softmax" if i % 2 else "Relu", [f"m{i}"], [f"r{i}"], name=f"act{i}")]
        cur = f"r{i}"
    nodes.append(helper.make_node("Identity", [cur], ["y"], name="out"))
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)
    return str(path)


def test_parse_size():
    assert parse_size("512M") == 512 << 20 and parse_size("2G") == 2 << 30 and parse_size("1.5g") == 3 << 29
    assert parse_size("4096") == 4096 and parse_size("64KiB") == 64 << 10
    for bad in ("12Q", "", "-1G", "0"):
        with pytest.raises(StudioError):
            parse_size(bad)


def test_build_json_contract(tmp_path, capsys):
    model = _model(tmp_path / "m.onnx")
    out = tmp_path / "m.engine"
    rc = main(["build", model, "--backend", "tensorrt", "--precision", "fp32", "--workspace", "256M", "--opt-level", "1",
               "--shapes", "x:1x16,4x16,8x16", "--timing-cache", str(tmp_path / "tc.bin"), "-o", str(out), "--json"])
    cap = capsys.readouterr()
    assert rc == 0
    doc = json.loads(cap.out)
    assert {"output", "sidecar", "backend", "precision", "build_seconds"} <= set(doc)
    assert doc["output"] == str(out) and Path(doc["sidecar"]).is_file() and doc["backend"] == "tensorrt"
    side = json.loads(Path(doc["sidecar"]).read_text())
    assert side["build_config"]["workspace"] == 256 << 20 and side["build_config"]["optimization_level"] == 1
    # Progress on stderr: a line per phase with a percentage.
    lines = cap.err.splitlines()
    assert lines[0].startswith("[  0%]") and any(l.startswith("[100%] Done") for l in lines)
    assert any("Building engine" in l for l in lines)
    assert any("timing caches" in l for l in lines)      # TensorRT-RTX says its cache is a no-op


@pytest.mark.parametrize("extra,words", [
    (["--shapes", "x:1x8,2x16,4x16"], "fixed at 16"),
    (["--shapes", "x:4x16,2x16,8x16"], "min <= opt <= max"),
    (["--shapes", "x16"], "expected NAME:MIN,OPT,MAX"),
    (["--workspace", "lots"], "bad size"),
    (["--precision", "fp64"], "unknown precision"),
    (["--precision", "int8"], "needs calibration data"),
    (["--opt-level", "9"], "out of range"),
    (["--backend", "nope"], "unknown backend"),
    (["--option", "verbose"], "a build option takes KEY=VALUE (got 'verbose')"),
    (["--option", "ort_attention=contrib"], "unknown build option 'ort_attention' for backend tensorrt; it reads: "),
])
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, capsys, extra, words):
    model = _model(tmp_path / "m.onnx")
    out = tmp_path / "m.engine"
    rc = main(["build", model, "-o", str(out), *extra])
    err = capsys.readouterr().err
    assert rc == 2 and words in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_onnxruntime_int8_needs_no_calibration(tmp_path, capsys):
    # The README's command: the CPU recipe quantizes activations at run time.
    model, out = _model(tmp_path / "m.onnx"), tmp_path / "m.int8.ort.onnx"
    rc = main(["build", model, "--backend", "onnxruntime", "--precision", "int8", "-o", str(out), "--json", "-q"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and out.is_file() and doc["metadata"]["recipe"]["name"] == "ort-dynamic-int8"


def test_build_options_reach_the_backend(tmp_path, capsys):
    model, out = _model(tmp_path / "m.onnx"), tmp_path / "m.ort.onnx"
    rc = main(["build", model, "--backend", "onnxruntime", "-o", str(out), "--json", "-q",
               "--option", "ort_ffn_chunk_bytes=0", "--option", "ort_optimization=basic"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["metadata"]["ffn_chunk_bytes"] == 0 and doc["metadata"]["optimization_level"] == "basic"
    side = json.loads(Path(doc["sidecar"]).read_text())
    assert side["build_config"]["options"] == {"ort_ffn_chunk_bytes": 0, "ort_optimization": "basic"}


def test_parser_error_via_cli(tmp_path, capsys):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    m = helper.make_model(helper.make_graph([helper.make_node("Gizmo", ["x"], ["t"], name="g1"),
                                             helper.make_node("Gadget", ["t"], ["y"], name="g2")], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "bad.onnx")
    rc = main(["build", str(tmp_path / "bad.onnx"), "-o", str(tmp_path / "bad.engine")])
    err = capsys.readouterr().err
    assert rc == 2 and "'g1' (Gizmo)" in err and "'g2' (Gadget)" in err
    assert not (tmp_path / "bad.engine").exists()


def test_missing_model(tmp_path, capsys):
    assert main(["build", str(tmp_path / "none.onnx")]) == 2
    assert "model file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_cancels_cleanly(tmp_path, interruptible_command):
    model = _model(tmp_path / "chain.onnx", n=200, d=32)
    out = tmp_path / "out" / "chain.engine"
    proc = subprocess.Popen(interruptible_command("build", model, "-o", out), cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:          # wait until the builder is really at work
        if "Building engine" in line:
            break
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    rc = proc.wait(timeout=15)
    assert rc == 130, rest
    assert "cancelled" in rest and "Traceback" not in rest
    assert time.monotonic() - t0 < 8          # at once, not when the build would have ended
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
