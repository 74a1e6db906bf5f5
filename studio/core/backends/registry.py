"""Backends are found through the `engine_studio.backends` entry-point group, built-ins
included, so a third party adds one (OpenVINO, a remote build farm) without touching the core.

The table name -> "module:Class" is remembered between runs, keyed by every sys.path entry and
its mtime: installing or removing a distribution adds or removes a *.dist-info folder and so
moves the mtime of the folder holding it, and any change makes the next lookup scan again.
Scanning means importing importlib.metadata (15-25 ms, most of it the email package) on every
command; `engine-studio build` is measured against a bare builder script. The cache is
a small JSON file beside the source-hash cache, one per Python environment (a venv and the
desktop bundle do not evict each other); unreadable or unwritable, it is simply not used."""

from __future__ import annotations

import importlib
import json
import os
import sys
import zlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.errors import StudioError

if TYPE_CHECKING:
    from studio.core.backends.base import Backend

GROUP = "engine_studio.backends"


def cache_file() -> Path:
    # lazy: 5 ms off this module's import
    from studio.core.io import user_cache_dir

    env = zlib.crc32(f"{sys.executable}\0{sys.prefix}".encode())  # a name, not a checksum: no hashlib to import
    return user_cache_dir() / f"backends-{env:08x}.json"


def _path_state() -> list:
    state = []
    for entry in sys.path:
        try:
            state.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            state.append([entry, None])
    return state


def _scan() -> dict[str, str]:
    # lazy: 29 ms off this module's import
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


@lru_cache(maxsize=None)
def _entry_points() -> dict[str, str]:
    # lazy: 5 ms off this module's import
    from studio.core.io import atomic_path

    cache = cache_file()
    state = _path_state()
    try:
        doc = json.loads(cache.read_text(encoding="utf-8"))
        if doc.get("group") == GROUP and doc.get("sys_path") == state and isinstance(doc.get("entries"), dict):
            return {str(k): str(v) for k, v in doc["entries"].items()}
    except (OSError, ValueError, AttributeError):
        pass
    found = _scan()
    try:
        with atomic_path(cache, fsync=False) as tmp:
            tmp.write_text(json.dumps({"group": GROUP, "sys_path": state, "entries": found}) + "\n", encoding="utf-8")
    except Exception:
        pass  # a read-only or full home must not fail a command over a cache
    return found


def backend_names() -> list[str]:
    return sorted(_entry_points())


def backend_entry(name: str) -> str | None:
    """The entry point's target ("module:Class") of an installed backend, None if unknown."""
    return _entry_points().get(name)


def get_backend(name: str, entry: str | None = None):
    """The backend registered as `name`; at `entry` ("module:Class") when the caller already
    knows it (a child process handed the entry by its parent skips the table)."""
    if entry:
        return load_backend(name, entry)
    eps = _entry_points()
    if name not in eps:
        raise StudioError(f"unknown backend {name!r}; installed: {', '.join(sorted(eps)) or 'none'}")
    return load_backend(name, eps[name])


@lru_cache(maxsize=None)
def load_backend(name: str, entry: str):
    """The backend at `entry` ("module:Class", as backend_entry gave it, e.g. to a build child)."""
    # lazy: 19 ms off this module's import
    from studio.core.backends.base import Backend

    try:
        module, _, attr = entry.partition(":")
        obj = importlib.import_module(module.strip())
        for part in attr.strip().split(".") if attr.strip() else []:
            obj = getattr(obj, part)
        backend = obj()
    except Exception as e:  # a broken third-party plugin must not take the studio down
        raise StudioError(f"backend {name!r} failed to load: {type(e).__name__}: {e}") from e
    if not isinstance(backend, Backend):
        raise StudioError(f"backend {name!r} ({entry}) does not implement the Backend protocol")
    return backend


def installed_backends() -> list:
    """Every installed backend that loads, by name. A broken third-party plugin is left out here
    (get_backend names it with its error when it is asked for)."""
    out = []
    for name in backend_names():
        try:
            out.append(get_backend(name))
        except StudioError:
            continue
    return out


def backend_for_artifact(path, runs_here: bool = False) -> "Backend | None":
    """The backend that recognizes `path` as its artifact (suffix, magic bytes), or None; with
    `runs_here`, the first one that can also run it on this machine."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    return next((b for b in installed_backends() if b.recognizes(path, head)
                 and not (runs_here and b.capabilities().can_run_here)), None)
