"""`engine-studio inspect`, run as the real command: output, exit status and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]


def studio(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "studio", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def attention_model(path, hidden=8):
    """x [batch, sequence, hidden] -> Q, K projections -> Q x K^T [batch, sequence, sequence]."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((hidden, hidden)).astype(np.float32), n)
             for n in ("wq", "wk")]
    perm = [0, 2, 1]
    nodes = [helper.make_node("MatMul", ["x", "wq"], ["q"], name="q_proj"),
             helper.make_node("MatMul", ["x", "wk"], ["k"], name="k_proj"),
             helper.make_node("Transpose", ["k"], ["kt"], name="k_t", perm=perm),
             helper.make_node("MatMul", ["q", "kt"], ["scores"], name="qk")]
    g = helper.make_graph(nodes, "attn", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                        ["batch", "sequence", hidden])],
                          [helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                                         ["batch", "sequence", "sequence"])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="cli-test",
                          producer_version="0.1")
    onnx.save(m, path)
    return path


def assert_one_line_error(r, path, fragment):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0] and fragment in lines[0], lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_inspect_json(tmp_path):
    p = attention_model(tmp_path / "attn.onnx")
    r = studio("inspect", p, "--json", "--batch", 2, "--seq-len", 5)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["inputs"] == [{"name": "x", "dtype": "float32", "shape": ["batch", "sequence", 8]}]
    assert d["outputs"] == [{"name": "scores", "dtype": "float32", "shape": ["batch", "sequence", "sequence"]}]
    assert d["nodes"] == 4 and d["op_histogram"] == {"MatMul": 3, "Transpose": 1}
    assert d["parameters"] == 2 * 64 and d["opset"] == 17
    assert (d["producer"], d["producer_version"]) == ("cli-test", "0.1")
    # projections 2 x (2*5*8*8) MACs, Q x K^T 2*5*5*8 MACs; 2 FLOPs per MAC
    assert d["flops"]["total"] == 2 * (2 * 2 * 5 * 8 * 8 + 2 * 5 * 5 * 8)
    assert d["flops"]["attention"] == 2 * 2 * 5 * 5 * 8
    assert (d["flops"]["batch"], d["flops"]["seq_len"]) == (2, 5)
    assert d["file_size"] == p.stat().st_size


def test_inspect_text_names_symbolic_dims(tmp_path):
    p = attention_model(tmp_path / "attn.onnx")
    r = studio("inspect", p)
    assert r.returncode == 0, r.stderr
    assert "x  float32  [batch, sequence, 8]" in r.stdout
    assert "scores  float32  [batch, sequence, sequence]" in r.stdout
    assert "opset 17" in r.stdout and "MatMul 3" in r.stdout and "Parameters 128" in r.stdout
    assert "at batch 1, sequence 128" in r.stdout


def test_inspect_missing_file(tmp_path):
    p = tmp_path / "missing.onnx"
    assert_one_line_error(studio("inspect", p), p, "no such file")


def test_inspect_not_onnx(tmp_path):
    p = tmp_path / "photo.onnx"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert_one_line_error(studio("inspect", p), p, "not")


def test_inspect_truncated(tmp_path):
    good = attention_model(tmp_path / "attn.onnx").read_bytes()
    p = tmp_path / "truncated.onnx"
    p.write_bytes(good[: len(good) * 2 // 3])
    assert_one_line_error(studio("inspect", p), p, "truncated")


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_inspect_external_data_leaving_the_folder(tmp_path, kind):
    """The target outside is a named pipe: opening it would block, so a command that returns at
    all (within the timeout) did not read outside the model's folder."""
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    outside = tmp_path / "secret.bin"
    os.mkfifo(outside)
    location = {"dotdot": "../secret.bin", "absolute": str(outside), "symlink": "link.bin"}[kind]
    if kind == "symlink":
        os.symlink(outside, model_dir / "link.bin")
    w = TensorProto(name="weight", data_type=TensorProto.FLOAT, dims=[4, 4])
    w.data_location = TensorProto.EXTERNAL
    e = w.external_data.add()
    e.key, e.value = "location", location
    g = helper.make_graph([helper.make_node("MatMul", ["x", "weight"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [w])
    p = model_dir / "model.onnx"
    p.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    r = studio("inspect", p, timeout=30)
    fragment = {"dotdot": "leaves the model's folder", "absolute": "absolute path", "symlink": "symbolic link"}[kind]
    assert_one_line_error(r, p, fragment)
    assert "'weight'" in r.stderr


def test_inspect_bad_batch_is_a_usage_error(tmp_path):
    p = attention_model(tmp_path / "attn.onnx")
    r = studio("inspect", p, "--batch", "0")
    assert r.returncode == 2 and "must be at least 1" in r.stderr
