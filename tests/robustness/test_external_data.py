"""From the user's side: hostile external-data entries through the real CLI
(`inspect`, and `build`, whose native parser would follow the location by itself)."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
import pytest

from .conftest import assert_refused, files_in, mlp, run_cli


def ext_model(folder: Path, **entries: str) -> Path:
    """mlp with tensor W stored in folder/w.bin, then its external_data entries replaced by `entries`
    (keys in order; a key named key_x is written as x so that __class__ etc. can be given)."""
    src = mlp(folder / "src.onnx")
    m = onnx.load(src)
    onnx.save(m, folder / "model.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="w.bin", size_threshold=0)
    os.unlink(src)
    m = onnx.load(folder / "model.onnx", load_external_data=False)
    t = next(t for t in m.graph.initializer if t.name == "W")
    if entries:
        del t.external_data[:]
        for k, v in entries.items():
            e = t.external_data.add()
            e.key, e.value = (k[4:] if k.startswith("key_") else k), v
    with open(folder / "model.onnx", "wb") as fh:
        fh.write(m.SerializeToString())
    return folder / "model.onnx"


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "models"
    d.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"s" * 256)  # 8x8 float32: the right size for W
    return d


@pytest.mark.slow
@pytest.mark.parametrize("location, why", [
    ("../secret.bin", "leaves the model's folder"),
    ("ABS", "absolute path"),
    ("link.bin", "symbolic link"),
    ("hard.bin", "hard links"),
])
def test_location_leaving_the_folder_is_refused_naming_the_tensor(folder, location, why):
    secret = folder.parent / "secret.bin"
    os.symlink(secret, folder / "link.bin")
    os.link(secret, folder / "hard.bin")
    if location == "ABS":
        location = str(secret)
    atime = secret.stat().st_atime_ns
    model = ext_model(folder, location=location)
    r = run_cli("inspect", model)
    assert_refused(r, str(model), "tensor 'W'", why)
    assert secret.stat().st_atime_ns == atime  # nothing outside was opened (relatime permitting)


@pytest.mark.slow
def test_build_refuses_before_the_native_parser_sees_the_path(folder, tmp_path):
    model = ext_model(folder, location="../secret.bin")
    out = tmp_path / "out" / "m.engine"
    r = run_cli("build", model, "-o", out)
    assert_refused(r, str(model), "tensor 'W'", "leaves the model's folder")
    assert files_in(out.parent) == []


@pytest.mark.slow
@pytest.mark.parametrize("entries, why", [
    (dict(location="w.bin", offset="-1"), "offset '-1' is not a non-negative integer"),
    (dict(location="w.bin", length="abc"), "length 'abc' is not a non-negative integer"),
    (dict(location="w.bin", length=str(2 ** 60)), "truncated"),
    (dict(location="w.bin", offset=str(2 ** 63 - 1), length=str(2 ** 63 - 1)), "past the end"),
    (dict(location="missing.bin"), "not found"),
    (dict(location="w.bin", key___class__="x"), "refusing key '__class__'"),
])
def test_bad_numbers_missing_files_and_dangerous_keys(folder, entries, why):
    model = ext_model(folder, **entries)
    r = run_cli("inspect", model)
    assert_refused(r, str(model), "tensor 'W'", why)


@pytest.mark.slow
def test_truncated_data_file_and_made_up_key(folder):
    model = ext_model(folder, location="w.bin", offset="0", length="256", made_up="1")
    r = run_cli("inspect", model, "--json")
    assert r.returncode == 0, r.stderr
    assert "ignoring unknown key 'made_up'" in r.stdout  # the warning is part of the summary
    with open(folder / "w.bin", "r+b") as fh:
        fh.truncate(100)
    r = run_cli("inspect", model)
    assert_refused(r, str(model), "tensor 'W'", "truncated")


@pytest.mark.slow
def test_hostile_tensor_name_cannot_break_the_one_line_error(folder):
    """A name with a newline and a terminal escape is shown escaped: still one line."""
    model = ext_model(folder, location="../secret.bin")
    m = onnx.load(model, load_external_data=False)
    for t in m.graph.initializer:
        if t.name == "W":
            t.name = "W\nengine-studio: ok\x1b[2J"
    for n in m.graph.node:
        n.input[:] = [("W\nengine-studio: ok\x1b[2J" if i == "W" else i) for i in n.input]
    model.write_bytes(m.SerializeToString())
    line = assert_refused(run_cli("inspect", model), str(model), "leaves the model's folder")
    assert "\\n" in line and "\\x1b" in line


def test_huge_declared_length_keeps_memory_bounded(folder):
    """A 2^40-element tensor with a 2^40*4-byte length: refused from the sizes, nothing allocated."""
    import resource
    import subprocess
    import sys
    model = ext_model(folder, location="w.bin")
    m = onnx.load(model, load_external_data=False)
    t = next(t for t in m.graph.initializer if t.name == "W")
    t.dims[:] = [2 ** 20, 2 ** 20]
    del t.external_data[:]
    for k, v in (("location", "w.bin"), ("offset", "0"), ("length", str(2 ** 42))):
        e = t.external_data.add()
        e.key, e.value = k, v
    model.write_bytes(m.SerializeToString())
    code = ("import resource,sys; resource.setrlimit(resource.RLIMIT_AS, (1<<31, 1<<31));"
            "from studio.core.graph.onnx_loader import load_model_proto; from studio.core.errors import ModelError\n"
            "try:\n load_model_proto(sys.argv[1], with_weights=True)\nexcept ModelError as e: print(e)")
    r = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "truncated" in r.stdout and "tensor 'W'" in r.stdout, r.stderr
