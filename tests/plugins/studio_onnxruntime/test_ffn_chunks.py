import numpy as np
import onnx
import pytest
from onnx import helper

from studio.core.backends.base import BuildConfig
from studio.core.progress import TaskState
from studio_onnxruntime.backend import OnnxRuntimeBackend
from studio_onnxruntime.ffn_chunks import CHUNKED_PREFIX, chunk_ffn, find_ffns


ROWS_24 = 24 * 128 * 4  # bytes of the small BERT's 128 wide FFN intermediate in 24 rows


@pytest.fixture(scope="module")
def unchunked(tmp_path_factory, small_bert):
    """The onnxruntime backend's fp32 and int8 builds of the small BERT, FFN chunking off."""
    out = {}
    for precision in ("fp32", "int8"):
        path = tmp_path_factory.mktemp("unchunked") / f"{precision}.onnx"
        OnnxRuntimeBackend().build(BuildConfig(model=str(small_bert), backend="onnxruntime", output=str(path),
                                               precision=precision, options={"ort_ffn_chunk_bytes": 0}), TaskState())
        out[precision] = path
    return out


def feed(batch, seq, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.ones((batch, seq), np.int64)
    mask[0, seq // 2:] = 0
    return {"input_ids": rng.integers(1000, 5000, (batch, seq)).astype(np.int64), "attention_mask": mask}


def chunk_counts(path, tmp_path, inputs, ort_run) -> list[int]:
    """How many chunks each Scan ran, read from the model itself (its chunked inputs as outputs)."""
    model = onnx.load(str(path))
    scans = [n for n in model.graph.node if n.op_type == "Scan"]
    for n in scans:
        model.graph.output.append(helper.make_tensor_value_info(n.input[0], onnx.TensorProto.FLOAT, None))
    probe = tmp_path / "probe.onnx"
    onnx.save(model, str(probe))
    return [o.shape[0] for o in ort_run(probe, inputs)[-len(scans):]]


def test_fp32_chunks_compute_the_same_for_any_batch(tmp_path, unchunked, ort_run, rewrite_file):
    out = tmp_path / "chunked.onnx"
    report = rewrite_file(chunk_ffn, unchunked["fp32"], out, budget=ROWS_24)
    assert (report.applied, report.reason) == (2, "")
    nodes = onnx.load(str(out)).graph.node
    assert sum(n.op_type == "Scan" for n in nodes) == 2
    # Both FFNs read [batch, seq] of the same named dims: one set of shape nodes serves them.
    assert sum(n.op_type == "Shape" and n.name.startswith(CHUNKED_PREFIX) for n in nodes) == 1
    # 24 rows a chunk at 12 tokens a row: chunks of the largest divisor of the batch <= 2 sequences.
    for batch, seq, chunks in [(1, 12, 1), (4, 12, 2), (7, 12, 7), (6, 8, 2), (2, 30, 2)]:
        inputs = feed(batch, seq, seed=batch)
        np.testing.assert_allclose(ort_run(out, inputs)[0], ort_run(unchunked["fp32"], inputs)[0], atol=1e-5)
        assert chunk_counts(out, tmp_path, inputs, ort_run) == [chunks, chunks], (batch, seq)


def test_fp32_body_adds_the_bias_in_the_gemm_and_declares_2d_shapes(tmp_path, unchunked, capfd, rewrite_file):
    import onnxruntime as ort

    out = tmp_path / "chunked.onnx"
    rewrite_file(chunk_ffn, unchunked["fp32"], out, budget=ROWS_24)
    body = next(n for n in onnx.load(str(out)).graph.node if n.op_type == "Scan").attribute[0].g
    # MatMul -> BiasGelu (rank 3 outside) is Gemm with the bias -> Gelu on the body's 2-D rows.
    assert [n.op_type for n in body.node][:2] == ["Gemm", "Gelu"] and len(body.node[0].input) == 3
    assert body.value_info and all(len(v.type.tensor_type.shape.dim) == 2 for v in body.value_info)
    so = ort.SessionOptions()
    so.log_severity_level = 2  # warnings: a body tensor declared [batch, seq, width] made ORT warn at every load
    ort.InferenceSession(str(out), so, providers=["CPUExecutionProvider"])
    assert "MergeShapeInfo" not in capfd.readouterr().err


def test_int8_one_chunk_is_bit_identical_and_more_chunks_close(tmp_path, unchunked, ort_run, rewrite_file):
    out = tmp_path / "chunked.onnx"
    assert rewrite_file(chunk_ffn, unchunked["int8"], out, budget=ROWS_24).applied == 2
    one = feed(2, 12)  # 24 rows: one chunk, the same activation ranges as unchunked
    np.testing.assert_array_equal(ort_run(out, one)[0], ort_run(unchunked["int8"], one)[0])
    four = feed(8, 12)  # 4 chunks, each quantized with its own range
    ref, got = ort_run(unchunked["int8"], four)[0], ort_run(out, four)[0]
    assert np.abs(ref - got).max() < 0.05 * max(1.0, np.abs(ref).max())


def test_ffn_read_elsewhere_or_of_unknown_rank_is_left(tmp_path, unchunked, rewrite_file):
    model = onnx.load(str(unchunked["fp32"]))
    gelus = [n for n in model.graph.node if n.op_type in ("Gelu", "BiasGelu")]
    model.graph.output.append(helper.make_tensor_value_info(gelus[0].output[0], onnx.TensorProto.FLOAT, None))
    stale = {v.name for v in model.graph.value_info if v.name == gelus[1].input[0]}
    kept = [v for v in model.graph.value_info if v.name not in stale]
    del model.graph.value_info[:]
    model.graph.value_info.extend(kept)
    chains, skipped = find_ffns(model.graph)
    assert chains == []
    assert skipped == [f"{gelus[0].name}: not read by one matmul with constant weights",
                       f"{gelus[1].name}: input rank not known to be 3"]
    src = tmp_path / "src.onnx"
    onnx.save(model, str(src))
    report = rewrite_file(chunk_ffn, src, tmp_path / "out.onnx")
    assert report.applied == 0 and "input rank not known" in report.reason
    assert not (tmp_path / "out.onnx").exists()


def test_ffns_whose_batch_dims_are_unnamed_get_their_own_shape_nodes(tmp_path, unchunked, ort_run, rewrite_file):
    model = onnx.load(str(unchunked["fp32"]))
    gelu_inputs = {n.input[0] for n in model.graph.node if n.op_type in ("Gelu", "BiasGelu")}
    for v in model.graph.value_info:
        if v.name in gelu_inputs:
            for d in v.type.tensor_type.shape.dim[:2]:
                d.Clear()  # unknown, unnamed: nothing says the two FFNs share [batch, seq]
    src, out = tmp_path / "src.onnx", tmp_path / "out.onnx"
    onnx.save(model, str(src))
    assert rewrite_file(chunk_ffn, src, out, budget=ROWS_24).applied == 2
    shapes = {n.name.split("/")[1] for n in onnx.load(str(out)).graph.node
              if n.op_type == "Shape" and n.name.startswith(CHUNKED_PREFIX)}
    assert shapes == {"shape0", "shape1"}
    inputs = feed(4, 12)
    np.testing.assert_allclose(ort_run(out, inputs)[0], ort_run(unchunked["fp32"], inputs)[0], atol=1e-5)
    assert chunk_counts(out, tmp_path, inputs, ort_run) == [2, 2]


def test_unnamed_nodes_are_kept_and_chunked(tmp_path, unchunked, ort_run, rewrite_file):
    model = onnx.load(str(unchunked["fp32"]))
    for n in model.graph.node:
        n.name = ""  # names are optional in ONNX; nothing may key on them
    src, out = tmp_path / "src.onnx", tmp_path / "out.onnx"
    onnx.save(model, str(src))
    assert rewrite_file(chunk_ffn, src, out, budget=ROWS_24).applied == 2
    inputs = feed(4, 12)
    np.testing.assert_allclose(ort_run(out, inputs)[0], ort_run(unchunked["fp32"], inputs)[0], atol=1e-5)


def test_fp32_fast_gelu_bias_moves_into_the_gemm(tmp_path, small_bert, ort_run):
    """With the GELU approximation the fusions give FastGelu(h, bias): the same fold as BiasGelu."""
    flat, chunked = tmp_path / "flat.onnx", tmp_path / "chunked.onnx"
    for out, chunk in ((flat, 0), (chunked, ROWS_24)):
        OnnxRuntimeBackend().build(BuildConfig(model=str(small_bert), backend="onnxruntime", output=str(out),
                                               precision="fp32", options={"gelu_approximation": True,
                                                                          "ort_ffn_chunk_bytes": chunk}), TaskState())
    assert sum(n.op_type == "FastGelu" and len(n.input) == 2 for n in onnx.load(str(flat)).graph.node) == 2
    body = next(n for n in onnx.load(str(chunked)).graph.node if n.op_type == "Scan").attribute[0].g
    assert [n.op_type for n in body.node][:2] == ["Gemm", "FastGelu"] and len(body.node[1].input) == 1
    inputs = feed(4, 12)
    np.testing.assert_allclose(ort_run(chunked, inputs)[0], ort_run(flat, inputs)[0], atol=1e-5)
