"""One naming rule for builds, from the backend's own artifact suffix; a rebuild is numbered."""

from studio.core.backends.naming import default_output, unused


def test_the_backend_decides_the_suffix(tmp_path):
    model = tmp_path / "intent.onnx"
    assert default_output(model, "onnxruntime", "int8").name == "intent.int8.ort.onnx"
    assert default_output(model, "tensorrt", "fp16", tmp_path / "out") == tmp_path / "out" / "intent.fp16.engine"


def test_unused_numbers_past_existing_builds_and_sidecars(tmp_path):
    first = tmp_path / "intent.fp16.engine"
    assert unused(first) == first
    first.write_bytes(b"x")
    assert unused(first).name == "intent-2.fp16.engine"
    (tmp_path / "intent-2.fp16.engine.json").write_text("{}")   # a sidecar alone also holds the name
    assert unused(first).name == "intent-3.fp16.engine"
    assert unused(first, taken=[tmp_path / "intent-3.fp16.engine"]).name == "intent-4.fp16.engine"
