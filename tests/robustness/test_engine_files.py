"""Hostile engine files through the real CLI (`check`, `check --trust`, `bench`,
`layers`). The header is read, the plan is never deserialized by `check` without --trust (and with
it only on a GPU, in a child, host code disallowed); each refusal says why.

Not testable here: a version-compatible plan or one with embedded plugin libraries (TensorRT-RTX
1.7 cannot build VERSION_COMPATIBLE without libnvinfer_lean, which is not shipped), and a real
deserialization (no GPU). A full-TensorRT-looking header stands in for "another library"."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import assert_refused, files_in, mlp, run_cli


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("engine")
    model = mlp(d / "m.onnx")
    r = run_cli("build", model, "-o", d / "m.engine", "--quiet")
    assert r.returncode == 0, r.stderr
    return d / "m.engine"


def _check(path, *extra):
    r = run_cli("check", path, "--json", *extra)
    assert "Traceback" not in r.stderr and r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def _variant(engine, tmp_path, name, mutate, sidecar=False):
    b = bytearray(engine.read_bytes())
    mutate(b)
    p = tmp_path / name
    p.write_bytes(bytes(b))
    if sidecar:
        shutil.copy(str(engine) + ".json", str(p) + ".json")
    return p


@pytest.mark.slow
def test_check_explains_every_refusal(engine, tmp_path):
    garbage = tmp_path / "garbage.engine"
    garbage.write_bytes(bytes(range(256)) * 20)
    cases = {
        "garbage": (garbage, "does not start with the plan header"),
        "truncated": (_variant(engine, tmp_path, "trunc.engine", lambda b: b.__delitem__(slice(2000, None))),
                      "truncated or padded"),
        "other version": (_variant(engine, tmp_path, "old.engine", lambda b: b.__setitem__(slice(24, 27), b"\x01\x05\x00")),
                          "plans run only with the library version that built them"),
        "full TensorRT": (_variant(engine, tmp_path, "full.engine", lambda b: b.__setitem__(slice(0, 4), b"ftrt")),
                          "built by full TensorRT"),
        "modified after build": (_variant(engine, tmp_path, "mod.engine", lambda b: b.__setitem__(-1, b[-1] ^ 1), sidecar=True),
                                 None),
    }
    for label, (path, why) in cases.items():
        for extra in ((), ("--trust",)):
            rc, doc = _check(path, *extra)
            assert rc == 1 and not doc["runs_here"], (label, doc)
            if why:
                assert any(why in r for r in doc["reasons"]), (label, doc["reasons"])
            assert not doc["trusted"], label
        if label == "modified after build":
            assert "modified or replaced after the build" in doc["trust_reason"]


@pytest.mark.slow
def test_sidecar_from_another_gpu_or_library_is_explained(engine, tmp_path):
    p = tmp_path / "e.engine"
    shutil.copy(engine, p)
    doc = json.loads((engine.parent / "m.engine.json").read_text())
    doc["library_version"] = "1.5.0"
    doc["target_compute_capabilities"] = ["7.5"]
    (tmp_path / "e.engine.json").write_text(json.dumps(doc))
    rc, rep = _check(p)
    assert rc == 1 and any("this machine has" in r for r in rep["reasons"]), rep


@pytest.mark.slow
def test_engines_without_sidecar_are_refused_by_bench_and_layers(tmp_path):
    garbage = tmp_path / "garbage.engine"
    garbage.write_bytes(b"\x00" * 4096)
    assert_refused(run_cli("bench", garbage), str(garbage), "no sidecar")
    assert_refused(run_cli("layers", garbage), str(garbage), "without deserializing")
    assert files_in(tmp_path) == ["garbage.engine"]
