"""`engine-studio precision` and `build --keep-file`, on a torch-exported BERT of the corpus."""

import json
from pathlib import Path

import pytest

from studio.cli.cmd_build import config_from_argv
from studio.cli.main import main
from studio.core.errors import StudioError
from studio.core.precision.keep import KeepFile

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
VAL = ROOT / "resources" / "demo" / "intents_validation.csv"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"
QUICK = ["--data", str(VAL), "--data-column", "text", "--calib", str(CALIB), "--calib-column", "text",
         "--calib-samples", "32", "--limit", "32", "--threads", "1", "--sensitivity-samples", "8", "-q"]


def test_precision_json_contract_and_keep_file(capsys, tmp_path):
    keep = tmp_path / "keep.json"
    rc = main(["precision", str(MODEL), *QUICK, "--budget", "100", "--budget-metric", "cosine",
               "--keep-fp32", "layer:last & MatMul", "-o", str(keep), "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    d = json.loads(out.out)
    assert {"reference_accuracy", "predicted_accuracy", "budget", "lowered_gemm_flops_share", "kept",
            "sensitivity", "seconds"} <= d.keys()
    assert d["predicted"] and d["budget"] == 100 and d["keep_file"] == str(keep)
    assert all({"node", "score"} <= s.keys() for s in d["sensitivity"]) and d["sensitivity"]
    assert 0 <= d["lowered_gemm_flops_share"] <= 1
    kf = KeepFile.load(keep)
    assert kf.entries[0] == "layer:last & MatMul" and kf.about["metric"] == "cosine"
    # the build takes it, checked against the model
    config = config_from_argv([str(MODEL), "--precision", "int8", "--calib", str(CALIB), "--calib-column", "text",
                               "--keep-file", str(keep), "--keep-fp32", "Softmax"])
    assert config.keep_fp32[0] == "Softmax" and "layer:last & MatMul" in config.keep_fp32


def test_precision_text_output_says_it_is_predicted(capsys, tmp_path):
    assert main(["precision", str(MODEL), *QUICK, "--budget", "100", "-o", str(tmp_path / "k.json")]) == 0
    out = capsys.readouterr().out
    assert "PREDICTED" in out and "most sensitive node" in out
    assert f"--keep-file {tmp_path / 'k.json'}" in out and "agreement" in out   # no labels: agreement


def test_an_unreachable_budget_exits_2_and_writes_nothing(capsys, tmp_path):
    keep = tmp_path / "keep.json"
    rc = main(["precision", str(MODEL), *QUICK, "--budget", "0", "--budget-metric", "cosine", "-o", str(keep)])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot be met for int8" in err and "with every quantizable node kept high" in err
    assert not keep.exists()


def test_the_accuracy_metric_without_labels_exits_2(capsys, tmp_path):
    keep = tmp_path / "keep.json"
    assert main(["precision", str(MODEL), *QUICK, "--budget-metric", "accuracy", "-o", str(keep)]) == 2
    assert "--label-column" in capsys.readouterr().err and not keep.exists()


def test_a_keep_file_naming_unknown_nodes_exits_2_with_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.keep.txt"
    bad.write_text("# kept high\n/m/bert/encoder/layer.9/output/dense/MatMul\n")
    rc = main(["build", str(MODEL), "--backend", "tensorrt", "--precision", "fp16", "--keep-file", str(bad),
               "-o", str(tmp_path / "m.engine"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and str(bad) in err and "layer.9" in err
    assert not (tmp_path / "m.engine").exists()
    with pytest.raises(StudioError, match="layer.9"):
        config_from_argv([str(MODEL), "--keep-file", str(bad)])


def test_calibration_command_json_and_missing_calib(capsys):
    base = ["calibration", str(MODEL), "--data", str(VAL), "--data-column", "text", "--limit", "32", "--threads", "1",
            "-q"]
    assert main([*base, "--calib", str(CALIB), "--calib-column", "text", "--calib-samples", "32", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"calibration", "validation", "clipping", "methods", "warnings"} <= d.keys()
    assert len(d["methods"]) == 3 and d["clipping"][0]["clipped_share"] >= d["clipping"][-1]["clipped_share"]
    assert main(base) == 2
    assert "--calib FILE is required" in capsys.readouterr().err


def test_ctrl_c_cancels_the_search_and_writes_nothing(tmp_path, interruptible_command):
    import signal
    import subprocess

    keep = tmp_path / "keep.json"
    p = subprocess.Popen(interruptible_command("precision", MODEL, "--data", VAL, "--data-column", "text", "--calib",
                                               CALIB, "--calib-column", "text", "-o", keep),
                         stderr=subprocess.PIPE, text=True, cwd=ROOT)
    for line in p.stderr:            # cancelled while it scores candidates, not before it starts
        if "Sensitivity" in line:
            break
    p.send_signal(signal.SIGINT)
    rest = p.stderr.read()
    assert p.wait(timeout=60) == 130, rest      # as every command ends on Ctrl-C
    assert "precision search cancelled; nothing was written" in rest and "Traceback" not in rest
    assert not keep.exists()
