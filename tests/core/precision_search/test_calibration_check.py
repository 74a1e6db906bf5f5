"""Calibration that can be trusted: the sets compared, clipping measured on the validation set,
the calibration methods scored, warnings for sets that look wrong."""

import csv
from pathlib import Path

import pytest

from studio.core.backends.base import CalibrationSpec
from studio.core.errors import DataError
from studio.core.precision_search.calibration_check import check_calibration
from studio.core.precision_search.search import SearchRequest

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
VAL = ROOT / "resources" / "demo" / "intents_validation.csv"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


def _request(calib: Path, samples: int = 128, **kw) -> SearchRequest:
    kw = {"limit": 64, **kw}
    return SearchRequest(model=str(MODEL), target="int8", data=str(VAL), column="text", metric="cosine",
                         calibration=CalibrationSpec(str(calib), column="text", samples=samples), threads=1, **kw)


def _csv(path: Path, texts) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text"])
        w.writerows([t] for t in texts)
    return path


def test_a_real_calibration_set_is_trusted_and_every_method_scored():
    res = check_calibration(_request(CALIB))
    assert res.calibration.samples == 128 and res.validation.samples == 64
    assert res.calibration.duplicate_share < 0.2 and res.calibration.lengths.max > res.validation.lengths.p90
    assert not [w for w in res.warnings if "duplicates" in w or "calibration samples" in w or "shorter" in w]
    assert [m["method"] for m in sorted(res.methods, key=lambda m: m["method"])] == ["entropy", "minmax", "percentile"]
    assert res.methods == sorted(res.methods, key=lambda m: m["drop_points"])
    assert res.clipping and all(0 <= c.clipped_share <= 1 and c.limit > 0 for c in res.clipping)
    shares = [c.clipped_share for c in res.clipping]
    assert shares == sorted(shares, reverse=True)


def test_a_synthetic_set_is_called_out(tmp_path):
    """Few short templated texts: duplicates, narrow lengths, and the validation set's longer
    texts clip what they never calibrated."""
    synthetic = _csv(tmp_path / "synthetic.csv", ["where is my order"] * 30 + ["refund please"] * 10)
    res = check_calibration(_request(synthetic, samples=40, limit=182))
    text = "\n".join(res.warnings)
    assert "only 40 calibration samples" in text
    assert "duplicates" in text and res.calibration.duplicate_share > 0.9
    assert "shorter than validation" in text
    real = check_calibration(_request(CALIB, limit=182))
    worst = lambda r: max(c.clipped_share for c in r.clipping)  # noqa: E731
    assert worst(res) > worst(real)


def test_texts_the_tokenizer_does_not_know_are_called_out(tmp_path):
    chinese = _csv(tmp_path / "zh.csv", [f"我的订单{i}号还没有发货，请帮我查一下物流" for i in range(80)])
    res = check_calibration(_request(chinese, samples=80))
    assert res.calibration.unknown_token_share > 0.3
    assert any("unknown to the tokenizer" in w for w in res.warnings)


def test_only_quantized_targets_have_a_calibration():
    with pytest.raises(DataError, match="no calibration to check"):
        check_calibration(SearchRequest(model=str(MODEL), target="fp16", data=str(VAL), column="text"))
