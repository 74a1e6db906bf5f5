"""The sidecar `<artifact>.json`: everything needed to know, later and elsewhere, what an
artifact is, how it was made and whether it can run on a machine: backend and library
versions, CUDA version, target compute capabilities, precision and recipe, the whole build
config, input profiles, the source ONNX's path and sha256, the artifact's sha256 (so a
replaced or modified engine is recognised as not ours), build time, size, timing-cache use,
calibration summary, studio version. Written atomically, after the artifact."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from studio import __version__
from studio.core.backends.base import BuildConfig, BuildResult, read_sidecar, sidecar_path
from studio.core.errors import StudioError
from studio.core.io import sha256_file, write_json_atomic

SCHEMA_VERSION = 1


def make_sidecar(config: BuildConfig, result: BuildResult, *, source_sha256: str | None,
                 started_at: float | None = None, wall_seconds: float | None = None,
                 build_process: str | None = None) -> dict:
    md = dict(result.metadata or {})
    artifact = Path(result.output)
    artifact_sha = md.pop("artifact_sha256", None)
    if artifact_sha is None:
        artifact_sha = sha256_file(artifact)
    source = Path(config.model)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "engine-studio-artifact",
        "studio_version": __version__,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "backend": result.backend,
        "library": md.pop("library", result.library.split(" ")[0] if result.library else None),
        "library_version": md.pop("library_version", result.library.split(" ")[-1] if result.library else None),
        "cuda_version": md.pop("cuda_version", None),
        "target_compute_capabilities": md.pop("target_compute_capabilities", []),
        "precision": result.precision,
        "recipe": md.pop("recipe", None),
        "build_config": config.to_dict(),
        "input_profiles": md.pop("input_profiles", [p.to_dict() for p in config.profiles]),
        "source": {"path": str(source.resolve()), "sha256": source_sha256,
                   "size_bytes": source.stat().st_size if source.exists() else None},
        "artifact": {"file": artifact.name, "sha256": artifact_sha, "size_bytes": result.size_bytes},
        "build_seconds": result.build_seconds,
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
        "build_process": build_process,  # how the build child started: "fork" or "spawn"
        "started_at": None if started_at is None else
            _dt.datetime.fromtimestamp(started_at, _dt.timezone.utc).isoformat(timespec="seconds"),
        "timing_cache": md.pop("timing_cache", None),
        "timing_cache_hit": result.timing_cache_hit,
        "calibration": md.pop("calibration", None),
        "layer_report": Path(result.layer_report).name if result.layer_report else None,
        # The ONNX whose precisions the artifact runs ({"file", "sha256"} beside it), when the
        # precision step rewrote the source: a CPU runs it to predict the artifact's accuracy.
        "typed_model": md.pop("typed_model", None),
        "warnings": list(result.warnings),
        # ONNX nodes of the source that the build meant to optimize and could not, with the reason:
        # the after-fusion view marks the layers that hold them.
        "not_optimized": md.pop("not_optimized", {}),
        "backend_details": md,   # whatever else the backend reported
    }


def write_sidecar(artifact: str | os.PathLike, doc: dict) -> Path:
    path = sidecar_path(artifact)
    write_json_atomic(path, doc)
    return path


def load_sidecar(artifact: str | os.PathLike) -> dict:
    """The sidecar, checked to be ours and of a schema we read."""
    doc = read_sidecar(artifact)
    where = str(sidecar_path(artifact))
    if not isinstance(doc, dict) or doc.get("kind") != "engine-studio-artifact":
        raise StudioError("this JSON is not an Engine Studio sidecar", where=where)
    if doc.get("schema_version", 0) > SCHEMA_VERSION:
        raise StudioError(f"sidecar schema {doc.get('schema_version')} is newer than this studio reads "
                          f"({SCHEMA_VERSION}); update Engine Studio", where=where)
    return doc


def source_model(artifact: str | os.PathLike, doc: dict) -> tuple[Path | None, str | None]:
    """The ONNX model this artifact was built from, as its sidecar names it, or why it cannot
    be used: (path, None) when it is there and unchanged (sha256), else (None, problem) where
    problem is None only when the sidecar names no source at all."""
    source = doc.get("source") or {}
    if not source.get("path"):
        return None, None
    p = Path(source["path"])
    if not p.is_absolute():
        p = Path(artifact).parent / p
    if not p.is_file():
        return None, f"the source model {p} named by the sidecar is gone"
    if source.get("sha256") and sha256_file(p) != source["sha256"]:
        return None, f"the source model {p} changed since the build (sha256 differs)"
    return p, None


def typed_model_path(artifact: str | os.PathLike) -> Path:
    """Where a backend keeps the typed ONNX an artifact was compiled from."""
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".typed.onnx")


def typed_model(artifact: str | os.PathLike, doc: dict) -> tuple[Path | None, str | None]:
    """The ONNX whose precisions `artifact` runs: the typed model kept beside it, or the source
    when the build did not rewrite it (fp32). (path, None), or (None, why it cannot be used)."""
    kept = doc.get("typed_model")
    if not kept:
        if (doc.get("recipe") or {}).get("name", "none") != "none":
            return None, "the build kept no typed model (built before the studio kept one); rebuild it"
        return source_model(artifact, doc)
    p = Path(artifact).with_name(kept["file"])
    if not p.is_file():
        return None, f"the typed model {p.name} kept beside the build is gone"
    if kept.get("sha256") and sha256_file(p) != kept["sha256"]:
        return None, f"the typed model {p.name} changed since the build (sha256 differs)"
    return p, None
