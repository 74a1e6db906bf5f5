"""Backends are found through the `engine_studio.backends` entry-point group, built-ins
included, so a third party adds one (OpenVINO, a remote build farm) without touching the core."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from studio.core.backends.base import Backend
from studio.core.errors import StudioError

GROUP = "engine_studio.backends"


@lru_cache(maxsize=None)
def _entry_points() -> dict:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def backend_names() -> list[str]:
    return sorted(_entry_points())


@lru_cache(maxsize=None)
def get_backend(name: str) -> Backend:
    eps = _entry_points()
    if name not in eps:
        raise StudioError(f"unknown backend {name!r}; installed: {', '.join(sorted(eps)) or 'none'}")
    try:
        cls = eps[name].load()
    except Exception as e:  # a broken third-party plugin must not take the studio down
        raise StudioError(f"backend {name!r} failed to load: {type(e).__name__}: {e}") from e
    backend = cls()
    if not isinstance(backend, Backend):
        raise StudioError(f"backend {name!r} ({eps[name].value}) does not implement the Backend protocol")
    return backend
