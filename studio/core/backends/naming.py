"""What a build is called when the user does not say: one rule for the window and the command
line, `<model stem>.<precision><the backend's artifact suffix>` beside the model (or in the
folder given), e.g. intent.int8.ort.onnx or intent.fp16.engine.

The window never replaces an earlier build behind the user's back: `unused` numbers a rebuild
(intent-2.fp16.engine). The command line writes where it is told, as a script expects."""

from __future__ import annotations

from pathlib import Path

from studio.core.backends.registry import get_backend


def default_output(model: str | Path, backend: str, precision: str, folder: str | Path | None = None) -> Path:
    model = Path(model)
    suffix = get_backend(backend).artifact_suffix
    return Path(folder or model.parent) / f"{model.stem}.{precision}{suffix}"


def unused(path: str | Path, taken=()) -> Path:
    """`path`, or `path` with its stem numbered -2, -3..., the first that neither exists
    (nor its sidecar) nor is in `taken`."""
    path = Path(path)
    taken = {str(t) for t in taken}
    name = path.name
    stem, dot, rest = name.partition(".")
    n = 1
    candidate = path
    while candidate.exists() or candidate.with_name(candidate.name + ".json").exists() or str(candidate) in taken:
        n += 1
        candidate = path.with_name(f"{stem}-{n}{dot}{rest}")
    return candidate
