"""External data that points anywhere: every hostile location is refused before anything outside
the model's folder is opened, and the error names the tensor."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from studio.core.errors import ModelError
from studio.core.graph.onnx_loader import load_model_proto, open_graph

WEIGHT = np.arange(64, dtype=np.float32).reshape(8, 8)

# Python-level opens seen while a test runs (the audit hook cannot be removed, so it only records
# while `_OPENS` is active). The loader opens files with os.open / open, both audited.
_OPENS: list[str] | None = None


def _audit(event, args):
    if _OPENS is not None and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENS.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opens():
    global _OPENS
    _OPENS = []
    try:
        yield _OPENS
    finally:
        _OPENS = None


def write_model(folder, entries, name="model.onnx"):
    """A MatMul model whose weight W [8, 8] lives in external data described by `entries`."""
    w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[8, 8])
    w.data_location = TensorProto.EXTERNAL
    for k, v in entries:
        e = w.external_data.add()
        e.key, e.value = k, v
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    path = folder / name
    path.write_bytes(m.SerializeToString())  # onnx.save would try to resolve the locations
    return path


@pytest.fixture
def layout(tmp_path):
    """tmp/model/ (the model's folder) and tmp/outside/secret.bin (must never be read)."""
    model_dir = tmp_path / "model"
    outside = tmp_path / "outside"
    model_dir.mkdir()
    outside.mkdir()
    secret = outside / "secret.bin"
    secret.write_bytes(WEIGHT.tobytes())
    return model_dir, outside, secret


def assert_refused(path, opens, *fragments):
    opens.clear()
    with pytest.raises(ModelError) as ei:
        open_graph(path)
    msg = str(ei.value)
    assert str(path) in msg and "'W'" in msg, msg
    for f in fragments:
        assert f in msg, msg
    assert "\n" not in msg
    outside = [p for p in opens if not os.path.abspath(p).startswith(str(path.parent))
               and "site-packages" not in p and "/proc/" not in p]
    assert not [p for p in outside if "outside" in p], outside
    with pytest.raises(ModelError):
        load_model_proto(path, with_weights=True)
    return msg


def test_good_external_data_loads_lazily_and_matches(layout, opens):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(b"\0" * 16 + WEIGHT.tobytes())
    path = write_model(model_dir, [("location", "w.bin"), ("offset", "16"), ("length", str(WEIGHT.nbytes))])
    opens.clear()
    g = open_graph(path)
    init = g.initializers["W"]
    assert (init.external, init.location, init.nbytes, init.shape) == (True, "w.bin", 256, (8, 8))
    assert not any(p.endswith("w.bin") for p in opens), "data read before it was asked for"
    np.testing.assert_array_equal(init.load(), WEIGHT)
    proto = load_model_proto(path, with_weights=True)
    t = proto.graph.initializer[0]
    assert t.data_location == TensorProto.DEFAULT and not t.external_data
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(t), WEIGHT)


def test_subfolder_location_is_fine(layout):
    model_dir, _, _ = layout
    (model_dir / "weights").mkdir()
    (model_dir / "weights" / "w.bin").write_bytes(WEIGHT.tobytes())
    path = write_model(model_dir, [("location", "weights/w.bin")])
    np.testing.assert_array_equal(open_graph(path).initializers["W"].load(), WEIGHT)


@pytest.mark.parametrize("location", ["../outside/secret.bin", "a/../../outside/secret.bin",
                                      "..\\outside\\secret.bin", "./../outside/secret.bin"])
def test_dotdot_locations_refused(layout, opens, location):
    model_dir, _, _ = layout
    (model_dir / "a").mkdir()
    msg = assert_refused(write_model(model_dir, [("location", location)]), opens, "leaves the model's folder")
    assert repr(location) in msg


def test_absolute_location_refused(layout, opens):
    model_dir, _, secret = layout
    assert_refused(write_model(model_dir, [("location", str(secret))]), opens, "absolute path")


def test_symlink_pointing_out_refused(layout, opens):
    model_dir, _, secret = layout
    os.symlink(secret, model_dir / "w.bin")
    assert_refused(write_model(model_dir, [("location", "w.bin")]), opens, "symbolic link")


def test_symlinked_folder_pointing_out_refused(layout, opens):
    model_dir, outside, _ = layout
    os.symlink(outside, model_dir / "data")
    assert_refused(write_model(model_dir, [("location", "data/secret.bin")]), opens, "symbolic link")


def test_hardlink_to_outside_refused(layout, opens):
    model_dir, _, secret = layout
    os.link(secret, model_dir / "w.bin")
    assert_refused(write_model(model_dir, [("location", "w.bin")]), opens, "hard links")


@pytest.mark.parametrize("key,value,fragment", [
    ("offset", "-8", "not a non-negative integer"),
    ("offset", "abc", "not a non-negative integer"),
    ("offset", "0x10", "not a non-negative integer"),
    ("offset", " 8", "not a non-negative integer"),
    ("offset", str(2 ** 60), "past the end"),
    ("length", "-1", "not a non-negative integer"),
    ("length", str(2 ** 60), "truncated"),
    ("length", "9" * 40, "not a non-negative integer"),  # would overflow int64 anywhere else
    ("length", "128", "shape and dtype need 256"),
])
def test_bad_offset_or_length_refused(layout, opens, key, value, fragment):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    entries = [("location", "w.bin"), (key, value)]
    assert_refused(write_model(model_dir, entries), opens, fragment)


def test_offset_plus_length_overflow_refused(layout, opens):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    entries = [("location", "w.bin"), ("offset", str(2 ** 63 - 1)), ("length", str(2 ** 63 - 1))]
    assert_refused(write_model(model_dir, entries), opens, "past the end")


def test_missing_data_file(layout, opens):
    model_dir, _, _ = layout
    assert_refused(write_model(model_dir, [("location", "nowhere.bin")]), opens, "not found")


def test_truncated_data_file(layout, opens):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes()[:100])
    assert_refused(write_model(model_dir, [("location", "w.bin"), ("length", "256")]), opens, "truncated")


def test_data_file_shorter_than_shape_without_length(layout, opens):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes()[:100])
    assert_refused(write_model(model_dir, [("location", "w.bin")]), opens, "need 256")


def test_folder_as_location_refused(layout, opens):
    model_dir, _, _ = layout
    (model_dir / "w.bin").mkdir()
    assert_refused(write_model(model_dir, [("location", "w.bin")]), opens, "not a regular file")


def test_fifo_is_never_opened(layout, opens):
    """A named pipe blocks whoever opens it: if the loader opened it the test would hang."""
    model_dir, _, _ = layout
    os.mkfifo(model_dir / "w.bin")
    path = write_model(model_dir, [("location", "w.bin")])
    result = {}

    def go():
        try:
            open_graph(path)
        except ModelError as e:
            result["error"] = str(e)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "the loader opened the FIFO"
    assert "not a regular file" in result["error"]


@pytest.mark.parametrize("key", ["__class__", "__dict__", "_private", "basepath"])
def test_dangerous_keys_refused(layout, opens, key):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    assert_refused(write_model(model_dir, [("location", "w.bin"), (key, "x")]), opens, f"refusing key '{key}'")


def test_made_up_key_is_ignored_with_a_warning(layout):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    path = write_model(model_dir, [("location", "w.bin"), ("colour", "blue")])
    g = open_graph(path)
    assert any("unknown key 'colour'" in w and "'W'" in w for w in g.warnings)
    np.testing.assert_array_equal(g.initializers["W"].load(), WEIGHT)
    with pytest.warns(UserWarning, match="colour"):
        load_model_proto(path)


def test_repeated_and_missing_location(layout, opens):
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    assert_refused(write_model(model_dir, [("location", "w.bin"), ("location", "../x")]), opens, "given twice")
    assert_refused(write_model(model_dir, [("offset", "0")], name="m2.onnx"), opens, "no location")


def test_data_file_swapped_after_check_is_refused(layout):
    """Between open_graph (checks) and load() (reads), a link swapped in is noticed."""
    model_dir, _, secret = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    g = open_graph(write_model(model_dir, [("location", "w.bin")]))
    os.unlink(model_dir / "w.bin")
    os.symlink(secret, model_dir / "w.bin")
    with pytest.raises(ModelError, match="'W'"):
        g.initializers["W"].load()


def test_external_tensor_in_a_constant_node_is_checked(layout, opens):
    model_dir, _, _ = layout
    t = TensorProto(name="c", data_type=TensorProto.FLOAT, dims=[8, 8])
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "../outside/secret.bin"
    g = helper.make_graph([helper.make_node("Constant", [], ["W"], name="const", value=t),
                           helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    path = model_dir / "const.onnx"
    path.write_bytes(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    with pytest.raises(ModelError, match=r"const.*leaves the model's folder"):
        open_graph(path)


def test_check_model_file_before_a_native_library_sees_the_path(layout, opens):
    from studio.core.graph.onnx_loader import check_model_file
    model_dir, _, _ = layout
    (model_dir / "w.bin").write_bytes(WEIGHT.tobytes())
    good = write_model(model_dir, [("location", "w.bin"), ("note", "x")])
    assert any("'note'" in w for w in check_model_file(good))
    bad = write_model(model_dir, [("location", "../outside/secret.bin")], name="bad.onnx")
    with pytest.raises(ModelError, match="leaves the model's folder"):
        check_model_file(bad)
