"""The precision search in a child process: progress streams back, cancel ends it."""

import threading
from pathlib import Path

import pytest

from studio.core.backends.base import CalibrationSpec
from studio.core.errors import Cancelled
from studio.core.precision_search.job import run_search
from studio.core.precision_search.search import SearchRequest

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
VAL = ROOT / "resources" / "demo" / "intents_validation.csv"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


def _request(**kw):
    return SearchRequest(model=str(MODEL), target="int8", data=str(VAL), column="text", metric="cosine",
                         budget=100.0, limit=32, calibration=CalibrationSpec(str(CALIB), column="text", samples=32),
                         threads=1, sensitivity_samples=8, **kw)


def test_the_search_streams_progress_and_returns_its_result():
    events = []
    res = run_search(_request(), on_event=events.append)
    assert res.sensitivity and res.kept == [] and res.target == "int8"
    phases = [e.phase for e in events if e.kind == "progress"]
    assert any(p.startswith("Sensitivity") for p in phases) and "Done" in phases


def test_cancel_ends_the_search_in_the_child():
    cancel = threading.Event()

    def on_event(ev):
        if ev.kind == "progress" and ev.phase.startswith("Sensitivity"):
            cancel.set()

    with pytest.raises(Cancelled):
        run_search(_request(), on_event=on_event, cancel=cancel)
