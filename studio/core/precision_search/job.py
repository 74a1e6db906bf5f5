"""The precision search in a child process (studio.core.jobs): it runs ONNX Runtime over many
candidate models for minutes, so a native crash or a runaway allocation costs the search and not
the window, and cancel ends it at once. Progress and log lines stream back as the search makes them.

    result = run_search(SearchRequest(model=..., target="int8", data="val.csv", ...),
                        on_event=print, cancel=threading.Event())
    result = run_search(req, executor=executor_for("ray:head:6379"))   # probes spread over a cluster"""

from __future__ import annotations

import threading
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable

from studio.core.backends.base import CalibrationSpec
from studio.core.data.calibration import default_tokenizer
from studio.core.errors import Cancelled
from studio.core.jobs.child_job import run_child
from studio.core.jobs.launch import JobChild
from studio.core.precision.as_built import AsBuilt, why_no_comparison
from studio.core.precision_search.calibration_check import check_calibration
from studio.core.jobs.executor import Executor, Job, on_each, pick_targets
from studio.core.precision.model_io import load_model, name_nodes
from studio.core.precision_search.search import (NodeSensitivity, PrecisionSearch, SearchRequest, SearchResult,
                                                 searched_nodes)
from studio.core.progress import ProgressEvent


def request_from_dict(d: dict) -> SearchRequest:
    d = dict(d)
    if d.get("calibration") is not None:
        d["calibration"] = CalibrationSpec(**d["calibration"])
    return SearchRequest(**d)


def search_task(request: dict, state, emit) -> dict:
    """Child side: one search, its SearchResult as a dict; probes made elsewhere are reused."""
    with PrecisionSearch(request_from_dict(request["request"]), state) as search:
        search.use_probes([NodeSensitivity(**p) for p in request.get("probes") or []])
        return search.search().to_dict()


def probe_task(request: dict, state, emit) -> dict:
    """Child side, on a target machine: the sensitivity probes of some of the search's nodes."""
    with PrecisionSearch(request_from_dict(request["request"]), state) as search:
        return {"probes": [asdict(p) for p in search.probe(request["nodes"])]}


def travelling(req: SearchRequest) -> SearchRequest:
    """`req` with what is found beside the model here named outright (its tokenizer, its
    labels.txt): on another machine the model sits in a cache, alone."""
    labels = Path(req.model).with_name("labels.txt")
    return replace(req, tokenizer=req.tokenizer or default_tokenizer(req.model),
                   labels_file=req.labels_file or (str(labels) if labels.is_file() else None))


def probe_job(req: SearchRequest, nodes: list[str]) -> Job:
    files = [req.model, req.data, req.tokenizer, req.labels_file]
    if req.calibration is not None:
        files += [req.calibration.path, req.calibration.tokenizer]
    return Job({"task": "precision_probe", "request": asdict(req), "nodes": list(nodes)}, "sensitivity probes",
               where=req.model, files=tuple(f for f in files if f))


def probes_on(executor: Executor, req: SearchRequest, targets: list[str] | None = None, *,
              on_event: Callable[[ProgressEvent], None] | None = None,
              cancel: threading.Event | None = None) -> list[NodeSensitivity]:
    """The sensitivity scan spread over the executor's targets: each target probes its share of
    the nodes (round robin), in parallel; the scan is the search's long part, one model per node."""
    req = travelling(req)
    nodes = searched_nodes(name_nodes(load_model(req.model)), req.keep)
    chosen = pick_targets(executor, targets)
    shares = {t.name: nodes[i::len(chosen)] for i, t in enumerate(chosen)}
    found: list[NodeSensitivity] = []
    lock = threading.Lock()

    def on(share: tuple[str, list[str]]) -> None:
        target, share_nodes = share
        payload = executor.run(probe_job(req, share_nodes), target=target, on_event=on_event, cancel=cancel).payload
        with lock:
            found.extend(NodeSensitivity(**p) for p in payload["probes"])

    on_each([item for item in shares.items() if item[1]], on, name="probes", cancel=cancel)
    return found


def run_search(req: SearchRequest, *, on_event: Callable[[ProgressEvent], None] | None = None,
               cancel: threading.Event | None = None, start: str | None = None,
               executor: Executor | None = None, targets: list[str] | None = None) -> SearchResult:
    """Parent side: the search of `req` in a child process, seen through to its result (a
    StudioError with the child's own message when it fails; Cancelled when `cancel` is set).
    With an `executor` (a cluster), the sensitivity probes run first on its `targets` in
    parallel; the search itself then runs here on what they found."""
    probes = probes_on(executor, req, targets, on_event=on_event, cancel=cancel) if executor is not None else []
    outcome = run_child(JobChild(method=start).take(),
                        {"task": "precision", "request": asdict(req), "probes": [asdict(p) for p in probes]},
                        on_event=on_event, cancel=cancel)
    try:
        return SearchResult.from_dict(outcome.payload_or_raise("precision search", where=req.model))
    except Cancelled as e:
        raise Cancelled(f"{e}; nothing was written") from None


def calibration_task(request: dict, state, emit) -> dict:
    """Child side: one calibration check, its CalibrationCheck as a dict."""
    return check_calibration(request_from_dict(request["request"]), state).to_dict()


def run_calibration_check(req: SearchRequest, *, on_event: Callable[[ProgressEvent], None] | None = None,
                          cancel: threading.Event | None = None) -> dict:
    """Parent side: the calibration check of `req` in a child process; CalibrationCheck.to_dict()."""
    outcome = run_child(JobChild().take(), {"task": "calibration", "request": asdict(req)},
                        on_event=on_event, cancel=cancel)
    return outcome.payload_or_raise("calibration check", where=req.model)


def as_built_isolated(artifact) -> tuple[AsBuilt | None, str | None]:
    """studio.core.precision.as_built.as_built_for, in a child process when there is anything to
    compare (the window's threads must not parse models: that holds Python's lock)."""
    why = why_no_comparison(artifact)
    if why:
        return None, why
    outcome = run_child(JobChild().take(), {"task": "as_built", "artifact": str(artifact)})
    d = outcome.payload_or_raise("as-built comparison", where=str(artifact))
    return (AsBuilt.from_dict(d["as_built"]) if d["as_built"] else None), d["why"]
