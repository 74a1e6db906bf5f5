"""The canvas's data: ONNX graph and engine plan converted for drawing, layer times for colour."""

from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "tests" / "data" / "plans"


def test_onnx_graph_view_has_io_nodes_params_and_edges(tiny_model):
    from studio.core.graph.onnx_loader import open_graph
    from studio.ui.view_model import from_onnx_graph
    g = open_graph(tiny_model)
    v = from_onnx_graph(g, tiny_model)
    ids = {n.id for n in v.nodes}
    assert {"input:input_ids", "input:attention_mask", "output:logits"} <= ids
    matmul = next(n for n in v.nodes if n.category == "MatMul" and "Parameters" in n.details)
    (pname, ptype), = matmul.details["Parameters"].items()
    assert ptype.startswith("float32[")
    assert all(s in ids and d in ids for s, d, _ in v.edges)
    assert any(s == "input:input_ids" for s, _, _ in v.edges)


def test_layer_times_colour_the_slowest_layer_hot(qapp):
    """Per-layer times come from trtexec --exportProfile via the plan reader (Layer.raw
    AverageMs); the recorded profile in tests/data was taken without a GPU (all zeros), so
    the times here are set on the layers directly."""
    from studio.core.graph.plan import Layer, Plan, TensorInfo
    from studio.ui.graph_view import GraphCanvas
    from studio.ui.view_model import from_plan
    t = [TensorInfo(f"t{i}", "float32", (1, 8)) for i in range(4)]
    plan = Plan(source_format="trtexec_layerinfo", layers=(
        Layer("a", "gemm", "fp32", "", (t[0],), (t[1],), raw={"AverageMs": 0.01}),
        Layer("b", "kgen", "fp16", "", (t[1],), (t[2],), raw={"AverageMs": 0.50}),
        Layer("c", "reformat", "fp32", "", (t[2],), (t[3],), raw={}),
    ))
    v = from_plan(plan, "x.engine")
    assert [n.time_ms for n in v.nodes] == [0.01, 0.5, None]
    assert v.node("b").details["Time (ms)"] == "0.5000"
    assert [(s, d) for s, d, _ in v.edges] == [("a", "b"), ("b", "c")]
    canvas = GraphCanvas()
    canvas.set_graph_sync(v)
    canvas.set_color_mode("time")
    item = canvas.nodes_item

    def colour(nid):
        return item.brushes[item.color_index[canvas._index[nid]]]
    hot, cool, none = colour("b"), colour("a"), colour("c")
    assert hot.saturationF() > cool.saturationF() and hot.hueF() < cool.hueF()
    assert none.saturationF() < 0.2          # no data: grey
