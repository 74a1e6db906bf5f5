"""Backends are found through the `engine_studio.backends` entry-point group, built-ins
included, so a third party adds one (OpenVINO, a remote build farm) without touching the core."""

from __future__ import annotations

from functools import lru_cache

from studio.core.backends.base import Backend
from studio.core.errors import StudioError

GROUP = "engine_studio.backends"


@lru_cache(maxsize=None)
def _entry_points() -> dict:
    from importlib.metadata import entry_points  # ~30 ms of imports: only when asked

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def backend_names() -> list[str]:
    return sorted(_entry_points())


def backend_entry(name: str) -> str | None:
    """The entry point's target ("module:Class") of an installed backend, None if unknown."""
    ep = _entry_points().get(name)
    return ep.value if ep is not None else None


@lru_cache(maxsize=None)
def get_backend(name: str) -> Backend:
    eps = _entry_points()
    if name not in eps:
        raise StudioError(f"unknown backend {name!r}; installed: {', '.join(sorted(eps)) or 'none'}")
    return _instantiate(name, eps[name].value, eps[name].load)


@lru_cache(maxsize=None)
def load_backend(name: str, entry: str) -> Backend:
    """The backend at `entry` (what backend_entry gave, e.g. in the parent of a build child):
    skips the entry-point scan, whose importlib.metadata costs a build child ~40 ms of start-up."""
    def load():
        import importlib

        module, _, attr = entry.partition(":")
        obj = importlib.import_module(module.strip())
        for part in attr.strip().split(".") if attr.strip() else []:
            obj = getattr(obj, part)
        return obj

    return _instantiate(name, entry, load)


def _instantiate(name: str, entry: str, load) -> Backend:
    try:
        cls = load()
    except Exception as e:  # a broken third-party plugin must not take the studio down
        raise StudioError(f"backend {name!r} failed to load: {type(e).__name__}: {e}") from e
    backend = cls()
    if not isinstance(backend, Backend):
        raise StudioError(f"backend {name!r} ({entry}) does not implement the Backend protocol")
    return backend
