"""Opening ONNX files: bad files become one-line ModelErrors; good ones open without their
weights, and with_weights gives back exactly what onnx.load gives."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.errors import ModelError
from studio.core.graph.onnx_loader import PROTOBUF_LIMIT, STRIP_OVER, load_model_proto, open_graph


def one_line_error(path, fragment):
    with pytest.raises(ModelError) as ei:
        open_graph(path)
    msg = str(ei.value)
    assert str(path) in msg and fragment in msg and "\n" not in msg, msg
    return msg


def test_missing_file(tmp_path):
    one_line_error(tmp_path / "nope.onnx", "no such file")


def test_folder_is_not_a_model(tmp_path):
    one_line_error(tmp_path, "is a folder")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.onnx"
    p.write_bytes(b"")
    one_line_error(p, "is empty")


def test_text_file(tmp_path):
    p = tmp_path / "notes.onnx"
    p.write_text("this is not a model at all, just some words\n")
    one_line_error(p, "not")


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes(tmp_path, seed):
    p = tmp_path / "random.onnx"
    p.write_bytes(np.random.default_rng(seed).bytes(4096))
    one_line_error(p, "not")


def test_truncated_real_model_at_many_points(tmp_path, encoder_path):
    data = encoder_path.read_bytes()
    p = tmp_path / "cut.onnx"
    for cut in np.linspace(1, len(data) - 1, 40).astype(int):
        p.write_bytes(data[:cut])
        with pytest.raises(ModelError) as ei:
            open_graph(p)
        assert str(p) in str(ei.value)


def test_model_over_2_gib_suggests_external_data(tmp_path):
    p = tmp_path / "huge.onnx"
    with open(p, "wb") as f:  # sparse: no disk used
        f.truncate(PROTOBUF_LIMIT + 10)
    msg = one_line_error(p, "external data")
    assert "2 GiB" in msg


def test_fifo_model_path_is_refused(tmp_path):
    p = tmp_path / "pipe.onnx"
    os.mkfifo(p)
    one_line_error(p, "not a regular file")


def test_weights_stay_in_the_file_until_asked(encoder_path):
    proto = load_model_proto(encoder_path)
    sizes = {t.name: len(t.raw_data) + len(t.float_data) * 4 + len(t.int64_data) * 8
             for t in proto.graph.initializer}
    assert sizes["l0.ff1_w"] == 0 and sizes["word_embeddings"] == 0      # stripped
    assert sizes["split_heads"] == 32                                   # small: kept for inference
    g = open_graph(encoder_path)
    w = g.initializers["l0.ff1_w"]
    assert (w.dtype, w.shape, w.nbytes, w.external) == ("float32", (16, 32), 16 * 32 * 4, False)
    expected = {t.name: numpy_helper.to_array(t) for t in onnx.load(encoder_path).graph.initializer}
    for name, init in g.initializers.items():
        np.testing.assert_array_equal(init.load(), expected[name])


def test_with_weights_equals_onnx_load(encoder_path):
    assert load_model_proto(encoder_path, with_weights=True) == onnx.load(encoder_path)


def test_load_after_file_changed_is_refused(tmp_path, make_encoder):
    p = tmp_path / "m.onnx"
    onnx.save(make_encoder(), p)
    g = open_graph(p)
    onnx.save(make_encoder(seed=1, hidden=32), p)
    with pytest.raises(ModelError, match="changed since it was opened"):
        g.initializers["l0.q_w"].load()


def test_float_data_and_int32_encodings_round_trip(tmp_path):
    """Large tensors not stored as raw_data (float_data, int32_data for float16) still load."""
    big = np.linspace(-1, 1, 600, dtype=np.float32).reshape(20, 30)
    f_t = helper.make_tensor("f", TensorProto.FLOAT, big.shape, big.ravel().tolist())
    h = big.astype(np.float16)
    h_t = helper.make_tensor("h", TensorProto.FLOAT16, h.shape, h.ravel().tolist())
    assert not h_t.raw_data and len(h_t.int32_data) == 600
    assert not f_t.raw_data and len(f_t.float_data) == 600
    g = helper.make_graph([helper.make_node("Add", ["f", "x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [20, 30])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [20, 30])], [f_t, h_t])
    p = tmp_path / "enc.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    graph = open_graph(p)
    assert graph.initializers["f"].nbytes > STRIP_OVER
    np.testing.assert_array_equal(graph.initializers["f"].load(), big)
    np.testing.assert_array_equal(graph.initializers["h"].load(), h)
    assert load_model_proto(p, with_weights=True) == onnx.load(p)


def test_shape_inference_keeps_symbolic_dims(encoder_path):
    g = open_graph(encoder_path)
    assert g.values["l0.scores"].shape == ("batch", 2, "sequence", "sequence")
    assert g.values["l0.ff1"].shape == ("batch", "sequence", 32)
    assert g.values["l0.ff1"].dtype == "float32"
    assert open_graph(encoder_path, shape_inference=False).values["l0.ff1"].shape is None


def test_unknown_custom_op_still_opens(tmp_path):
    g = helper.make_graph([helper.make_node("Frobnicate", ["x"], ["y"], domain="com.example", name="f")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    p = tmp_path / "custom.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                                  helper.make_opsetid("com.example", 1)]), p)
    graph = open_graph(p)
    assert graph.node("f").qualified_op == "com.example::Frobnicate"
    assert dict(graph.opset) == {"": 17, "com.example": 1}


def test_shape_inference_failure_is_a_warning(tmp_path):
    # MatMul of [2, 3] by [4, 5]: inference fails, the model still opens with declared shapes.
    w = numpy_helper.from_array(np.zeros((4, 5), np.float32), "w")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])], [w])
    p = tmp_path / "bad_shapes.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    graph = open_graph(p)
    assert graph.values["y"].shape == (2, 5)
    assert any("shape inference failed" in w for w in graph.warnings)


@pytest.mark.slow
def test_opening_does_not_copy_the_weights(tmp_path):
    """A 64 MB model opens in a child process whose peak RSS grows by far less than the file
    (the full figure for BERT-base is benchmarks/bench_open_memory.py)."""
    p = tmp_path / "wide.onnx"
    ws = [numpy_helper.from_array(np.full((1024, 1024), i, np.float32), f"w{i}") for i in range(16)]
    nodes, x = [], "x"
    for i in range(16):
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"h{i}"], name=f"mm{i}"))
        x = f"h{i}"
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1024])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["n", 1024])], ws)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    size = p.stat().st_size
    child = textwrap.dedent("""
        import sys
        def rss(key):
            for line in open("/proc/self/status"):
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        from studio.core.graph.onnx_loader import open_graph
        from studio.core.graph.summary import summarize
        before = rss("VmRSS")
        s = summarize(open_graph(sys.argv[1]))
        print(rss("VmHWM") - before, s.parameters)
    """)
    r = subprocess.run([sys.executable, "-c", child, str(p)], capture_output=True, text=True, check=True)
    growth, params = map(int, r.stdout.split())
    assert params == 16 * 1024 * 1024
    assert growth < 0.25 * size, (growth, size)


def test_invalid_utf8_names_are_shown_not_crashed_on(tmp_path, encoder_path):
    data = encoder_path.read_bytes().replace(b"Softmax", b"Soft\xffax")
    p = tmp_path / "utf8.onnx"
    p.write_bytes(data)
    g = open_graph(p)
    assert "Soft\ufffdax" in {n.op_type for n in g.nodes}


def test_mutated_models_open_or_fail_cleanly(tmp_path, make_encoder):
    """A small seeded fuzz run: each mutated file opens or is a ModelError. (The FLOPs estimate
    is left out: it may start a helper process per file; benchmarks/bench_fuzz_open.py runs the
    whole summary on 10,000 files.)"""
    import random
    import warnings

    from studio.core.graph.stats import op_histogram, parameter_count
    base = make_encoder(layers=1).SerializeToString()
    rng = random.Random(1234)
    p = tmp_path / "fuzz.onnx"
    outcomes = {"opened": 0, "error": 0}
    for _ in range(200):
        b = bytearray(base)
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(b))
            r = rng.random()
            if r < 0.6:
                b[pos] = rng.randrange(256)
            elif r < 0.8:
                del b[pos:pos + rng.randint(1, 64)]
            else:
                b[pos:pos] = rng.randbytes(rng.randint(1, 16))
        p.write_bytes(bytes(b))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = open_graph(p)
                op_histogram(g), parameter_count(g), g.edges()
            outcomes["opened"] += 1
        except ModelError as e:
            assert str(p) in str(e)
            outcomes["error"] += 1
    assert outcomes["opened"] > 0 and outcomes["error"] > 0


def test_shapes_checked_flag(tmp_path, encoder_path):
    assert open_graph(encoder_path).shapes_checked
    assert not open_graph(encoder_path, shape_inference=False).shapes_checked
