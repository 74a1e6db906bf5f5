"""`engine-studio demo-model`: files written, determinism, one-line errors with exit status 2."""

import json

import onnx
import pytest

from studio.cli.main import main


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.slow
def test_writes_the_intent_model_with_tokenizer_and_labels(tmp_path, capsys):
    out = tmp_path / "m" / "intent.onnx"
    rc, stdout, _ = _run(capsys, "demo-model", "-o", str(out), "--json")
    assert rc == 0
    info = json.loads(stdout)
    assert info["arch"] == "minilm" and info["pretrained"] and info["n_intents"] >= 15
    assert (tmp_path / "m" / "tokenizer.json").is_file()
    assert "Apache" in (tmp_path / "m" / "intent.NOTICE.txt").read_text()
    labels = (tmp_path / "m" / "labels.txt").read_text().split()
    model = onnx.load(str(out), load_external_data=False)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["studio.demo.labels"]) == labels
    assert info["bytes"] == out.stat().st_size > 80e6


@pytest.mark.slow
def test_random_model_is_deterministic_for_a_seed(tmp_path, capsys):
    # (Different seeds giving different bytes is checked on a tiny model in tests/core/demo.)
    data = []
    for name in ("a", "b"):
        rc, _, _ = _run(capsys, "demo-model", "--random", "--seed", "7", "-o", str(tmp_path / f"{name}.onnx"))
        assert rc == 0
        data.append((tmp_path / f"{name}.onnx").read_bytes())
    assert data[0] == data[1]
    assert not (tmp_path / "labels.txt").exists()  # a random head has no meaningful labels
    assert (tmp_path / "tokenizer.json").is_file()


@pytest.mark.parametrize("argv, message", [
    (["demo-model"], "give -o"),
    (["demo-model", "-o", "X.onnx", "--arch", "bert-base"], "add --random"),
    (["demo-model", "-o", "X.onnx", "--seed", "3"], "only applies with --random"),
    (["demo-model", "--install-default", "-o", "X.onnx"], "--install-default takes no"),
])
def test_bad_arguments_are_one_line_errors(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = _run(capsys, *argv)
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_output_folder_is_refused(tmp_path, capsys):
    rc, _, err = _run(capsys, "demo-model", "-o", str(tmp_path))
    assert rc == 2 and "is a folder" in err


@pytest.mark.slow
def test_install_default_is_idempotent(tmp_path, capsys, monkeypatch):
    from studio.core.demo import paths

    monkeypatch.setattr(paths, "generated_dir", lambda: tmp_path / "generated")
    rc, out1, _ = _run(capsys, "demo-model", "--install-default", "--json")
    rc2, out2, _ = _run(capsys, "demo-model", "--install-default", "--json")
    assert rc == rc2 == 0
    assert json.loads(out1)["rebuilt"] is True
    assert json.loads(out2)["rebuilt"] is False
    model = onnx.load(str(tmp_path / "generated" / "intent-minilm.onnx"), load_external_data=False)
    assert model.graph.output[0].name == "logits"
