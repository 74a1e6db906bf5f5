"""Re-record the TensorRT-RTX `Layers:` reports in this folder (CPU only, a few seconds):

    .venv/bin/python tests/data/plans/record_reports.py

Each report is the builder's verbose `Layers:` message, verbatim, from a build with
ProfilingVerbosity.DETAILED; see README.md for what each one came from."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

HERE = Path(__file__).resolve().parent


def _models():
    spec = importlib.util.spec_from_file_location("plan_fixture_models", HERE / "models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def layers_report(onnx_path: str, shapes: dict[str, tuple]) -> str:
    """Build with tensorrt_rtx and return the `Layers:` message the builder logs (or raise)."""
    import tensorrt_rtx as trt

    class KeepAll(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.messages = []

        def log(self, severity, msg):
            self.messages.append(msg)

    logger = KeepAll()
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(onnx_path):
        raise RuntimeError("; ".join(str(parser.get_error(i)) for i in range(parser.num_errors)))
    config = builder.create_builder_config()
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
    profile = builder.create_optimization_profile()
    for name, (lo, opt, hi) in shapes.items():
        profile.set_shape(name, lo, opt, hi)
    config.add_optimization_profile(profile)
    if builder.build_serialized_network(network, config) is None:
        raise RuntimeError("build failed:\n" + "\n".join(logger.messages[-10:]))
    reports = [m for m in logger.messages if m.startswith("Layers:")]
    if not reports:
        raise RuntimeError("the builder logged no Layers: report")
    return reports[-1]


def fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.transformers.float16 import convert_float_to_float16
    return convert_float_to_float16(model, keep_io_types=True)


def int8(model_path: str, out_path: str) -> None:
    """Q/DQ with the TensorRT-compatible quantizer settings from DESIGN.md."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.feeds = iter([{"input_ids": rng.integers(0, 50, (2, 12)).astype(np.int64),
                                "attention_mask": np.ones((2, 12), np.int64)} for _ in range(8)])

        def get_next(self):
            return next(self.feeds, None)

    quantize_static(model_path, out_path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul", "Conv", "Gemm"],
                    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True,
                                   "QuantizeBias": False})


def main() -> int:
    m = _models()
    seq = {"input_ids": ((1, 4), (4, 16), (8, 32)), "attention_mask": ((1, 4), (4, 16), (8, 32))}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        onnx.save(m.matmul_add_relu(), tmp / "mar.onnx")
        onnx.save(m.tiny_encoder(), tmp / "enc.onnx")
        onnx.save(fp16(m.tiny_encoder()), tmp / "enc16.onnx")
        int8(str(tmp / "enc.onnx"), str(tmp / "enc8.onnx"))
        jobs = {
            "matmul_add_relu.fp32.layers.txt": (tmp / "mar.onnx", {"x": ((1, 16), (4, 16), (8, 16))}),
            "tiny_encoder.fp32.layers.txt": (tmp / "enc.onnx", seq),
            "tiny_encoder.fp16.layers.txt": (tmp / "enc16.onnx", seq),
            "tiny_encoder.int8.layers.txt": (tmp / "enc8.onnx", seq),
        }
        for name, (path, shapes) in jobs.items():
            text = layers_report(str(path), shapes)
            (HERE / name).write_text(text + "\n", encoding="utf-8")
            print(f"{name}: {len(text)} chars")
    return 0


if __name__ == "__main__":
    sys.exit(main())
