"""Can this artifact run here, and if not, why? From the sidecar first (is it ours, which
library and version built it, for which GPUs), then from what the backend can read of the
artifact without loading it (an engine's header, say). An artifact the studio did not produce
(no sidecar, or its sha256 differs from the sidecar's) is untrusted: the backend is told so and
will not deserialize it; `trust=True` lifts that, as the user's explicit choice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from studio.core.backends.registry import backend_for_artifact, get_backend
from studio.core.backends.sidecar import load_sidecar
from studio.core.errors import StudioError
from studio.core.io import sha256_file
from studio.core.serde import Record


@dataclass
class CheckReport(Record):
    artifact: str
    runs_here: bool
    reasons: list[str]
    trusted: bool
    trust_reason: str
    backend: str | None
    built_with: str | None = None
    library_here: str | None = None
    precision: str | None = None
    target_compute_capabilities: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


def check_artifact(path: str | Path, trust: bool = False, sidecar: dict | None = None) -> CheckReport:
    """`sidecar`: the artifact's sidecar when it is not beside it (a copy of the artifact checked
    on another machine); read from beside the artifact otherwise."""
    path = Path(path)
    if not path.is_file():
        raise StudioError("no such file", where=str(path))
    reasons: list[str] = []
    try:
        sidecar = sidecar if sidecar is not None else load_sidecar(path)
    except StudioError as e:
        sidecar = None
        trust_reason = f"not built by Engine Studio ({e.message})"
    else:
        want = (sidecar.get("artifact") or {}).get("sha256")
        if not want:
            trust_reason = "the sidecar records no sha256 for the artifact"
            sidecar = None
        elif sha256_file(path) != want:
            trust_reason = "the file's sha256 differs from its sidecar's: modified or replaced after the build"
            sidecar = None
        else:
            trust_reason = "built by Engine Studio (sidecar sha256 matches)"
    trusted = sidecar is not None
    backend = get_backend(sidecar["backend"]) if (sidecar or {}).get("backend") else backend_for_artifact(path)
    report = CheckReport(str(path), False, reasons, trusted, trust_reason, backend.name if backend else None)
    if sidecar:
        report.built_with = f"{sidecar.get('library')} {sidecar.get('library_version')}"
        report.precision = sidecar.get("precision")
        report.target_compute_capabilities = list(sidecar.get("target_compute_capabilities") or [])
    if backend is None:
        reasons.append("unknown artifact type: no installed backend recognizes it")
        return report
    caps = backend.capabilities()
    report.library_here = caps.library
    if sidecar and backend.version_bound and caps.library and report.built_with \
            and report.built_with != caps.library:
        reasons.append(f"built with {report.built_with}, this machine has {caps.library}")
    if sidecar and report.precision in caps.precisions and caps.precisions[report.precision]:
        reasons.append(f"precision {report.precision}: {caps.precisions[report.precision]}")
    found = backend.inspect_artifact(str(path), sidecar, trusted or trust)
    reasons.extend(found.get("reasons", []))
    report.facts = found.get("facts", {})
    report.reasons = list(dict.fromkeys(r for r in reasons if r))
    report.runs_here = not report.reasons
    return report


def check_task(request: dict, state, emit) -> dict:
    """The check in a child process (studio.core.jobs.child), as a target machine runs it."""
    return check_artifact(request["artifact"], trust=bool(request.get("trust")),
                          sidecar=request.get("sidecar")).to_dict()
