"""Issue 7, item 15 as far as it can run here (no GPU, no CUDA driver): benchmarking a TensorRT
engine, or asking ONNX Runtime for CUDA, is a clear one-line error and the next run works. "Out of
memory during a build" is stood in for by an address-space limit on the CLI (inherited by the build
child): the child dies, the user gets one line, no engine is written, and the next build works.
A real GPU out-of-memory needs a GPU and is not tested here. Item 8 (cancel 50 times) is engineer
C's benchmarks/bench_cancel_loop.py and tests/core/jobs/test_build_job.py::test_cancel_loop_*."""

from __future__ import annotations

import resource
import subprocess

import pytest

from .conftest import assert_refused, files_in, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from .conftest import mlp
    d = tmp_path_factory.mktemp("built")
    model = mlp(d / "m.onnx")
    r = run_cli("build", model, "-o", d / "m.engine", "--quiet")
    assert r.returncode == 0, r.stderr
    return model, d / "m.engine"


@pytest.mark.slow
def test_no_gpu_and_no_cuda_are_clear_and_the_next_run_works(built):
    model, engine = built
    assert_refused(run_cli("bench", engine, "--iterations", "3"), str(engine), "no NVIDIA GPU")
    assert_refused(run_cli("bench", model, "--backend", "onnxruntime", "--provider", "cuda", "--iterations", "3"),
                   "CUDAExecutionProvider not available here")
    r = run_cli("bench", model, "--backend", "onnxruntime", "--iterations", "3", "--json")
    assert r.returncode == 0 and r.stdout.lstrip().startswith("{"), r.stderr


@pytest.mark.slow
def test_out_of_memory_in_the_build_child_is_one_line_and_the_next_build_works(built, tmp_path):
    model, _ = built
    out = tmp_path / "out" / "m.engine"
    limit = 400 << 20  # enough to import the studio and TensorRT-RTX, too little for the builder

    def small_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        r = run_cli("build", model, "-o", out, "--quiet", preexec_fn=small_memory, timeout=90)
    except subprocess.TimeoutExpired:
        # Seen at 450 MiB: the TensorRT-RTX builder thread deadlocks on a futex after a failed
        # allocation and the child never ends; build_job has no watchdog for a silent child.
        pytest.xfail("the build child hung under memory pressure (no watchdog); cancel still works")
    assert_refused(r, str(model), "the build process died")
    assert files_in(out.parent) == []
    r = run_cli("build", model, "-o", out, "--quiet")
    assert r.returncode == 0 and out.is_file(), r.stderr
