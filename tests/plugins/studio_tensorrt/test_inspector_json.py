"""IEngineInspector JSON: the recorded reports converted to its schema (see the fixtures'
README), the names-only variant, and the TensorRT 8 shape without metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.backends.layer_reports import detect
from studio.core.backends.layer_reports import load_plan
from studio.core.errors import StudioError
from studio_tensorrt import inspector_json

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"


def test_same_plan_as_the_log_it_came_from():
    js = load_plan(DATA / "tiny_encoder.fp16.inspector.json")
    log = load_plan(DATA / "tiny_encoder.fp16.layers.txt")
    assert js.source_format == "inspector_json" and js.detailed
    key = lambda p: [(x.name, x.type, x.precision, x.tactic, x.onnx_nodes, x.inputs, x.outputs, x.constants)
                     for x in p.layers]
    assert key(js) == key(log)
    assert js.edges() == log.edges()
    assert [t.name for t in js.inputs] == ["input_ids", "attention_mask"]
    assert [t.name for t in js.outputs] == ["logits"]
    assert {x.precision for x in js.layers} >= {"fp16"}


def test_names_only_variant():
    plan = load_plan(DATA / "tiny_encoder.fp16.names_only.json")
    assert not plan.detailed
    assert len(plan.layers) == 15 and all(not x.inputs and not x.type for x in plan.layers)
    assert any("names only" in n for n in plan.notes)
    assert plan.inputs == () and any("input_ids" in n for n in plan.notes)


def test_tensorrt8_shape_without_metadata():
    plan = load_plan(DATA / "legacy_trt8.inspector.json")
    assert [x.name for x in plan.layers] == [
        "QuantizeLinear_2", "stem.weight + QuantizeLinear_7 + Conv_9 + PWN(Clip_13)",
        "head.weight + QuantizeLinear_20 + Gemm_22"]          # signal dropped, [profile 1] dropped
    assert plan.layers[1].onnx_nodes == ("stem.weight", "QuantizeLinear_7", "Conv_9", "Clip_13")
    assert [x.precision for x in plan.layers] == ["int8", "int8", "int8"]
    assert plan.layers[2].outputs[0].dtype == "float32"
    assert [t.name for t in plan.inputs] == ["image"] and [t.name for t in plan.outputs] == ["logits"]
    assert plan.edges() == [("QuantizeLinear_2", plan.layers[1].name, "q_image"),
                            (plan.layers[1].name, plan.layers[2].name, "stem_out")]


def test_duplicate_names_and_separators(tmp_path):
    doc = {"Layers": [
        {"Name": "a\x1eb", "LayerType": "kgen", "Inputs": [], "Outputs": [{"Name": "t", "Format/Datatype": "Half"}],
         "Metadata": "[ONNX Layer: a]\x1e[ONNX Layer: b]"},
        {"Name": "a\x1eb", "LayerType": "kgen", "Inputs": [{"Name": "t", "Format/Datatype": "Half"}], "Outputs": []},
    ]}
    path = tmp_path / "x.json"
    path.write_text(json.dumps(doc))
    plan = load_plan(path)
    assert [x.name for x in plan.layers] == ["a+b", "a+b_2"]
    assert plan.layers[0].onnx_nodes == ("a", "b")
    assert plan.edges() == [("a+b", "a+b_2", "t")]


@pytest.mark.parametrize("doc, message", [
    ({"Layers": []}, "lists no layers"),
    ({"Layers": [{"Name": "a", "Inputs": "x"}]}, r"layer 0 \(a\): \"Inputs\" should be a list"),
    ({"Layers": [{"LayerType": "kgen"}]}, "neither a layer object with a Name"),
    ({"Layers": ["a"], "Bindings": "x"}, "Bindings"),
    ({"Layers": [{"Name": ["a"]}]}, "neither a layer object with a Name string"),
    ({"Layers": [{"Name": "a", "Outputs": [[1, 2]]}]}, r"layer 0 \(a\): \"Outputs\"\[0\] should be a tensor"),
])
def test_malformed_json(tmp_path, doc, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(StudioError, match=message):
        load_plan(path)


def test_other_json_is_not_inspector_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"layers": 3}')
    assert not inspector_json.match(path)
    with pytest.raises(StudioError, match="not a layer report"):
        detect(path)
