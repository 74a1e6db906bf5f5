"""The precision search in a child process (studio.core.jobs): it runs ONNX Runtime over many
candidate models for minutes, so a native crash or a runaway allocation costs the search and not
the window, and cancel ends it at once. Progress and log lines stream back as the search makes them.

    result = run_search(SearchRequest(model=..., target="int8", data="val.csv", ...),
                        on_event=print, cancel=threading.Event())"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Callable

from studio.core.backends.base import CalibrationSpec
from studio.core.errors import Cancelled
from studio.core.jobs.child_job import run_child
from studio.core.jobs.launch import JobChild
from studio.core.precision.as_built import AsBuilt, why_no_comparison
from studio.core.precision_search.calibration_check import check_calibration
from studio.core.precision_search.search import PrecisionSearch, SearchRequest, SearchResult
from studio.core.progress import ProgressEvent


def request_from_dict(d: dict) -> SearchRequest:
    d = dict(d)
    if d.get("calibration") is not None:
        d["calibration"] = CalibrationSpec(**d["calibration"])
    return SearchRequest(**d)


def search_task(request: dict, state, emit) -> dict:
    """Child side: one search, its SearchResult as a dict."""
    with PrecisionSearch(request_from_dict(request["request"]), state) as search:
        return search.search().to_dict()


def run_search(req: SearchRequest, *, on_event: Callable[[ProgressEvent], None] | None = None,
               cancel: threading.Event | None = None, start: str | None = None) -> SearchResult:
    """Parent side: the search of `req` in a child process, seen through to its result (a
    StudioError with the child's own message when it fails; Cancelled when `cancel` is set)."""
    outcome = run_child(JobChild(method=start).take(), {"task": "precision", "request": asdict(req)},
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
