"""Entry point of the frozen bundle.

A frozen binary has no `python -m`, yet the studio starts child processes that way (builds run
in `sys.executable -m studio.core.jobs.child` so a native crash cannot take the caller down).
So the bundle's binary understands `-m MODULE ARGS...` itself, and otherwise is `engine-studio`."""

import multiprocessing
import os
import runpy
import sys


def _use_system_tensorrt() -> None:
    """Prefer a full TensorRT installed on this machine over the bundled TensorRT-RTX.

    TensorRT's Python bindings are built per Python version, so only a folder that holds a
    `tensorrt` package for this interpreter can be used: ENGINE_STUDIO_TENSORRT_PATH names it."""
    extra = os.environ.get("ENGINE_STUDIO_TENSORRT_PATH")
    if extra and os.path.isdir(os.path.join(extra, "tensorrt")):
        sys.path.append(extra)


def main() -> int:
    multiprocessing.freeze_support()
    _use_system_tensorrt()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from studio.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
