"""The demo model builds with TensorRT-RTX on this CPU-only machine (what every build job relies on)."""

import pytest

from studio.core.demo.bert_onnx import build_bert_onnx, model_bytes
from studio.core.demo.train_head import load_head
from studio.core.demo.weights import load_minilm


@pytest.mark.slow
def test_demo_model_builds_an_fp32_engine_with_dynamic_shapes():
    trt = pytest.importorskip("tensorrt_rtx")
    cfg, weights = load_minilm()
    w, b, _ = load_head()
    data = model_bytes(build_bert_onnx(cfg, weights, (w, b)))

    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse(data), [parser.get_error(i).desc() for i in range(parser.num_errors)]
    assert [network.get_input(i).name for i in range(network.num_inputs)] == ["input_ids", "attention_mask"]
    assert {network.get_output(i).name for i in range(network.num_outputs)} == {"logits", "sentence_embedding"}

    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    for name in ("input_ids", "attention_mask"):
        profile.set_shape(name, (1, 1), (4, 64), (16, 256))
    config.add_optimization_profile(profile)
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 30)
    engine = builder.build_serialized_network(network, config)
    assert engine is not None and engine.nbytes > 10_000_000
