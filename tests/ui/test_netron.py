"""Netron serves a private copy on 127.0.0.1 and nothing else; it stops on close."""

import socket
import urllib.error
import urllib.request
from pathlib import Path

import onnx
import pytest

from studio.core.errors import StudioError


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_serves_only_a_private_copy_on_localhost(tiny_model, tmp_path):
    from studio.ui.netron_server import serve_copy, stop_all
    secret = Path(tiny_model).with_name("secret.txt")
    secret.write_text("not for the browser")
    session = serve_copy(tiny_model)
    try:
        assert session.address[0] == "127.0.0.1"
        assert session.folder != Path(tiny_model).parent
        assert sorted(p.name for p in session.folder.iterdir()) == ["tiny.onnx"]
        status, body = _get(session.url)
        assert status == 200 and b"<html" in body.lower()
        status, body = _get(session.url + "data/tiny.onnx")
        assert status == 200 and body == Path(tiny_model).read_bytes()
        for bad in ("data/secret.txt", "data/../secret.txt", "data/%2e%2e/secret.txt",
                    "data/%2e%2e%2f" + Path(tiny_model).parent.name + "%2fsecret.txt", "data//etc/passwd"):
            assert _get(session.url + bad)[0] == 404, bad
    finally:
        stop_all()
    assert not session.folder.exists()
    import netron
    assert not netron.status(session.address)
    with pytest.raises(OSError):
        socket.create_connection(session.address, timeout=1).close()


def test_port_in_use_and_missing_file_are_clear_errors(tmp_path, tiny_model):
    from studio.ui.netron_server import serve_copy
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        with pytest.raises(StudioError, match=r"port \d+ on 127.0.0.1 is in use"):
            serve_copy(tiny_model, port=s.getsockname()[1])
    finally:
        s.close()
    with pytest.raises(StudioError, match="no such file"):
        serve_copy(str(tmp_path / "nope.onnx"))


def test_after_fusion_graph_becomes_an_onnx_of_layers():
    from studio.core.graph.plan import Layer, Plan, TensorInfo
    from studio.ui.netron_server import plan_to_onnx_bytes
    a, b, c = TensorInfo("x", "float32", (1, 4)), TensorInfo("h", "float16", (1, 4)), TensorInfo("y", "float32", (1, 2))
    plan = Plan(source_format="tensorrt_log", layers=(
        Layer("fused_1", "runtime_fusion", "fp16", "tac0", (a,), (b,), onnx_nodes=("MatMul_0", "Add_1")),
        Layer("gemm_2", "gemm", "fp32", "tac1", (b,), (c,), onnx_nodes=("MatMul_2",)),
    ))
    m = onnx.load_from_string(plan_to_onnx_bytes(plan))
    assert [n.name for n in m.graph.node] == ["fused_1", "gemm_2"]
    assert [n.op_type for n in m.graph.node] == ["runtime_fusion", "gemm"]
    attrs = {a.name: a for a in m.graph.node[0].attribute}
    assert [s.decode() for s in attrs["onnx_nodes"].strings] == ["MatMul_0", "Add_1"]
    assert [i.name for i in m.graph.input] == ["x"] and [o.name for o in m.graph.output] == ["y"]
