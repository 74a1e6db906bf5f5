"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `dest`; rename it over `dest` only if the block succeeds.

    For writers that want a path (a builder, onnx.save) rather than a file object."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_open(dest: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    binary = "b" in mode
    with atomic_path(dest) as tmp:
        with open(tmp, mode, encoding=None if binary else encoding) as fh:
            yield fh


def write_bytes_atomic(dest: str | os.PathLike, data: bytes) -> None:
    with atomic_open(dest, "wb") as fh:
        fh.write(data)


def write_text_atomic(dest: str | os.PathLike, text: str) -> None:
    with atomic_open(dest, "w") as fh:
        fh.write(text)


def write_json_atomic(dest: str | os.PathLike, obj, indent: int = 2) -> None:
    write_text_atomic(dest, json.dumps(obj, indent=indent, sort_keys=False) + "\n")
