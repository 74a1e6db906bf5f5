"""An fp16 export widened to fp32 for the quantizers: same outputs (to fp16 rounding), inputs and
outputs keep their types."""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from studio.core.precision.upcast import has_fp16, to_fp32

MODEL = Path(__file__).resolve().parents[2] / "data" / "corpus" / "bert_fp16" / "model.onnx"


def test_fp16_model_becomes_fp32_inside_with_the_same_interface_and_outputs():
    model = onnx.load(str(MODEL))
    assert has_fp16(model)
    wide, changed = to_fp32(onnx.load(str(MODEL)))
    assert changed > 0
    assert not any(t.data_type == onnx.TensorProto.FLOAT16 for t in wide.graph.initializer)
    assert [o.type.tensor_type.elem_type for o in wide.graph.output] == [onnx.TensorProto.FLOAT16]
    rng = np.random.default_rng(0)
    feed = {"input_ids": rng.integers(1, 100, (3, 12)).astype(np.int64),
            "attention_mask": np.ones((3, 12), np.int64), "token_type_ids": np.zeros((3, 12), np.int64)}
    a = ort.InferenceSession(model.SerializeToString()).run(None, feed)[0]
    b = ort.InferenceSession(wide.SerializeToString()).run(None, feed)[0]
    assert a.dtype == b.dtype == np.float16
    np.testing.assert_allclose(a.astype(np.float32), b.astype(np.float32), rtol=2e-2, atol=2e-2)
