"""Netron (studio/ui/netron_server.py) bound to 127.0.0.1 on a
free port, serving a copy from a private temp folder; siblings and `../` get 404; servers stop
with the studio; a port in use or netron missing is a clear error."""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request

import pytest

from studio.core.errors import StudioError

from .conftest import mlp


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _raw_get(host: str, port: int, path: str) -> bytes:
    """A request whose path is sent as is (urllib would normalise ../ away)."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        return s.recv(200)


@pytest.mark.slow
def test_serves_only_a_private_copy_on_localhost(tmp_path):
    from studio.ui import netron_server as ns
    model = mlp(tmp_path / "user" / "model.onnx")
    (tmp_path / "user" / "secret.txt").write_text("sibling")
    (tmp_path / "top.txt").write_text("above")
    s = ns.serve_copy(str(model))
    try:
        host, port = s.address
        assert host == "127.0.0.1" and port > 0
        assert s.folder != model.parent and s.file.read_bytes() == model.read_bytes()
        assert (s.folder.stat().st_mode & 0o777) == 0o700
        assert _get(s.url) == 200
        assert _get(s.url + "secret.txt") == 404           # the user's sibling is not there
        for path in ("/../secret.txt", "/../../top.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"):
            assert b" 404 " in _raw_get(host, port, path).split(b"\r\n")[0], path
        # not reachable on another interface address
        other = socket.gethostbyname(socket.gethostname())
        if not other.startswith("127."):
            with pytest.raises(OSError):
                socket.create_connection((other, port), timeout=2).close()
    finally:
        ns.stop_all()
    with pytest.raises(OSError):  # stopped: nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not s.folder.exists()


def test_port_in_use_and_netron_missing_are_clear_errors(tmp_path, monkeypatch):
    from studio.ui import netron_server as ns
    model = mlp(tmp_path / "model.onnx")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        with pytest.raises(StudioError, match=r"port \d+ on 127.0.0.1 is in use"):
            ns.serve_copy(str(model), port=busy.getsockname()[1])
    finally:
        busy.close()
    monkeypatch.setitem(sys.modules, "netron", None)  # what an uninstalled package looks like to import
    with pytest.raises(StudioError, match="Netron is not installed"):
        ns.serve_copy(str(model))
