"""Shared helpers for the issue-7 robustness tests: run the real CLI in a child process and check
the user-facing contract of a refusal (exit status 2, one line on stderr that names the file and
the problem, no traceback, no output file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, timeout: float = 120, env: dict | None = None, preexec_fn=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studio", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, **(env or {})}, preexec_fn=preexec_fn)


def assert_refused(r: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, exactly one stderr line naming each needle, no traceback, nothing on stdout."""
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr
    # progress lines ("[  5%] Parsing ONNX") may come first; the error itself is one line, the last
    errors = [ln for ln in lines if ln.startswith("engine-studio:")]
    assert len(errors) == 1 and lines[-1] == errors[0], r.stderr
    for n in needles:
        assert n in errors[0], (n, errors[0])
    assert r.stdout.strip() == "", r.stdout
    return errors[0]


def mlp(path: Path, d: int = 8, name: str = "W") -> Path:
    """x[batch,d] @ W + B -> Relu: the smallest real model every backend builds."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", d])
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((d, d)).astype(np.float32), name),
             numpy_helper.from_array(rng.standard_normal(d).astype(np.float32), "B")]
    nodes = [helper.make_node("MatMul", ["x", name], ["m"], name="mm"),
             helper.make_node("Add", ["m", "B"], ["a"], name="add"),
             helper.make_node("Relu", ["a"], ["y"], name="relu")]
    m = helper.make_model(helper.make_graph(nodes, "mlp", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, path)
    return path


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def small_model(tmp_path):
    return mlp(tmp_path / "models" / "mlp.onnx")
