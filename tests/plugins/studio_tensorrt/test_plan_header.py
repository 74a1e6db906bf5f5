from studio.core.backends.base import BuildConfig
from studio.core.progress import TaskState
from studio_tensorrt.builder import build_engine
from studio_tensorrt.library import load_library
from studio_tensorrt.plan_header import inspect_plan, parse_rtx_header, read_header


def test_header_of_a_real_plan_and_of_damaged_ones(mlp_model, tmp_path):
    eng = tmp_path / "m.engine"
    build_engine(BuildConfig(str(mlp_model), "tensorrt", str(eng)), TaskState())
    hdr = parse_rtx_header(read_header(eng))
    lib = load_library()
    assert hdr["declared_size"] == eng.stat().st_size
    assert lib.version.startswith(hdr["library_version"])
    facts = inspect_plan(eng, None, trusted=False)
    assert not any("truncated" in r or "not a TensorRT-RTX plan" in r for r in facts["reasons"])

    cut = tmp_path / "cut.engine"
    cut.write_bytes(eng.read_bytes()[:1000])
    assert any("truncated" in r for r in inspect_plan(cut, None, False)["reasons"])

    junk = tmp_path / "junk.engine"
    junk.write_bytes(b"\x00garbage" * 100)
    reasons = inspect_plan(junk, None, False)["reasons"]
    assert any("not a TensorRT-RTX plan" in r for r in reasons)
    assert any("malformed" in r for r in reasons)     # TensorRT-RTX's own header check agrees

    old = tmp_path / "old.engine"
    data = bytearray(eng.read_bytes())
    data[25] = (data[25] + 1) % 256                   # pretend another minor version built it
    old.write_bytes(bytes(data))
    assert any("plans run only with the library version" in r for r in inspect_plan(old, None, False)["reasons"])
