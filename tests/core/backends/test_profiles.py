import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.backends.base import ShapeProfile
from studio.core.backends.profiles import InputSpec, model_inputs, resolve_profiles, sequence_range
from studio.core.errors import ModelError, StudioError

BERT = [InputSpec("input_ids", "int64", ("batch", "sequence")),
        InputSpec("attention_mask", "int64", ("batch", "sequence"))]


def test_model_inputs_skips_weights_and_initializer_inputs(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.INT64, ["batch", "sequence"])
    w_in = helper.make_tensor_value_info("W", TensorProto.FLOAT, [4, 4])  # old exporters list weights as inputs
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])
    w = numpy_helper.from_array(np.zeros((4, 4), np.float32), "W")
    m = helper.make_model(helper.make_graph([helper.make_node("Identity", ["W"], ["y"])], "g", [x, w_in], [y], [w]))
    onnx.save(m, tmp_path / "m.onnx")
    assert model_inputs(tmp_path / "m.onnx") == [InputSpec("x", "int64", ("batch", "sequence"))]


def test_model_inputs_on_garbage_is_a_model_error(tmp_path):
    p = tmp_path / "g.onnx"
    p.write_bytes(b"\xff" * 64)
    with pytest.raises(ModelError):
        model_inputs(p)


def test_defaults_share_symbolic_dims_and_follow_calibration_lengths():
    ps = resolve_profiles(BERT)
    assert [p.to_dict() for p in ps] == [
        {"name": "input_ids", "min": [1, 1], "opt": [8, 64], "max": [32, 128]},
        {"name": "attention_mask", "min": [1, 1], "opt": [8, 64], "max": [32, 128]}]
    ps = resolve_profiles(BERT, seq_lengths={"min": 3, "p50": 11.0, "p90": 20, "max": 37})
    assert ps[0].opt == (8, 16) and ps[0].max == (32, 40)
    assert (ps[1].min, ps[1].opt, ps[1].max) == (ps[0].min, ps[0].opt, ps[0].max)
    assert sequence_range(None) == (1, 64, 128)
    # The tokenizer's limit caps serving text, so the engine's max covers it.
    assert sequence_range({"p50": 10.0, "max": 51, "limit": 128}) == (1, 16, 128)
    assert sequence_range({"p50": 10.0, "max": 51, "limit": None}) == (1, 16, 56)


def test_a_user_profile_carries_over_to_inputs_sharing_its_dims():
    ps = resolve_profiles(BERT, [ShapeProfile.parse("input_ids:1x8,4x32,16x64")])
    assert ps[1].to_dict() == {"name": "attention_mask", "min": [1, 8], "opt": [4, 32], "max": [16, 64]}


@pytest.mark.parametrize("specs,words", [
    (["tokens:1x8,2x8,4x8"], "model's inputs are input_ids, attention_mask"),
    (["input_ids:1,2,4"], "rank 1 given"),
    (["input_ids:1x8,4x32,16x64", "attention_mask:1x8,4x32,16x128"], "share dim 'sequence'"),
    (["input_ids:1x8,4x32,16x64", "input_ids:1x8,4x32,16x64"], "given twice"),
])
def test_contradictions_are_refused(specs, words):
    with pytest.raises(StudioError, match=words):
        resolve_profiles(BERT, [ShapeProfile.parse(s) for s in specs], where="m.onnx")


def test_fixed_dims_must_match():
    spec = [InputSpec("x", "float32", (1, 3, "h"))]
    with pytest.raises(StudioError, match="dim 1 is fixed at 3"):
        resolve_profiles(spec, [ShapeProfile.parse("x:1x4x8,1x4x16,1x4x32")])
    assert resolve_profiles(spec)[0].max == (1, 3, 128)


def test_scan_model_finds_external_data_anywhere(tmp_path):
    from studio.core.backends.profiles import scan_model

    def external(name):
        t = numpy_helper.from_array(np.ones(4, np.float32), name)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", "w.bin"
        return t

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    plain = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    in_constant = helper.make_graph([helper.make_node("Constant", [], ["c"], value=external("c")),
                                     helper.make_node("Add", ["x", "c"], ["y"])], "g", [x], [y])
    then_g = helper.make_graph([helper.make_node("Constant", [], ["t"], value=external("t"))], "then", [], [y])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "else", [], [y])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    in_subgraph = helper.make_graph([helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)],
                                    "g", [cond, x], [y])
    for graph, want in ((plain, False), (in_constant, True), (in_subgraph, True)):
        p = tmp_path / f"{graph.name}{want}{len(graph.node)}.onnx"
        p.write_bytes(helper.make_model(graph).SerializeToString())
        assert scan_model(p)[1] is want
