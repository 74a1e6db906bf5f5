"""Run any registered backend's build in a child process (studio.core.jobs.child_job) and turn
whatever happens there into a BuildResult or a StudioError here.

    result = run_build(config, on_event=print, cancel=threading.Event())

Progress and log lines stream back as ProgressEvents. Setting `cancel` (or Ctrl-C in the
caller) asks the child to stop (the builder's progress monitor then returns False); a child
still alive 5 s later is killed. A child that dies by a signal (abort, segfault, the kernel's
OOM killer), or that the stall watchdog finds deadlocked, becomes a BuildError with the tail of
its log. Either way no partial artifact is left and no process outlives the call. On success
the sidecar `<artifact>.json` is written here, for every backend.

The child is a fork of a single-threaded caller (the CLI), else a fresh interpreter (the window,
anything with threads): studio.core.jobs.launch. `start` ("fork" | "spawn") asks for one; the
sidecar records which ran. A caller that knows the backend early may start the child itself
(`child=JobChild(backend=...)`), so that the backend loads while it is still busy."""

from __future__ import annotations

import glob
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from studio.core.backends.base import BuildConfig, BuildResult, sidecar_path
from studio.core.backends.registry import backend_entry
from studio.core.backends.sidecar import load_sidecar, make_sidecar, write_sidecar
from studio.core.errors import BuildError
from studio.core.hash_cache import source_sha256
from studio.core.jobs.child_job import run_child
from studio.core.jobs.launch import JobChild
from studio.core.progress import ProgressEvent


@dataclass
class BuildEntry:
    """A finished build: what was asked and what came out."""

    result: BuildResult
    config: BuildConfig

    @property
    def label(self) -> str:
        return f"{self.result.backend} {self.result.precision.upper()}"

    @property
    def key(self) -> str:
        return self.result.output

    @classmethod
    def unbuilt(cls, model: str | Path, backend: str) -> "BuildEntry":
        """A model measured as it is, by a backend that runs it without a build (precision "as-is")."""
        model = Path(model)
        res = BuildResult(output=str(model), sidecar="", backend=backend, precision="as-is", build_seconds=0.0,
                          size_bytes=model.stat().st_size)
        return cls(res, BuildConfig(model=str(model), backend=backend, output=str(model)))

    @classmethod
    def from_sidecar(cls, artifact: str | Path) -> "BuildEntry | None":
        """The build of an artifact opened from disk, as its sidecar describes it (None without one)."""
        artifact = Path(artifact)
        if not sidecar_path(artifact).exists():
            return None
        sc = load_sidecar(artifact)
        size = (sc.get("artifact") or {}).get("size_bytes") or artifact.stat().st_size
        res = BuildResult(output=str(artifact.resolve()), sidecar=str(sidecar_path(artifact)),
                          backend=sc.get("backend", ""), precision=sc.get("precision", ""),
                          build_seconds=float(sc.get("build_seconds") or 0.0), size_bytes=int(size))
        return cls(res, BuildConfig.from_dict(sc["build_config"]))


class _SourceHash(threading.Thread):
    """Hash the source ONNX while the child builds: the sidecar needs it, the build does not.
    A rebuild of an unchanged model takes the hash from the cache (studio.core.hash_cache)."""

    def __init__(self, path: str):
        super().__init__(daemon=True, name="source-sha256")
        self.path, self.value, self.error = path, None, None

    def run(self):
        try:
            self.value = source_sha256(self.path)
        except OSError as e:
            self.error = str(e)


def _leftovers(output: Path, since: float) -> list[Path]:
    """Temp files our atomic writers leave when the child is killed mid-write."""
    out = []
    for pat in (f".{glob.escape(output.name)}.*.part",):
        for p in glob.glob(os.path.join(glob.escape(str(output.parent)), pat)):
            try:
                if os.path.getmtime(p) >= since - 1:
                    out.append(Path(p))
            except OSError:
                pass
    return out


def run_build(config: BuildConfig, on_event: Callable[[ProgressEvent], None] | None = None,
              cancel: threading.Event | None = None, stall_s: float | None = None,
              start: str | None = None, child: JobChild | None = None) -> BuildResult:
    output = Path(config.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    t0 = time.perf_counter()
    child = (child or JobChild(method=start)).take()
    # Resolved here so that the child need not scan entry points (a forked one inherits the scan).
    request = {"task": "build", "config": config.to_dict(), "backend_entry": backend_entry(config.backend)}
    # Threads only now: a fork needs a parent with one thread.
    source_hash = _SourceHash(config.model)
    source_hash.start()
    outcome = run_child(child, request, on_event=on_event, cancel=cancel, stall_s=stall_s)
    if outcome.ok:
        result = BuildResult(**outcome.result)
        source_hash.join()
        _write_sidecar(config, result, source_hash, started, time.perf_counter() - t0, outcome.method)
        return result
    # Failure or cancel: nothing of this build may stay on disk.
    for p in _leftovers(output, started):
        p.unlink(missing_ok=True)
    _remove_fresh(output, started)
    outcome.payload_or_raise("build", where=config.model, error=BuildError)
    raise AssertionError("unreachable: a failed outcome raises")


def _remove_fresh(output: Path, since: float) -> None:
    """A child cancelled or crashed between its final rename and its result may have left a
    finished file of *this* build, without a sidecar: a failed build leaves nothing, so remove
    what it wrote (an older artifact at the same path is kept: its mtime predates this build)."""
    for p in (output, output.with_name(output.name + ".layers.txt"), sidecar_path(output)):
        try:
            if p.exists() and p.stat().st_mtime >= since:
                p.unlink()
        except OSError:
            pass


def _write_sidecar(config, result, source_hash, started, wall, method):
    result.sidecar = str(sidecar_path(result.output))
    doc = make_sidecar(config, result, source_sha256=source_hash.value, started_at=started,
                       wall_seconds=wall, build_process=method)
    write_sidecar(result.output, doc)
