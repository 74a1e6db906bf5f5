"""`engine-studio build`: TODO (owned by the issue that builds it)."""

from __future__ import annotations

from studio.core.errors import StudioError


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="(not built yet)")
    p.set_defaults(func=run)


def run(args) -> int:
    raise StudioError("'build' is not built yet")
