"""`engine-studio window [MODEL | --sample]` (and `engine-studio` with no command): the desktop
window, on its start page unless a file (or the sample model) is asked for."""

from __future__ import annotations

import importlib.util
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


def require_qt(what: str) -> None:
    """A clear error where PySide6 is missing; any other import error in the window is a bug and
    shows as one."""
    if importlib.util.find_spec("PySide6") is None:
        raise StudioError(f"{what} needs PySide6 (pip install PySide6); the command-line tools work without it")


def run(args) -> int:
    if args.model and not Path(args.model).exists():
        raise StudioError("no such file", where=args.model)
    require_qt("the window")
    from studio.ui.app import run_window  # Qt only when the window is asked for

    return run_window(args.model, exit_when_ready=args.exit_when_ready, sample=args.sample)
