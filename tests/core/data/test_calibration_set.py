import numpy as np
import pytest

from studio.core.backends.base import CalibrationSpec
from studio.core.backends.runner import TensorMeta
from studio.core.data.calibration import CalibrationSet, CalibrationSummary, LengthStats
from studio.core.demo.weights import minilm_tokenizer_path
from studio.core.errors import DataError

BERT_INPUTS = [TensorMeta("input_ids", "int64", ("batch", "sequence")),
               TensorMeta("attention_mask", "int64", ("batch", "sequence"))]
TEXTS = ["where is my order", "cancel it please", "hi", "i want a refund for the broken blender I bought last week",
         "do you ship to canada", "reset my password"]


@pytest.fixture(scope="module")
def tokenizer():
    return str(minilm_tokenizer_path())


@pytest.fixture
def csv_file(tmp_path):
    p = tmp_path / "calib.csv"
    p.write_text("text,intent\n" + "".join(f'"{t}",i{k % 3}\n' for k, t in enumerate(TEXTS)), encoding="utf-8")
    return p


def test_text_set_preview_batches_and_summary(csv_file, tokenizer):
    spec = CalibrationSpec(str(csv_file), label_column="intent", tokenizer=tokenizer, samples=5, seed=3, max_length=8)
    cs = CalibrationSet(spec, BERT_INPUTS)
    assert len(cs) == 5
    pv = cs.preview(2)
    assert [r["line"] for r in pv.rows] == [cs.rows[0].line, cs.rows[1].line]
    assert pv.tensors["input_ids"].dtype == np.int64 and pv.tensors["input_ids"][0, 0] == 101  # [CLS]
    assert (pv.tensors["attention_mask"].sum(1) == cs._lengths[:2]).all()
    shapes = [b["input_ids"].shape for b in cs.batches(2)]
    assert [s[0] for s in shapes] == [2, 2, 1] and all(s[1] <= 8 for s in shapes)
    s = cs.summary()
    assert s.samples == 5 and s.kind == "text" and s.column == "text" and s.max_length == 8
    assert s.sequence_length.max <= 8 and s.sequence_length.min >= 3
    assert sum(h["count"] for h in s.sequence_length.histogram) == 5
    assert CalibrationSummary.from_dict(s.to_dict()) == s


def test_seeded_shuffle_repeats(csv_file, tokenizer):
    a = CalibrationSet(CalibrationSpec(str(csv_file), tokenizer=tokenizer, seed=1), BERT_INPUTS)
    b = CalibrationSet(CalibrationSpec(str(csv_file), tokenizer=tokenizer, seed=1), BERT_INPUTS)
    assert [r.text for r in a.rows] == [r.text for r in b.rows]
    assert sorted(r.text for r in a.rows) == sorted(TEXTS)


def test_fixed_padding_and_truncation_counted(csv_file, tokenizer):
    cs = CalibrationSet(CalibrationSpec(str(csv_file), tokenizer=tokenizer, max_length=6), BERT_INPUTS, padding="fixed")
    assert all(b["input_ids"].shape[1] == 6 for b in cs.batches(4))
    assert cs.summary().truncated >= 2


def test_static_sequence_dim_forces_fixed_padding(csv_file, tokenizer):
    inputs = [TensorMeta("input_ids", "int32", ("batch", 16)), TensorMeta("attention_mask", "int32", ("batch", 16))]
    cs = CalibrationSet(CalibrationSpec(str(csv_file), tokenizer=tokenizer), inputs)
    b = next(cs.batches(3))
    assert b["input_ids"].shape == (3, 16) and b["input_ids"].dtype == np.int32


def test_text_for_a_non_text_input_is_refused(csv_file, tokenizer):
    with pytest.raises(DataError, match="model input 'pixel_values' cannot be made from text"):
        CalibrationSet(CalibrationSpec(str(csv_file), tokenizer=tokenizer),
                       [TensorMeta("pixel_values", "float32", (1, 3, 8, 8))])
    with pytest.raises(DataError, match=r"model input 'input_ids' has rank 3"):
        CalibrationSet(CalibrationSpec(str(csv_file), tokenizer=tokenizer),
                       [TensorMeta("input_ids", "int64", ("b", "s", 1))])


def test_text_without_tokenizer_refused(csv_file):
    with pytest.raises(DataError, match="needs the model's tokenizer: give --tokenizer"):
        CalibrationSet(CalibrationSpec(str(csv_file)), BERT_INPUTS)


def test_arrays_set(tmp_path):
    p = tmp_path / "c.npz"
    mask = np.zeros((10, 12), np.int64)
    for i in range(10):
        mask[i, : i + 2] = 1
    np.savez(p, input_ids=np.arange(120).reshape(10, 12), attention_mask=mask, extra=np.zeros(3))
    cs = CalibrationSet(CalibrationSpec(str(p), samples=6, seed=0), BERT_INPUTS)
    assert len(cs) == 6
    s = cs.summary()
    assert s.kind == "arrays" and s.sequence_length.min >= 2 and s.sequence_length.max <= 11
    assert sum(b["input_ids"].shape[0] for b in cs.batches(4)) == 6


def test_arrays_missing_input_and_wrong_rank(tmp_path):
    p = tmp_path / "c.npz"
    np.savez(p, input_ids=np.ones((4, 8), np.int64))
    with pytest.raises(DataError, match="no array for model input 'attention_mask'; the file has: 'input_ids'"):
        CalibrationSet(CalibrationSpec(str(p)), BERT_INPUTS)
    q = tmp_path / "d.npz"
    np.savez(q, input_ids=np.ones((4, 8, 2), np.int64), attention_mask=np.ones((4, 8), np.int64))
    with pytest.raises(DataError, match=r"array 'input_ids' has rank 3"):
        CalibrationSet(CalibrationSpec(str(q)), BERT_INPUTS)


def test_arrays_with_nan_refused(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, x=np.array([[1.0, np.nan]], np.float32))
    with pytest.raises(DataError, match="tensor 'x' holds 1 NaN/Inf"):
        CalibrationSet(CalibrationSpec(str(p)), [TensorMeta("x", "float32", ("b", 2))])


def test_length_stats():
    s = LengthStats.of(np.array([3, 5, 5, 7, 64]))
    assert (s.min, s.max, s.p50) == (3, 64, 5.0)
    assert sum(h["count"] for h in s.histogram) == 5
