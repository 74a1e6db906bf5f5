"""The fuzz run in CI size: ~300 seeded mutated ONNX files through the open path
(benchmarks/bench_fuzz_open.py, the same code as the 10,000-file benchmark), each opened in a worker
process so a native crash would be seen, plus `engine-studio inspect` in a child on a sample.
Extends the in-process fuzz test (tests/core/graph/test_onnx_loader.py) with protobuf-
level mutations (hostile external data, absurd dims, bad attributes/opsets, cycles), the demo model
as a seed, a crash/hang oracle and the CLI's one-line contract."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT


def _fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz_open", ROOT / "benchmarks" / "bench_fuzz_open.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_300_mutated_models_open_or_fail_cleanly_and_nothing_crashes():
    fuzz = _fuzz_module()
    res = fuzz.run(300, seed=7, jobs=2, with_demo=True, demo_share=0.01, inspect_every=60, timeout=60)
    c = res["counts"]
    assert c["bug"] == c["crash"] == c["hang"] == 0, res["failures"]
    assert c["opened"] > 30 and c["error"] > 100, c  # both outcomes are exercised
    assert sum(c.values()) == 300 and not res["generator_errors"]
    assert res["inspect_sample"]["runs"] == 5 and res["inspect_sample"]["ok"] == 5, res["inspect_sample"]
    # protobuf-level mutations really happened (hostile external data among them)
    assert res["by_mutation"].get("proto:external", {}).get("error", 0) > 0


def test_the_oracle_sees_a_crashing_open_path(tmp_path):
    """The harness itself: a worker that dies is counted as a crash and replaced, the caller lives."""
    fuzz = _fuzz_module()
    w = fuzz.Worker(mem_mb=4096)
    try:
        p = tmp_path / "ok.onnx"
        fuzz._mlp().SerializeToString()
        p.write_bytes(fuzz._mlp().SerializeToString())
        assert w.open(str(p), 60)["r"] == "opened"
        w.p.kill()  # stands in for a segfault inside onnx's C++ code
        w.p.wait()
        assert w.open(str(p), 60)["r"] == "crash"
        assert w.open(str(p), 60)["r"] == "opened" and w.restarts == 1
    finally:
        w.close()
