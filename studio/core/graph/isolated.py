"""Open an ONNX file in a child process, so that a native crash while parsing it (onnx's C++
shape inference, a protobuf bug) is reported as "the parser crashed on this file" instead of
taking the caller down. The window opens models this way; the CLI, whose own process is the
one at risk and which exits right after, calls open_graph directly.

    python -m studio.core.graph.isolated MODEL     (writes the pickled Graph to stdout)"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys

from studio.core.errors import ModelError, StudioError

TIMEOUT_S = 120


def open_graph_isolated(path: str, timeout: float = TIMEOUT_S):
    """open_graph(path) in a child process: the same Graph, or the same ModelError."""
    try:
        r = subprocess.run([sys.executable, "-m", "studio.core.graph.isolated", str(path)],
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ModelError(f"opening took longer than {timeout:.0f} s; the parser was stopped", where=str(path)) from None
    if r.returncode == 0:
        return pickle.loads(r.stdout)  # written by our own child below, never by the file's author
    if r.returncode < 0:
        try:
            sig = signal.Signals(-r.returncode).name
        except ValueError:
            sig = f"signal {-r.returncode}"
        raise ModelError(f"the parser crashed on this file ({sig}); the studio is unaffected", where=str(path))
    try:
        err = json.loads(r.stderr.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        err = {"message": f"the parser exited with status {r.returncode}", "where": str(path)}
    raise ModelError(err.get("message") or "cannot open this file", where=err.get("where") or str(path))


FAULT_ENV = "ENGINE_STUDIO_TEST_PARSER_FAULT"  # tests only: "segv" crashes the child for real


def main(argv: list[str]) -> int:
    # lazy: 689 ms off this module's import
    from studio.core.graph.onnx_loader import open_graph

    if os.environ.get(FAULT_ENV) == "segv":
        import ctypes

        ctypes.string_at(0)

    try:
        graph = open_graph(argv[0])
    except StudioError as e:
        print(json.dumps({"message": e.message, "where": e.where}), file=sys.stderr)
        return 2
    sys.stdout.buffer.write(pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
