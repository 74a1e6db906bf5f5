import pytest

from studio.core.backends.base import Backend
from studio.core.backends.registry import get_backend
from studio.core.errors import CapabilityError
from studio_tensorrt.backend import TensorRTBackend
from studio_tensorrt.library import GpuInfo, detect_gpu, load_library


def test_registered_through_the_entry_point_and_implements_the_protocol():
    b = get_backend("tensorrt")
    assert isinstance(b, TensorRTBackend) and isinstance(b, Backend)
    assert b.name == "tensorrt"


def test_capabilities_are_data_with_reasons():
    caps = TensorRTBackend().capabilities()
    lib = load_library()
    assert caps.library == f"tensorrt_rtx {lib.version}"
    assert set(caps.precisions) == {"fp32", "fp16", "bf16", "int8", "fp8"}
    assert all(caps.precisions[p] is None for p in ("fp32", "fp16", "bf16", "int8"))
    caps.check_precision("int8")
    assert caps.build_needs_gpu is False and caps.run_needs_gpu is True
    assert caps.layer_profiling is True and caps.timing_cache is False
    gpu = detect_gpu()
    if not gpu.present:
        assert "8.0, 8.6, 8.9 or 12.x" in caps.can_run_here and "no" in caps.can_run_here.lower()
    caps.to_dict()


def test_unknown_library_is_refused():
    b = TensorRTBackend(prefer="tensorrt_lts")
    caps = b.capabilities()
    assert "unknown TensorRT library" in caps.precisions["fp32"]
    with pytest.raises(CapabilityError):
        caps.check_precision("fp32")


def test_library_is_a_value_not_a_switch():
    a, b = load_library(), load_library("tensorrt_rtx")
    assert a.module is b.module and a.is_rtx
    assert a.cuda_version and a.cuda_version.isdigit()


def test_rtx_run_rule():
    lib = load_library("tensorrt_rtx")
    assert lib.runs_on((8, 6)) and lib.runs_on((12, 0)) and lib.runs_on((8, 9))
    assert not lib.runs_on((9, 0)) and not lib.runs_on((7, 5))


def test_gpu_detection_never_raises():
    info = detect_gpu()
    assert isinstance(info, GpuInfo)
    assert info.present or info.reason


def test_an_installed_library_that_fails_to_load_is_said_so_not_taken_for_absent(tmp_path):
    """Out of memory or a broken wheel makes the native library fail to load; "pip install
    tensorrt-rtx" would send the user the wrong way."""
    import os
    import subprocess
    import sys

    broken = tmp_path / "tensorrt_rtx"
    broken.mkdir()
    (broken / "__init__.py").write_text(
        'raise ImportError("libtensorrt_rtx.so.1: cannot open shared object file: No such file or directory")\n')
    probe = ("from studio_tensorrt.library import library_or_reason\n"
             "print(library_or_reason('tensorrt_rtx')[1]); print(library_or_reason()[1])")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    forced, either = r.stdout.strip().splitlines()
    assert forced == ("tensorrt_rtx is installed but could not be loaded (ImportError: libtensorrt_rtx.so.1: "
                      "cannot open shared object file: No such file or directory)"), r.stderr
    assert either == forced  # full TensorRT is simply absent here: only the real problem is named
