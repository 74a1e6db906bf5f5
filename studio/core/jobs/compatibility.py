"""The engine compatibility matrix: for each built artifact and each target machine, can it run
there, and if not why (version, compute capability, a GPU missing), from the check
(studio.core.backends.check) run on the target itself, the targets in parallel.

    fits = compatibility(executor_for("ray:head:6379"), ["m.fp16.engine"])
    [(f.target, f.runs, f.reasons) for f in fits]"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from studio.core.errors import StudioError
from studio.core.jobs.executor import Executor, Job, on_each, pick_targets
from studio.core.serde import Record


@dataclass
class Fit(Record):
    artifact: str
    target: str
    runs: bool
    reasons: list[str] = field(default_factory=list)   # why not; empty when it runs


def compatibility(executor: Executor, artifacts: list[str], targets: list[str] | None = None,
                  trust: bool = False) -> list[Fit]:
    """One Fit per artifact and target, artifact by artifact in the order given. A check that
    cannot be made on a target (the node died, say) is a Fit that does not run, with the reason."""
    chosen = pick_targets(executor, targets)
    found: dict[tuple[str, str], Fit] = {}
    lock = threading.Lock()

    def on(target: str) -> None:
        for artifact in artifacts:
            try:
                rep = executor.run(Job.check(artifact, trust), target=target).payload
                fit = Fit(artifact, target, bool(rep["runs_here"]), list(rep["reasons"]))
            except StudioError as e:
                fit = Fit(artifact, target, False, [f"not checked: {e}"])
            with lock:
                found[(artifact, target)] = fit

    on_each([t.name for t in chosen], on, name="check")
    return [found[(a, t.name)] for a in artifacts for t in chosen]
