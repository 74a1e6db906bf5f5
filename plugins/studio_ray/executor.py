"""Jobs on a Ray cluster, through the same interface as this machine's child processes
(studio.core.jobs.executor). Each node is a target: named by a custom resource `target:NAME`
given to `ray start --resources '{"target:t4": 1}'`, else by its address. On the node a job still
runs in a child process, so a native crash costs the job and not the node's Ray worker.

- Files a job reads go to the object store once per sha256, and each node keeps them in a cache,
  so a model is shipped once however many jobs read it.
- Events (progress, log lines, live samples) come back through a Ray queue as they happen.
- What a job writes comes back to the path the caller asked for, atomically; a result larger than
  MAX_RETURN_BYTES stays on the node, and the result says where.
- Cancel: ray.cancel raises KeyboardInterrupt in the task, which cancels its child process."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

import ray
from ray.util.queue import Queue
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from studio.core.errors import Cancelled, StudioError
from studio.core.io import atomic_path
from studio.core.jobs.executor import Job, Ran, execute, unknown_target
from studio.core.jobs.targets import Target, this_machine
from studio.core.progress import ProgressEvent

log = logging.getLogger("studio.ray")

TARGET_PREFIX = "target:"
MAX_RETURN_BYTES = 2 << 30
POLL_S = 0.1          # how often the caller looks for events and a finished job
CACHE = Path(tempfile.gettempdir()) / "engine-studio-ray"


def target_name(node: dict) -> str:
    labels = [k[len(TARGET_PREFIX):] for k in node.get("Resources", {}) if k.startswith(TARGET_PREFIX)]
    return labels[0] if labels else node.get("NodeManagerAddress", node["NodeID"][:12])


def _reachable(address: str, host_port: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds, with the reason, when nothing listens at the address: Ray itself retries
    an unreachable cluster for minutes before it gives up."""
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except ValueError:
        raise StudioError(f"{address} is not an address: write ray:HOST:PORT (the head's port, 6379 by default)") \
            from None
    except OSError as e:
        raise StudioError(f"cannot reach the Ray cluster at {address}: {e.strerror or e} (is `ray start --head` "
                          f"running there, and the port open from here?)") from None


class _NodeLost(Exception):
    """The node running a job died (or became unreachable) under it."""


# What Ray raises when the node (or the worker) a task ran on is gone, rather than the task failing.
NODE_LOST = (ray.exceptions.NodeDiedError, ray.exceptions.WorkerCrashedError, ray.exceptions.TaskUnschedulableError,
             ray.exceptions.LocalRayletDiedError, ray.exceptions.ActorDiedError, ray.exceptions.ObjectLostError)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


CLIENT_START_ATTEMPTS = 3
_SERVER_START_FAILED = "Initialization failure from server"


def _init_with_retries(init: Callable[[], object], attempts: int = CLIENT_START_ATTEMPTS, wait_s: float = 1.0) -> None:
    """`init()`, again when Ray Client's head could not start this connection's server process
    (it starts one per client; on a busy head that start sometimes fails at once, and a new
    connection gets a new one). Any other failure is final at once."""
    for attempt in range(1, attempts + 1):
        try:
            init()
            return
        except ConnectionAbortedError as e:
            if not str(e).startswith(_SERVER_START_FAILED) or attempt == attempts:
                raise
            log.info("Ray Client: the head could not start a server for this connection (%s); attempt %d of %d",
                     _server_reason(e), attempt + 1, attempts)
            ray.shutdown()
            time.sleep(wait_s)


def _server_reason(e: BaseException) -> str:
    """The last line of the traceback Ray Client's head sends back (its own message's first line
    is only "Initialization failure from server:")."""
    lines = [line.strip() for line in str(e).strip().splitlines() if line.strip()]
    return lines[-1] if len(lines) > 1 else (lines[0] if lines else type(e).__name__)


def connect_error(e: BaseException) -> str:
    """Ray's reason for refusing a connection, in one line: a version mismatch names both sides'
    Ray and Python (Ray's own message spreads them over several lines)."""
    text = str(e).strip()
    here = f"Ray {ray.__version__}, Python {'.'.join(map(str, sys.version_info[:3]))}"
    if text.startswith("Version mismatch"):
        versions = re.findall(r"Ray: (\S+)\s+Python: (\S+)", text)
        if len(versions) == 2:
            (ray_c, py_c), (ray_h, py_h) = versions
            return (f"version mismatch: the cluster runs Ray {ray_c} on Python {py_c}, this machine Ray {ray_h} on "
                    f"Python {py_h}; install the cluster's versions here (pip install \"ray[client]=={ray_c}\" on "
                    f"Python {py_c})")
    if text.startswith(_SERVER_START_FAILED):
        return f"the head could not start a Ray Client server for this connection: {_server_reason(e)} (this machine: {here})"
    return f"{_first_line(e)} (this machine: {here})"


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rewrite(value, paths: dict[str, str], prefix: tuple[str, str] | None = None):
    """`value` (a request or a payload) with every string that is a key of `paths` replaced, and
    with `prefix` = (old, new) every string under `old` moved under `new`."""
    if isinstance(value, str):
        value = paths.get(value, value)
        if prefix and prefix[0] and value.startswith(prefix[0]):
            value = prefix[1] + value[len(prefix[0]):]
        return value
    if isinstance(value, dict):
        return {k: _rewrite(v, paths, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, paths, prefix) for v in value]
    return value


@ray.remote(num_cpus=0)
def _facts(name: str, node: str) -> dict:
    return this_machine(name, node).to_dict()


@ray.remote(num_cpus=0, max_retries=0)
def _run_on_node(job: Job, files: dict, events: Queue) -> dict:
    """On the node: the job's files from the cache (fetched once), its outputs in a folder of
    its own, the job in a child process, what it wrote read back."""
    local = {}
    for path, (sha, ref) in files.items():
        dest = CACHE / "files" / sha / Path(path).name
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(dest) as tmp:
                tmp.write_bytes(ray.get(ref[0]))
        local[path] = str(dest)
    work = CACHE / "jobs" / uuid.uuid4().hex
    work.mkdir(parents=True)
    outputs = list(job.outputs)
    out_map = {p: str(work / Path(p).name) for p in outputs}
    here = Job(_rewrite(job.request, {**local, **out_map}), job.what, job.where)
    try:
        payload = execute(here, on_event=lambda ev: events.put(("event", ev.to_dict())),
                          on_samples=lambda s: events.put(("samples", s)))
    except BaseException:      # failed or cancelled: the node keeps nothing of it either
        shutil.rmtree(work, ignore_errors=True)
        raise
    # Everything it says in the caller's paths: the payload, and the sidecars it wrote.
    back = {cached: orig for orig, cached in local.items()} | {w: orig for orig, w in out_map.items()}
    home = str(Path(outputs[0]).parent) if outputs else str(work)
    for p in work.iterdir():
        if p.suffix == ".json":
            text = p.read_text(encoding="utf-8")
            for a, b in [*back.items(), (str(work), home)]:
                text = text.replace(json.dumps(a)[1:-1], json.dumps(b)[1:-1])
            p.write_text(text, encoding="utf-8")
    size = sum(p.stat().st_size for p in work.iterdir())
    kept = size > MAX_RETURN_BYTES
    written = {} if kept else {p.name: p.read_bytes() for p in work.iterdir()}
    if not kept:
        shutil.rmtree(work, ignore_errors=True)
        payload = _rewrite(payload, back, (str(work), home))
    return {"payload": payload, "work": str(work), "written": written, "kept": kept,
            "node": ray.get_runtime_context().get_node_id()}


class RayExecutor:
    name = "ray"

    def __init__(self, address: str):
        self.address = address
        target = address if address.startswith("ray://") else address.split(":", 1)[1] if address.startswith("ray:") \
            else address
        try:
            if not ray.is_initialized():
                _reachable(address, target.split("://", 1)[-1])
                host = target.split("://", 1)[-1].rsplit(":", 1)[0]
                # a cluster on this machine's loopback: this process joins it there too
                local = {"_node_ip_address": host} if host in ("127.0.0.1", "localhost") else {}
                _init_with_retries(lambda: ray.init(address=target, namespace="engine-studio", log_to_driver=False,
                                                    logging_level=logging.ERROR, configure_logging=False, **local))
        except StudioError:
            raise
        except Exception as e:   # noqa: BLE001 - Ray raises several kinds; the user needs one line
            raise StudioError(f"cannot use the Ray cluster at {address}: {connect_error(e)}") from None
        self._shipped: dict[str, tuple[str, list]] = {}   # sha256 -> (sha, [ObjectRef]) of files sent
        self.uploads = 0

    # ----- targets
    def _nodes(self) -> list[dict]:
        return [n for n in ray.nodes() if n.get("Alive")]

    def targets(self) -> list[Target]:
        refs = [_facts.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                .remote(target_name(n), n["NodeID"]) for n in self._nodes()]
        return [Target.from_dict(d) for d in ray.get(refs, timeout=120)]

    def _node_for(self, target: str | None, avoid: tuple[str, ...] | list[str] = ()) -> dict:
        nodes = self._nodes()
        chosen = [n for n in nodes if (target is None or target_name(n) == target) and n["NodeID"] not in avoid]
        if not chosen:
            names = sorted({target_name(n) for n in nodes})
            raise unknown_target(target, [Target(name=n, gpu=None) for n in names])
        return chosen[0]

    # ----- jobs
    def _ship(self, path: str) -> tuple[str, list]:
        sha = _sha256(path)
        if sha not in self._shipped:
            # wrapped in a list: a reference passed inside a container stays a reference, and the
            # node fetches it only when its cache lacks the file
            self._shipped[sha] = (sha, [ray.put(Path(path).read_bytes())])
            self.uploads += 1
        return self._shipped[sha]

    def run(self, job: Job, *, target: str | None = None, on_event=None, on_samples=None,
            cancel: threading.Event | None = None) -> Ran:
        """Run `job` on a node of `target`. When that node dies under it, the job runs again on
        another node of the same target if there is one (its result counted once: what a lost
        run wrote never left the node), else fails saying which node died."""
        files = {p: self._ship(p) for p in job.files if p and Path(p).is_file()}
        cancel = cancel or threading.Event()
        lost: list[str] = []
        notes: list[str] = []
        while True:
            node = self._node_for(target, avoid=lost)
            try:
                out = self._run_on(node, job, files, on_event, on_samples, cancel)
                break
            except _NodeLost as e:
                lost.append(node["NodeID"])
                name = target_name(node)
                others = [n for n in self._nodes() if target_name(n) == name and n["NodeID"] not in lost]
                if not others:
                    raise StudioError(f"the {job.what} was lost: node {node['NodeID'][:12]} of target {name} died "
                                      f"({e}); no other node of {name} is left to run it", where=job.where) from None
                notes.append(f"node {node['NodeID'][:12]} of target {name} died ({e}); the {job.what} ran again on "
                             f"node {others[0]['NodeID'][:12]}")
        if out["kept"]:
            notes.append(f"the outputs are larger than {MAX_RETURN_BYTES >> 20} MiB and stay on the node "
                         f"{target_name(node)} in {out['work']}")
        elif out["written"]:
            home = Path(job.outputs[0]).parent
            home.mkdir(parents=True, exist_ok=True)
            for name, data in out["written"].items():
                with atomic_path(home / name) as tmp:
                    tmp.write_bytes(data)
        return Ran(out["payload"], target_name(node), out["node"], notes)

    def _run_on(self, node: dict, job: Job, files: dict, on_event, on_samples, cancel: threading.Event) -> dict:
        # The event queue lives beside the caller, not on the node: a node that dies must not
        # take the queue of the job that will run again elsewhere with it.
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)

        events = Queue(actor_options={"num_cpus": 0, "scheduling_strategy": here})
        ref = _run_on_node.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)) \
            .remote(job, files, events)
        cancelled = False
        try:
            while True:
                try:
                    done, _ = ray.wait([ref], timeout=POLL_S)
                except KeyboardInterrupt:      # Ctrl-C here cancels the job there
                    cancel.set()
                    done = []
                self._drain(events, on_event, on_samples)
                if cancel.is_set() and not cancelled:
                    ray.cancel(ref)
                    cancelled = True
                if done:
                    break
            try:
                out = ray.get(ref)
            except ray.exceptions.TaskCancelledError:
                raise Cancelled(f"{job.what} cancelled on {target_name(node)}") from None
            except NODE_LOST as e:
                if cancelled:
                    raise Cancelled(f"{job.what} cancelled on {target_name(node)}") from None
                raise _NodeLost(_first_line(e)) from None
            except ray.exceptions.RayTaskError as e:
                cause = e.cause if isinstance(getattr(e, "cause", None), StudioError) else None
                if cause is not None:
                    raise cause from None
                raise StudioError(f"the {job.what} failed on {target_name(node)}: {str(e).strip().splitlines()[-1]}",
                                  where=job.where) from None
            self._drain(events, on_event, on_samples)
            if cancelled:
                # Cancel came as the job finished: the caller asked for nothing, so nothing is kept
                # (its outputs are still in memory here, not yet written to the caller's paths).
                raise Cancelled(f"{job.what} cancelled on {target_name(node)}")
            return out
        finally:
            ray.kill(events.actor)

    @staticmethod
    def _drain(events: Queue, on_event, on_samples) -> None:
        # Two calls to the queue at most (its size, then that many items): each is a round trip
        # through Ray, and a benchmark on the same machine pays for every one.
        n = events.size()
        if not n:
            return
        for kind, item in events.get_nowait_batch(n):
            if kind == "event" and on_event is not None:
                on_event(ProgressEvent.from_dict(item))
            elif kind == "samples" and on_samples is not None:
                on_samples(item)

    def close(self) -> None:
        self._shipped.clear()
