from pathlib import Path

import onnx
import pytest

from studio.core.errors import DataError, ModelError
from studio.core.precision.keep import KeepFile, layer_of, resolve_keep

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "data" / "corpus"


@pytest.fixture(scope="module")
def bert():
    return onnx.load(str(CORPUS / "bert_ts17_eager" / "model.onnx"), load_external_data=False)


@pytest.mark.parametrize("name, layer", [
    ("/m/bert/encoder/layer.3/attention/self/query/MatMul", 3),
    ("/m/distilbert/transformer/layer.0/ffn/lin1/MatMul", 0),
    ("/transformer/h.11/attn/c_proj/MatMul", 11),
    ("/model/layers.2/mlp/MatMul", 2),
    ("/m/bert/pooler/dense/Gemm", None),
    ("node_MatMul_48", None),
])
def test_layer_numbers_as_exporters_spell_them(name, layer):
    assert layer_of(name) == layer


def test_names_op_types_and_patterns(bert):
    ops, nodes = resolve_keep(bert, ["Softmax", "/m/bert/pooler/dense/Gemm", "*attention/output/dense/MatMul"])
    assert ops == ["Softmax"]
    assert nodes[0] == "/m/bert/pooler/dense/Gemm"
    outs = nodes[1:]
    assert len(outs) == 2 and all(n.endswith("attention/output/dense/MatMul") for n in outs)


def test_first_and_last_layer_intersected_with_a_glob(bert):
    _, first = resolve_keep(bert, ["layer:first & *MatMul"])
    _, last = resolve_keep(bert, ["layer:last & *MatMul"])
    assert first and all("/layer.0/" in n for n in first)
    assert last and all("/layer.1/" in n for n in last)  # the small corpus BERT has two layers
    # the whole layer, not only its GEMMs
    _, whole = resolve_keep(bert, ["layer:0"])
    assert set(first) < set(whole)


@pytest.mark.parametrize("entry, words", [
    ("Matmul", "neither a node name, an op type nor a pattern"),
    ("*nothing*", "matches no node"),
    ("layer:7", "matches no node"),
    ("layer:middle", "a layer is 'first', 'last' or a number"),
])
def test_an_entry_that_matches_nothing_is_named(bert, entry, words):
    with pytest.raises(ModelError, match=words):
        resolve_keep(bert, [entry])


def test_keep_file_round_trip_and_plain_text(tmp_path, bert):
    p = KeepFile(["layer:last & *MatMul", "Softmax"], model="m.onnx", about={"budget": 0.5}).save(tmp_path / "k.json")
    back = KeepFile.load(p)
    assert back.entries == ["layer:last & *MatMul", "Softmax"] and back.about == {"budget": 0.5}
    text = tmp_path / "k.txt"
    text.write_text("# kept high\n/m/bert/pooler/dense/Gemm\n\nSoftmax  # overflow\n")
    assert KeepFile.load(text).entries == ["/m/bert/pooler/dense/Gemm", "Softmax"]


def test_bad_keep_files_say_where(tmp_path, bert):
    bad = tmp_path / "bad.json"
    bad.write_text('{"keep": [1, 2]}')
    with pytest.raises(DataError, match="needs a \"keep\" list") as e:
        KeepFile.load(bad)
    assert e.value.where == str(bad)
    broken = tmp_path / "broken.json"
    broken.write_text('{"keep": [\n')
    with pytest.raises(DataError, match="not valid JSON") as e:
        KeepFile.load(broken)
    assert e.value.where.startswith(str(broken) + ":")
    stale = tmp_path / "stale.json"
    KeepFile(["/m/bert/encoder/layer.9/output/dense/MatMul"]).save(stale)
    with pytest.raises(DataError, match="layer.9") as e:
        KeepFile.load(stale).check(bert, stale)
    assert e.value.where == str(stale)
    with pytest.raises(DataError, match="cannot read"):
        KeepFile.load(tmp_path / "missing.json")
