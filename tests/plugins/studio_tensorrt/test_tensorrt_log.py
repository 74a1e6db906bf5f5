"""The TensorRT(-RTX) verbose `Layers:` report, on recorded reports and one live build."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import onnx
import pytest

from studio.core.backends.layer_reports import detect, parse_report
from studio.core.errors import StudioError
from studio_tensorrt import tensorrt_log

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"
PREFIX = "[11/25/2026-18:53:11] [TRT] [V] "


def record_module():
    spec = importlib.util.spec_from_file_location("plan_record_reports_t", DATA / "record_reports.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name, layers, fused", [
    ("matmul_add_relu.fp32", 2, 1),
    ("tiny_encoder.fp32", 20, 19),
    ("tiny_encoder.fp16", 15, 14),
    ("tiny_encoder.int8", 23, 21),   # one quantize kernel names no origin
])
def test_recorded_reports(name, layers, fused):
    path = DATA / f"{name}.layers.txt"
    assert tensorrt_log.match(path)
    raw = tensorrt_log.parse(path)
    assert len(raw.layers) == layers
    assert sum(1 for x in raw.layers if "[ONNX Layer:" in x["Metadata"]) == fused
    assert all(x["LayerType"] for x in raw.layers)
    assert raw.inputs and raw.outputs


def test_report_inside_a_prefixed_log_is_the_same_plan():
    report = (DATA / "tiny_encoder.fp16.layers.txt").read_text()
    log = "\n".join([PREFIX + "Parsing node: /attn/q/MatMul [MatMul]", PREFIX + "Name: not a report line"]
                    + [PREFIX + line for line in report.splitlines()]
                    + ["[11/25/2026-18:53:12] [TRT] [I] Engine generation completed in 0.2 seconds."])
    assert detect(log) == "tensorrt_log"
    assert parse_report(log).layers == parse_report(report).layers


def test_the_last_of_several_reports_wins():
    a = (DATA / "matmul_add_relu.fp32.layers.txt").read_text()
    b = (DATA / "tiny_encoder.fp32.layers.txt").read_text()
    plan = parse_report(a + "\nother log line\n" + b)
    assert len(plan.layers) == 20


def test_record_parser_keeps_commas_and_brackets_inside_values():
    rec = tensorrt_log.parse_record(
        "Name: (Unnamed Layer* 3) [Shuffle] + a, b, LayerType: Reformat, Inputs: [ { Name: t[0], "
        "Dimensions: [2,-1], Format: (Linear) Row major linear format }], Outputs: [], "
        "TacticName: 0x5, Metadata: [ONNX Layer: /x/y, z]\x1f[ONNX Layer: w]")
    assert rec["Name"] == "(Unnamed Layer* 3) [Shuffle] + a, b"
    assert rec["Inputs"] == [{"Name": "t[0]", "Dimensions": [2, -1],
                              "Format": "(Linear) Row major linear format"}]
    assert rec["Outputs"] == []
    assert rec["Metadata"] == "[ONNX Layer: /x/y, z]\x1f[ONNX Layer: w]"
    plan = parse_report("Layers:\n" + "Name: L, LayerType: kgen, Inputs: [], Outputs: [], "
                        "Metadata: [ONNX Layer: /x/y, z]\x1f[ONNX Layer: w]\n")
    assert plan.layers[0].onnx_nodes == ("/x/y, z", "w")


def test_names_in_brackets_are_names_not_lists():
    """TorchScript-exported BERTs give the builder a shape-copy layer named in brackets."""
    rec = tensorrt_log.parse_record(
        "Name: [ShapeHostToDeviceCopy 0], LayerType: ShapeHostToDevice, Inputs: [], Outputs: [ { Name: "
        "[ShapeHostToDeviceCopy 0] out, Dimensions: [2], Format/Datatype: Int64 }], TacticName: , "
        "StreamId: 0, Metadata: ")
    assert rec["Name"] == "[ShapeHostToDeviceCopy 0]"
    assert rec["Outputs"] == [{"Name": "[ShapeHostToDeviceCopy 0] out", "Dimensions": [2], "Format/Datatype": "Int64"}]
    plan = parse_report("Layers:\nName: [ShapeHostToDeviceCopy 0], LayerType: ShapeHostToDevice, Inputs: [], "
                        "Outputs: [], TacticName: , StreamId: 0, Metadata: \n")
    assert plan.layers[0].name == "[ShapeHostToDeviceCopy 0]" and plan.layers[0].onnx_nodes == ()


def test_broken_report_names_the_line(tmp_path):
    path = tmp_path / "bad.layers.txt"
    path.write_text("Layers:\nName: a, LayerType: kgen, Inputs: [ { Name: x, Dimensions: [1,2 }], Outputs: []\n")
    with pytest.raises(StudioError, match=r"bad\.layers\.txt:2: cannot read layer record"):
        parse_report(path)
    path.write_text("Layers:\nName: a, LayerType: kgen, Inputs: [], Outputs: []\ngarbage here\n")
    with pytest.raises(StudioError, match=r"bad\.layers\.txt:3: unexpected line"):
        parse_report(path)


def test_text_without_a_report_is_refused(tmp_path):
    path = tmp_path / "build.log"
    path.write_text("[I] Layers: none printed here\nName: x\n")
    assert not tensorrt_log.match(path)
    with pytest.raises(StudioError, match="no `Layers:` report found"):
        tensorrt_log.parse(path)


@pytest.mark.slow
def test_live_tensorrt_rtx_build_fuses_matmul_add_relu(tmp_path):
    """A real TensorRT-RTX build on this machine: the three ONNX nodes become one layer."""
    rec = record_module()
    models = rec._models()
    onnx.save(models.matmul_add_relu(), tmp_path / "mar.onnx")
    report = rec.layers_report(str(tmp_path / "mar.onnx"), {"x": ((1, 16), (4, 16), (8, 16))})
    plan = parse_report(report)
    fused = [layer for layer in plan.layers if layer.onnx_nodes]
    assert len(fused) == 1
    assert set(fused[0].onnx_nodes) == {"fc_matmul", "fc_bias", "fc_relu"}
    assert fused[0].precision == "fp32"
    assert [t.name for t in fused[0].inputs] == ["x"] and [t.name for t in fused[0].outputs] == ["y"]
