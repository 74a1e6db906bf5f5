"""`engine-studio data`, run as the real command on the demo calibration CSV and on a small .npz:
rows -> tensors, the length summary, and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "resources/demo/intents_calibration.csv"
MODEL = ROOT / "resources/demo/generated/intent-minilm.onnx"


def studio(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "studio", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def _one_line_error(res, *needles):
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("engine-studio: error: "), res.stderr
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_csv_rows_become_token_ids_and_summary_counts_every_row():
    with open(CSV, newline="", encoding="utf-8") as fh:
        texts = {r["text"]: r for r in csv.DictReader(fh)}
    res = studio("data", CSV, "--model", MODEL, "--column", "text", "--label-column", "intent", "--rows", "4", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    rows, tensors, summary = out["preview"]["rows"], out["preview"]["tensors"], out["summary"]
    assert len(rows) == 4
    ids, mask = np.array(tensors["input_ids"]), np.array(tensors["attention_mask"])
    assert ids.shape == mask.shape and ids.shape[0] == 4
    lines = CSV.read_text(encoding="utf-8").splitlines()
    for r, row in enumerate(rows):
        assert row["text"] in texts and row["label"] == texts[row["text"]]["intent"]
        assert row["text"].split(",")[0] in lines[row["line"] - 1]   # line points at the row
        n = int(mask[r].sum())
        assert ids[r, 0] == 101 and ids[r, n - 1] == 102          # [CLS] ... [SEP] of the real tokenizer
        assert (ids[r, n:] == 0).all() and (mask[r, :n] == 1).all()
    assert summary["samples"] == len(texts) and summary["kind"] == "text"
    assert summary["source"] == str(CSV) and summary["column"] == "text"
    sl = summary["sequence_length"]
    assert 2 < sl["min"] <= sl["p50"] <= sl["p90"] <= sl["max"] <= 128
    assert sum(b["count"] for b in sl["histogram"]) == len(texts)
    assert Path(summary["tokenizer"]).name == "tokenizer.json"

    text = studio("data", CSV, "--model", MODEL, "--column", "text", "--rows", "2")
    assert text.returncode == 0, text.stderr
    assert f"{len(texts)} samples" in text.stdout and "input_ids int64" in text.stdout
    assert f"min {sl['min']}" in text.stdout and f"max {sl['max']}" in text.stdout
    assert text.stdout.count("line ") == 2 and "#" in text.stdout


def test_max_length_truncates_and_is_reported():
    res = studio("data", CSV, "--model", MODEL, "--max-length", "8", "--samples", "50", "--seed", "3", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    summary = out["summary"]
    assert summary["samples"] == 50 and summary["max_length"] == 8 and summary["seed"] == 3
    assert summary["truncated"] > 0 and summary["sequence_length"]["max"] == 8
    assert np.array(out["preview"]["tensors"]["input_ids"]).shape[1] <= 8


def test_npz_arrays_show_shapes_dtypes_and_values(tmp_path):
    ids = np.arange(6 * 10, dtype=np.int64).reshape(6, 10)
    mask = np.zeros((6, 10), dtype=np.int64)
    for i in range(6):
        mask[i, : 3 + i] = 1
    data = tmp_path / "calib.npz"
    np.savez(data, input_ids=ids, attention_mask=mask)
    res = studio("data", data, "--model", MODEL, "--rows", "3", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    got = np.array(out["preview"]["tensors"]["input_ids"])
    got_mask = np.array(out["preview"]["tensors"]["attention_mask"])
    assert got.shape == (3, 10) and len(out["preview"]["rows"]) == 3
    for r in range(3):   # seeded order: each previewed sample is one of the file's, mask kept with its ids
        i = int(got[r, 0]) // 10
        assert (got[r] == ids[i]).all() and (got_mask[r] == mask[i]).all()
    summary = out["summary"]
    assert summary["kind"] == "arrays" and summary["samples"] == 6
    assert summary["inputs"]["input_ids"]["dtype"] == "int64"
    assert summary["sequence_length"]["min"] == 3 and summary["sequence_length"]["max"] == 8

    text = studio("data", data, "--model", MODEL, "--rows", "2")
    assert text.returncode == 0, text.stderr
    assert "sample 0:" in text.stdout and "input_ids int64 [10]:" in text.stdout


def test_ragged_csv_row_names_file_and_line(tmp_path):
    bad = tmp_path / "ragged.csv"
    bad.write_text("text,intent\nwhere is my order,track\nrefund, please,refund\n", encoding="utf-8")
    _one_line_error(studio("data", bad, "--model", MODEL), f"{bad}:3", "3 fields")


def test_missing_column_lists_the_columns():
    _one_line_error(studio("data", CSV, "--model", MODEL, "--column", "utterance"), "'utterance'", "'text', 'intent'")


def test_object_npz_and_missing_file_are_refused(tmp_path):
    obj = tmp_path / "objects.npz"
    np.savez(obj, input_ids=np.array([{"a": 1}, None], dtype=object))
    _one_line_error(studio("data", obj, "--model", MODEL), str(obj), "Python objects")
    _one_line_error(studio("data", tmp_path / "nope.csv", "--model", MODEL), "nope.csv", "not found")


def test_the_model_is_the_users_to_name():
    res = studio("data", CSV)
    assert res.returncode == 2 and "--model" in res.stderr
