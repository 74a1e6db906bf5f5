"""Per-node sensitivity and the mixed-precision search, on a torch-exported BERT of the corpus
with real texts: every figure comes from ONNX Runtime running the candidates' typed models."""

import csv
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from studio.core.backends.base import CalibrationSpec
from studio.core.data.calibration import calibration_set_for_model
from studio.core.errors import Cancelled, DataError, StudioError
from studio.core.precision.model_io import load_model, name_nodes, save_model
from studio.core.precision.prepare import lower_qdq
from studio.core.precision.qdq import unquantized_except
from studio.core.precision_search.evaluate import Scorer
from studio.core.precision_search.flops import quantizable_nodes
from studio.core.precision_search.search import BudgetUnreachable, PrecisionSearch, SearchRequest
from studio.core.progress import TaskState

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
VAL = ROOT / "resources" / "demo" / "intents_validation.csv"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


def request(**kw) -> SearchRequest:
    base = dict(model=str(MODEL), target="int8", data=str(VAL), column="text", metric="cosine", limit=48,
                calibration=CalibrationSpec(str(CALIB), column="text", samples=32), threads=1,
                sensitivity_samples=16)
    return SearchRequest(**{**base, **kw})


@pytest.fixture(scope="module")
def scan():
    """One search with a budget every candidate meets: its sensitivity, and what lowering
    everything cost."""
    with PrecisionSearch(request(budget=100.0)) as search:
        return search.search()


def test_sensitivity_ranks_every_quantizable_node(scan):
    nodes = quantizable_nodes(name_nodes(load_model(MODEL)))
    assert sorted(s["node"] for s in scan.sensitivity) == sorted(nodes)
    scores = [s["score"] for s in scan.sensitivity]
    assert scores == sorted(scores, reverse=True)
    assert all(np.isfinite(s) and s >= 0 for s in scores) and scores[0] > 0
    encoder = [s for s in scan.sensitivity if "/encoder/" in s["node"]]
    assert encoder and all(s["flops"] > 0 for s in encoder)


def test_a_budget_everything_meets_lowers_everything(scan):
    assert scan.kept == [] and scan.lowered_gemm_flops_share == 1.0
    assert scan.candidates[0]["kept"] == 0 and scan.candidates[0]["met"]
    assert scan.predicted and scan.metric == "cosine" and 0 < scan.predicted_score <= 1.0
    assert {"reference_accuracy", "predicted_accuracy", "budget", "lowered_gemm_flops_share", "kept",
            "sensitivity", "seconds"} <= scan.to_dict().keys()


def _built_with(keep: list[str], high: str, tmp_path: Path) -> tuple[Path, Path]:
    """The typed model a build with `keep` makes (the build's own recipe), and its source."""
    src = tmp_path / "named.onnx"
    save_model(name_nodes(load_model(MODEL)), src)
    calib = calibration_set_for_model(CalibrationSpec(str(CALIB), column="text", samples=32), src,
                                      default_tokenizer=str(MODEL.with_name("tokenizer.json")))
    out = tmp_path / "built.onnx"
    lower_qdq(src, out, "int8", TaskState(), calib=calib, keep_fp32=keep, high=high)
    return out, src


def test_a_tighter_budget_keeps_the_most_sensitive_nodes_and_meets_it(scan, tmp_path):
    drop_all = scan.candidates[0]["drop_points"]
    budget = drop_all / 2
    with PrecisionSearch(request(budget=budget, high_precision="fp32")) as search:
        res = search.search()
    assert 0 < len(res.kept) < len(res.sensitivity)
    assert res.drop_points <= budget + 1e-9
    order = [s["node"] for s in res.sensitivity]
    assert res.kept == order[:len(res.kept)]          # a prefix of the sensitivity order
    assert any(not c["met"] for c in res.candidates)  # it bisected: some assignment missed
    assert 0 < res.lowered_gemm_flops_share < 1
    # The keep-file builds the model whose score was predicted: the same recipe, the same roundings.
    kf = res.keep_file()
    assert kf.entries == res.kept and kf.about["target"] == "int8"
    built, src = _built_with(kf.entries, "fp32", tmp_path)
    scorer = Scorer(src, str(VAL), metric="cosine", column="text", limit=48, threads=1, beside=(MODEL,))
    try:
        assert scorer.score(built, tmp_path).cosine == pytest.approx(res.predicted_score, abs=1e-6)
    finally:
        scorer.close()


def test_a_probe_is_the_model_with_only_that_node_quantized(tmp_path):
    """The scan's shortcut (one Q/DQ model, the other nodes' Q/DQ bypassed) equals quantizing
    that node alone."""
    src = tmp_path / "named.onnx"
    save_model(name_nodes(load_model(MODEL)), src)
    calib = calibration_set_for_model(CalibrationSpec(str(CALIB), column="text", samples=32), src,
                                      default_tokenizer=str(MODEL.with_name("tokenizer.json")))
    ranges = tmp_path / "ranges.json"
    full = tmp_path / "full.onnx"
    lower_qdq(src, full, "int8", TaskState(), calib=calib, high="fp32", ranges=ranges)
    nodes = quantizable_nodes(load_model(src))
    node = next(n for n in nodes if "intermediate/dense" in n)
    probe = unquantized_except(load_model(full), load_model(src), {node})
    alone = tmp_path / "alone.onnx"
    lower_qdq(src, alone, "int8", TaskState(), keep_fp32=[n for n in nodes if n != node], high="fp32",
              ranges=ranges)
    feed = {"input_ids": np.array([[101, 7, 9, 12, 102]], np.int64),
            "attention_mask": np.ones((1, 5), np.int64), "token_type_ids": np.zeros((1, 5), np.int64)}

    def run(model):
        s = ort.InferenceSession(model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model),
                                 providers=["CPUExecutionProvider"])
        names = {i.name for i in s.get_inputs()}
        return s.run(None, {k: v for k, v in feed.items() if k in names})[0]

    np.testing.assert_allclose(run(probe), run(alone), rtol=1e-5, atol=1e-5)
    assert not np.allclose(run(probe), run(load_model(src)), atol=1e-7)  # the node is quantized


def test_an_unreachable_budget_says_the_best_that_was_reached():
    # fp16 everywhere else: even with every GEMM kept high the output moves, so no drop of 0 exists
    with PrecisionSearch(request(budget=0.0, sensitivity_samples=8)) as search:
        with pytest.raises(BudgetUnreachable) as e:
            search.search()
    msg = str(e.value)
    assert "cannot be met for int8" in msg and "every quantizable node kept high" in msg and "fp16" in msg
    assert e.value.exit_code == 2


def test_the_accuracy_budget_needs_labels():
    with pytest.raises(DataError, match="labelled validation data"):
        PrecisionSearch(request(metric="accuracy"))


def test_the_accuracy_budget_with_labels(tmp_path):
    labels = MODEL.with_name("labels.txt").read_text().split()
    data = tmp_path / "val.csv"
    with open(VAL, newline="") as f, open(data, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["text", "label"])
        for i, row in enumerate(csv.DictReader(f)):
            w.writerow([row["text"], labels[i % len(labels)]])
    with PrecisionSearch(request(data=str(data), metric="accuracy", label_column="label", budget=100.0,
                                 sensitivity_samples=8)) as search:
        res = search.search()
    assert 0 <= res.reference_accuracy <= 1 and 0 <= res.predicted_accuracy <= 1
    assert res.drop_points == pytest.approx(100 * (res.reference_accuracy - res.predicted_accuracy), abs=1e-6)


def test_kept_entries_are_not_searched_and_stay_in_the_keep_file():
    with PrecisionSearch(request(budget=100.0, keep=["layer:0 & MatMul"], sensitivity_samples=8)) as search:
        res = search.search()
    assert res.sensitivity and not any("/layer.0/" in s["node"] for s in res.sensitivity)
    assert res.keep_file().entries[0] == "layer:0 & MatMul"


def test_a_keep_entry_naming_nothing_is_refused_before_any_work():
    with pytest.raises(StudioError, match="no_such_node"):
        PrecisionSearch(request(keep=["no_such_node"]))


def test_cancel_stops_the_scan():
    state = None

    def on_event(ev):
        if ev.kind == "progress" and ev.phase.startswith("Sensitivity 2/"):
            state.cancel()

    state = TaskState(on_event, min_interval=0)
    with PrecisionSearch(request(budget=100.0), state) as search:
        with pytest.raises(Cancelled, match="nothing was written"):
            search.search()
        workdir = search.workdir
    assert not workdir.exists()  # the scratch folder goes with the search


def test_int8_needs_calibration():
    with pytest.raises(DataError, match="calibration"):
        PrecisionSearch(request(calibration=None))


def test_fp16_target_searches_without_calibration():
    with PrecisionSearch(request(target="fp16", calibration=None, budget=100.0, sensitivity_samples=8)) as search:
        res = search.search()
    assert res.kept == [] and res.target == "fp16" and len(res.sensitivity) > 0


def test_every_quantized_node_gets_its_inputs_sqnr(scan):
    dbs = [s["sqnr_db"] for s in scan.sensitivity]
    assert all(db is not None and 5 < db < 80 for db in dbs)   # int8: about 6 dB a bit, far from exact

