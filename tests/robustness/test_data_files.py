"""Hostile calibration/validation data through the real CLI (`bench --data`).
Each refusal is one line with file:line (tables) or file + member (arrays); the .npy/.npz reader
never unpickles and refuses absurd declared shapes before allocating. The deeper cases (NaN
labels, unclosed quotes, huge files streamed, npz members lying about their shape) are the data module's
tests in tests/core/data/."""

from __future__ import annotations

import io
import struct

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper

from .conftest import assert_refused, mlp, run_cli


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    """input_ids/attention_mask -> one score, with the real MiniLM tokenizer beside it."""
    import shutil

    from studio.core.demo.weights import minilm_tokenizer_path
    d = tmp_path_factory.mktemp("text")
    ins = [helper.make_tensor_value_info(n, T.INT64, ["batch", "sequence"]) for n in ("input_ids", "attention_mask")]
    out = helper.make_tensor_value_info("logits", T.FLOAT, ["batch", 1])
    nodes = [helper.make_node("Mul", ["input_ids", "attention_mask"], ["m"], name="mul"),
             helper.make_node("Cast", ["m"], ["f"], name="cast", to=T.FLOAT),
             helper.make_node("ReduceSum", ["f"], ["logits"], name="sum", keepdims=1)]
    m = helper.make_model(helper.make_graph(nodes, "txt", ins, [out]), opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, d / "txt.onnx")
    shutil.copy(minilm_tokenizer_path(), d / "tokenizer.json")
    return d / "txt.onnx"


def _bench(model, data):
    return run_cli("bench", model, "--backend", "onnxruntime", "--data", data, "--iterations", "3", "--quiet")


@pytest.mark.slow
@pytest.mark.parametrize("name, content, where, why", [
    ("ragged.csv", b"text,intent\nhello there,greet\nbad,row,extra\n", ":3", "3 fields"),
    ("latin1.csv", b"text,intent\nhello,greet\ncaf\xe9 au lait,order\n", ":3", "UTF-8"),
    ("bad.jsonl", b'{"text": "hi", "intent": "greet"}\n{"text": "oops", \n', ":2", "JSON"),
])
def test_bad_text_tables_name_file_and_line(text_model, tmp_path, name, content, where, why):
    p = tmp_path / name
    p.write_bytes(content)
    assert_refused(_bench(text_model, p), f"{p}{where}", why)


def _npy_header(shape, dtype="<f4") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


@pytest.mark.slow
def test_object_arrays_absurd_shapes_and_nan_are_refused(tmp_path):
    model = mlp(tmp_path / "m.onnx")
    obj = tmp_path / "obj.npz"
    buf = io.BytesIO()
    np.save(buf, np.array([{"__reduce__": 1}, None], dtype=object), allow_pickle=True)
    import zipfile
    with zipfile.ZipFile(obj, "w") as z:
        z.writestr("x.npy", buf.getvalue())
    assert_refused(_bench(model, obj), str(obj), "object")
    huge = tmp_path / "x.npy"
    huge.write_bytes(_npy_header((2 ** 40, 8)) + b"\0" * 64)  # declares 32 TiB, holds 64 bytes
    assert_refused(_bench(model, huge), str(huge))
    nan = tmp_path / "nan.npz"
    x = np.ones((4, 8), np.float32)
    x[1, 2] = np.nan
    np.savez(nan, x=x)
    assert_refused(_bench(model, nan), str(nan), "tensor 'x' holds 1 NaN/Inf")
    # the same file as int8 calibration: refused before any engine file exists
    out = tmp_path / "out" / "m.engine"
    assert_refused(run_cli("build", model, "--precision", "int8", "--calib", nan, "-o", out, "--quiet"),
                   str(nan), "NaN/Inf")
    assert not out.parent.exists() or not list(out.parent.iterdir())
