"""'Open in Netron': the netron package serving a *copy* of the graph from a private temp folder
on 127.0.0.1 and a free port, so the browser can read that one file and nothing else (Netron
serves whatever lies in the model's folder: siblings of the user's model must not be reachable,
and `../` is refused by Netron and finds nothing here anyway). Every server stops when the
studio closes. The after-fusion graph is written as an ONNX file whose nodes are the engine
layers (op type = layer type, attributes = precision, tactic, absorbed ONNX nodes)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from studio.core.errors import StudioError

log = logging.getLogger("studio.ui")
HOST = "127.0.0.1"


@dataclass
class NetronSession:
    folder: Path
    file: Path
    address: tuple[str, int]

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}/"

    def stop(self) -> None:
        try:
            # lazy: 33 ms off this module's import
            import netron
            netron.stop(self.address)
            deadline = time.monotonic() + 2.0
            while netron.status(self.address) and time.monotonic() < deadline:
                time.sleep(0.02)    # its loop notices the closed socket within a poll
        except Exception as e:   # stopping must never raise into closeEvent
            log.warning("netron did not stop cleanly: %s", e)
        shutil.rmtree(self.folder, ignore_errors=True)


_sessions: list[NetronSession] = []


def plan_to_onnx_bytes(plan, name: str = "engine") -> bytes:
    """An ONNX-like model whose nodes are the engine's layers, for viewing only."""
    # lazy: 673 ms off this module's import
    import onnx
    from onnx import helper

    nodes = []
    for layer in plan.layers:
        attrs = {"precision": str(layer.precision or ""), "tactic": str(layer.tactic or "")}
        if layer.onnx_nodes:
            attrs["onnx_nodes"] = [str(n) for n in layer.onnx_nodes]
        nodes.append(helper.make_node(
            str(layer.type) or "Layer", [t.name for t in layer.inputs], [t.name for t in layer.outputs],
            name=layer.name, domain="engine.layer", **attrs))

    def vi(t):
        shape = [d if isinstance(d, int) else str(d) for d in (t.shape or ())] if t.shape is not None else None
        return helper.make_tensor_value_info(t.name, onnx.TensorProto.UNDEFINED, shape)
    produced = {o.name for layer in plan.layers for o in layer.outputs}
    consumed = {i.name for layer in plan.layers for i in layer.inputs}
    inputs = list(plan.inputs) or [t for layer in plan.layers for t in layer.inputs if t.name not in produced]
    outputs = list(plan.outputs) or [t for layer in plan.layers for t in layer.outputs if t.name not in consumed]
    seen = set()
    ins = [vi(t) for t in inputs if not (t.name in seen or seen.add(t.name))]
    seen = set()
    outs = [vi(t) for t in outputs if not (t.name in seen or seen.add(t.name))]
    graph = helper.make_graph(nodes, name, ins, outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("engine.layer", 1)],
                              producer_name="engine-studio")
    return model.SerializeToString()


def _check_port(port: int) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, port))
    except OSError:
        raise StudioError(f"port {port} on {HOST} is in use; Netron could not start there") from None
    finally:
        s.close()


def serve_copy(source: str | None = None, *, data: bytes | None = None, name: str | None = None,
               port: int = 0) -> NetronSession:
    """Serve a copy of `source` (or `data` written as `name`) with Netron."""
    try:
        # lazy: 29 ms off this module's import
        import netron
    except ImportError:
        raise StudioError("Netron is not installed (pip install netron)") from None
    if source is not None and not Path(source).is_file():
        raise StudioError("no such file", where=source)
    if port:
        _check_port(port)
    else:
        # an ephemeral port from the OS (netron's own choice starts at 8080, which other local
        # servers like to take between our check and its bind)
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
        probe.close()
    folder = Path(tempfile.mkdtemp(prefix="engine-studio-netron-"))
    os.chmod(folder, 0o700)
    try:
        fname = Path(name or Path(source).name).name     # a bare name: nothing outside `folder`
        target = folder / fname
        if data is not None:
            target.write_bytes(data)
        else:
            shutil.copyfile(source, target)
        logging.getLogger("netron.server").setLevel(logging.WARNING)
        address = netron.serve(str(target), address=(HOST, port), browse=False)
    except StudioError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise StudioError(f"Netron could not start on {HOST}:{port or 'a free port'}: {e.strerror or e}") from None
    session = NetronSession(folder, target, (address[0], int(address[1])))
    _sessions.append(session)
    log.info("Netron serving %s at %s", fname, session.url)
    return session


def stop_all() -> None:
    while _sessions:
        _sessions.pop().stop()


def open_in_netron(window, kind: str = "onnx") -> str:
    """Serve the before (ONNX) or after (engine layers) graph and open the browser."""
    # lazy: 86 ms off this module's import
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    if kind == "plan":
        canvas = window.graphs.after
        plan = window.graphs.link.plan if window.graphs.link is not None else None
        if plan is None or canvas.graph is None:
            raise StudioError("no after-fusion graph to show: build an engine first")
        session = serve_copy(data=plan_to_onnx_bytes(plan), name=Path(canvas.graph.source).stem + ".layers.onnx")
    else:
        if not window.model_path:
            raise StudioError("open an ONNX model first")
        session = serve_copy(window.model_path)
    QDesktopServices.openUrl(QUrl(session.url))
    return session.url
