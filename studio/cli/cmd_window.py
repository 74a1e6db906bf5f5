"""`engine-studio window [MODEL | --sample]` (and `engine-studio` with no command): the desktop
window, on its start page unless a file (or the sample model) is asked for."""

from __future__ import annotations

from pathlib import Path

from studio.core.errors import StudioError


def add_parser(sub) -> None:
    p = sub.add_parser("window", help="open the desktop window (on its start page unless MODEL or --sample is given)")
    p.add_argument("model", nargs="?", help=".onnx model, .engine / optimized model with its sidecar, or results .json")
    p.add_argument("--sample", action="store_true", help="open the sample intent model")
    p.add_argument("--exit-when-ready", action="store_true",
                   help="quit once the window shows the model's graph, printing the time it took "
                        "(for start-up benchmarks and smoke tests)")
    p.set_defaults(func=run)


def run(args) -> int:
    model = getattr(args, "model", None)
    if model and not Path(model).exists():
        raise StudioError("no such file", where=model)
    try:
        from studio.ui.app import run_window  # Qt only when the window is asked for
    except ImportError as e:
        raise StudioError(f"the window needs PySide6 ({e}); the command-line tools work without it") from None
    return run_window(model, exit_when_ready=getattr(args, "exit_when_ready", False),
                      sample=getattr(args, "sample", False))
