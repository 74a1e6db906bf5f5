"""Where jobs run. One interface for this machine and for a cluster of target machines: an
executor takes a Job (the request a child process runs: a build, a benchmark run, an accuracy
check, a precision search) and gives back its result payload, streaming the same events on the
way (progress and log lines, live samples). The local executor runs the job in a child process
here; others come from plugins under the entry-point group `engine_studio.executors` (the Ray
executor: `pip install "engine-studio[cluster]"`), so the core never imports a cluster library.

    executor = executor_for("ray:10.0.0.5:6379")         # or None: this machine
    ran = executor.run(Job.build(config), target="t4", on_event=print)
    result = BuildResult.from_dict(ran.payload)"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import metadata
from typing import Callable, Protocol

from studio.core.backends.base import BuildConfig, sidecar_path
from studio.core.backends.registry import backend_entry
from studio.core.backends.sidecar import load_sidecar
from studio.core.errors import StudioError
from studio.core.jobs.build_job import run_build
from studio.core.jobs.child_job import run_child
from studio.core.jobs.launch import JobChild
from studio.core.jobs.targets import Target, this_machine
from studio.core.progress import ProgressEvent
from studio.core.serde import Record

GROUP = "engine_studio.executors"
LOCAL = "local"


@dataclass(frozen=True)
class Job:
    request: dict                   # what studio.core.jobs.child runs ({"task": ..., ...})
    what: str                       # "build", "benchmark", ...: named in errors
    where: str | None = None        # the file errors point at
    files: tuple[str, ...] = ()     # local files the job reads: a remote executor ships them first
    outputs: tuple[str, ...] = ()   # files the job writes: a remote executor brings them back

    @classmethod
    def build(cls, config: BuildConfig) -> "Job":
        files = [config.model] + ([config.calibration.path] if config.calibration else [])
        if config.calibration and config.calibration.tokenizer:
            files.append(config.calibration.tokenizer)
        return cls({"task": "build", "config": config.to_dict(), "backend_entry": backend_entry(config.backend)},
                   "build", where=config.model, files=tuple(files), outputs=(config.output,))


    @classmethod
    def check(cls, artifact: str, trust: bool = False) -> "Job":
        """Can the artifact run where the job runs (studio.core.backends.check)? Its sidecar
        travels in the request: on a node the artifact sits in a cache, not beside it."""
        side = sidecar_path(artifact)
        sidecar = load_sidecar(artifact) if side.is_file() else None
        return cls({"task": "check", "artifact": str(artifact), "trust": trust, "sidecar": sidecar}, "check",
                   where=str(artifact), files=(str(artifact),))


@dataclass
class Ran(Record):
    """A job's result payload and where it ran."""

    payload: dict
    target: str
    node: str = ""
    notes: list[str] = field(default_factory=list)   # e.g. an artifact left on the node, and why


class Executor(Protocol):
    name: str

    def targets(self) -> list[Target]: ...

    def run(self, job: Job, *, target: str | None = None, on_event: Callable[[ProgressEvent], None] | None = None,
            on_samples: Callable[[list[dict]], None] | None = None,
            cancel: threading.Event | None = None) -> Ran: ...

    def close(self) -> None: ...


def unknown_target(target: str, targets: list[Target]) -> StudioError:
    return StudioError(f"no target {target!r} here; the targets are: {', '.join(t.name for t in targets) or 'none'}")


def pick_targets(executor: "Executor", names: list[str] | None) -> list[Target]:
    """The executor's targets named (None: all of them), in the order given; an unknown name is
    refused with the list of those there are."""
    known = executor.targets()
    if names is None:
        return known
    chosen = []
    for name in names:
        match = next((t for t in known if t.name == name), None)
        if match is None:
            raise unknown_target(name, known)
        chosen.append(match)
    return chosen


def on_each(items, fn: Callable, *, name: str = "job", cancel: threading.Event | None = None) -> None:
    """fn(item) for every item at once, a thread each (each item's jobs run on their own
    target, so the targets work in parallel), and wait for all. The first exception any of them
    raised is raised here once all have ended; it also sets `cancel`, so the others stop early."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(item) -> None:
        try:
            fn(item)
        except BaseException as e:
            with lock:
                errors.append(e)
            if cancel is not None:
                cancel.set()

    threads = [threading.Thread(target=one, args=(item,), name=f"{name}-{i}", daemon=True)
               for i, item in enumerate(items)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]


def execute(job: Job, *, on_event=None, on_samples=None, cancel: threading.Event | None = None) -> dict:
    """Run `job` on this machine, in a child process, and return its payload: what every
    executor does in the end, here or on a node. A build goes through run_build, which writes
    its sidecar and leaves nothing behind when it fails."""
    if job.request.get("task") == "build":
        config = BuildConfig.from_dict(job.request["config"])
        return run_build(config, on_event=on_event, cancel=cancel).to_dict()
    outcome = run_child(JobChild().take(), job.request, on_event=on_event, on_samples=on_samples, cancel=cancel)
    return outcome.payload_or_raise(job.what, where=job.where)


class LocalExecutor:
    """This machine: each job in a child process (studio.core.jobs.child_job)."""

    name = LOCAL

    def targets(self) -> list[Target]:
        return [this_machine(LOCAL)]

    def run(self, job: Job, *, target: str | None = None, on_event=None, on_samples=None, cancel=None) -> Ran:
        if target not in (None, LOCAL):
            raise unknown_target(target, self.targets())
        return Ran(execute(job, on_event=on_event, on_samples=on_samples, cancel=cancel), LOCAL)

    def close(self) -> None:
        pass


def executor_for(cluster: str | None) -> Executor:
    """The local executor, or the plugin whose name is the address's scheme (`ray:HOST:PORT`)."""
    if not cluster:
        return LocalExecutor()
    scheme = cluster.split("://", 1)[0] if "://" in cluster else cluster.split(":", 1)[0]
    found = {ep.name: ep for ep in metadata.entry_points(group=GROUP)}
    if scheme not in found:
        hint = ' (pip install "engine-studio[cluster]")' if scheme == "ray" else ""
        raise StudioError(f"no executor for {cluster!r}{hint}; installed: {', '.join(sorted(found)) or 'none'}")
    return found[scheme].load()(cluster)
