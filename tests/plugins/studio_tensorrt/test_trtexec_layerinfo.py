"""trtexec --exportLayerInfo files: the inspector schema under trtexec's names, with the
--exportProfile times merged when they sit beside it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from studio.core.backends.layer_reports import detect
from studio.core.backends.layer_reports import load_plan
from studio_tensorrt import trtexec_layerinfo

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"


def test_graph_json_with_profile():
    path = DATA / "tiny_encoder.int8.graph.json"
    assert trtexec_layerinfo.match(path)
    plan = load_plan(path)
    assert plan.source_format == "trtexec_layerinfo"
    assert len(plan.layers) == 23
    assert all("AverageMs" in x.raw for x in plan.layers)
    assert any("23 layers matched" in n for n in plan.notes)
    log = load_plan(DATA / "tiny_encoder.int8.layers.txt")
    assert [x.onnx_nodes for x in plan.layers] == [x.onnx_nodes for x in log.layers]
    assert [x.precision for x in plan.layers] == [x.precision for x in log.layers]


def test_names_decide_between_trtexec_and_inspector(tmp_path):
    shutil.copy(DATA / "tiny_encoder.int8.graph.json", tmp_path / "run.layerinfo.json")
    shutil.copy(DATA / "tiny_encoder.int8.graph.json", tmp_path / "engine_info.json")
    assert detect(tmp_path / "run.layerinfo.json") == "trtexec_layerinfo"
    assert detect(tmp_path / "engine_info.json") == "inspector_json"
    plan = load_plan(tmp_path / "run.layerinfo.json")
    assert not any("per-layer times" in n for n in plan.notes)   # no profile beside it


def test_unreadable_profile_is_a_note_not_a_failure(tmp_path):
    shutil.copy(DATA / "tiny_encoder.int8.graph.json", tmp_path / "m.graph.json")
    (tmp_path / "m.profile.json").write_text("{not json")
    plan = load_plan(tmp_path / "m.graph.json")
    assert len(plan.layers) == 23
    assert any("not readable JSON" in n for n in plan.notes)
    (tmp_path / "m.profile.json").write_text(json.dumps([{"count": 1}, {"name": "nobody", "averageMs": 1.0}]))
    plan = load_plan(tmp_path / "m.graph.json")
    assert any("(0 layers matched)" in n for n in plan.notes)
