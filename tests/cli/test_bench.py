import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources/demo/generated/intent-minilm.onnx"
VAL = ROOT / "resources/demo/intents_validation.csv"


def _json(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)


def test_bench_json_contract(capsys, mlp_path, tmp_path):
    out = tmp_path / "r.json"
    d = _json(capsys, ["bench", mlp_path, "--batch", "1,8", "--concurrency", "1,2", "--duration", "0.2",
                       "--warmup", "0.05", "--threads", "1", "--json", "-o", str(out)])
    assert [(r["batch"], r["concurrency"]) for r in d["runs"]] == [(1, 1), (1, 2), (8, 1), (8, 2)]
    for r in d["runs"]:
        assert r["throughput"] > 0
        assert {"mean", "p50", "p90", "p95", "p99", "max"} <= set(r["latency_ms"])
    assert d["runs"][0]["cold_start"]["context_ms"] > 0
    from studio.core.bench.results import load

    assert len(load(out).runs) == 4


def test_bench_open_loop_with_batcher(capsys, mlp_path):
    d = _json(capsys, ["bench", mlp_path, "--qps", "300", "--max-batch", "8", "--max-delay-ms", "3",
                       "--duration", "0.3", "--warmup", "0.05", "--json"])
    run = d["runs"][0]
    assert run["load"]["pattern"] == "open" and run["load"]["dynamic_batcher"]["max_batch"] == 8
    assert run["queue_ms"]["p50"] >= 0 and run["inference_ms"]["p50"] > 0


@pytest.mark.parametrize("argv, msg", [
    (["--duration", "0"], "--duration must be more than 0"),
    (["--batch", "0"], "every value must be at least 1"),
    (["--batch", "a,b"], "--batch 'a,b': expected whole numbers separated by commas"),
    (["--max-batch", "8"], "--max-batch is for open-loop runs"),
    (["--passes", "0"], "passes must be at least 1"),
    (["--passes", "1", "--qps", "100"], "whole passes over the inputs are for closed-loop runs"),
])
def test_bench_bad_input_exit_2(capsys, mlp_path, argv, msg):
    assert main(["bench", mlp_path, *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err


def test_bench_data_that_does_not_fit(capsys, mlp_path):
    assert main(["bench", mlp_path, "--data", str(VAL), "--duration", "0.1"]) == 2
    assert "a text file cannot feed this model: it expects input(s) x" in capsys.readouterr().err


def test_tensorrt_engine_batch_beyond_profile_and_no_gpu(capsys, mlp_path, tmp_path):
    """A real TensorRT-RTX build (CPU), then: a batch over the profile's max, and no GPU here."""
    engine = tmp_path / "mlp.engine"
    assert main(["build", mlp_path, "--backend", "tensorrt", "-o", str(engine), "-q"]) == 0
    capsys.readouterr()
    assert main(["bench", str(engine), "--batch", "64"]) == 2
    err = capsys.readouterr().err
    assert "batch 64 is larger than the engine's optimization profile allows (max batch 32)" in err
    from studio_tensorrt.runner import TensorRTRunner

    if TensorRTRunner(engine).why_not_runnable() is None:
        pytest.skip("this machine runs TensorRT engines")
    assert main(["bench", str(engine), "--batch", "8", "--duration", "0.2"]) == 2
    err = capsys.readouterr().err
    assert "cannot run this engine here" in err and "compute capability" in err


def test_bench_builds_onnx_first_for_onnxruntime(capsys, mlp_path, tmp_path, monkeypatch):
    import studio.cli.cmd_bench as cb

    monkeypatch.setattr(cb, "CACHE", tmp_path / "cache")
    d = _json(capsys, ["bench", mlp_path, "--backend", "onnxruntime", "--precision", "fp16", "--duration", "0.2",
                       "--warmup", "0.05", "--json", "-q"])
    assert d["backend"] == "onnxruntime" and d["precision"] == "fp16"
    assert Path(d["artifact"]).parent == tmp_path / "cache" and Path(d["artifact"] + ".json").exists()
    again = _json(capsys, ["bench", mlp_path, "--backend", "onnxruntime", "--precision", "fp16",
                           "--iterations", "20", "--warmup", "0", "--json", "-q"])
    assert again["artifact"] == d["artifact"] and again["runs"][0]["requests"] == 20   # cached build reused


def test_bench_build_cache_follows_the_backends_code(tmp_path, monkeypatch):
    """A cached build is keyed on the backend package's sources: an edit there means a rebuild."""
    import studio.cli.cmd_bench as cb
    import studio.core.backends.registry as registry

    pkg = tmp_path / "studio_probe_backend"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "backend.py").write_text("RECIPE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_entry_points", lambda: {"probe": "studio_probe_backend.backend:Probe"})
    first = cb._code_fingerprint("probe")
    assert cb._code_fingerprint("probe") == first
    (pkg / "backend.py").write_text("RECIPE = 2\n")
    assert cb._code_fingerprint("probe") != first


@pytest.mark.slow
@pytest.mark.skipif(not DEMO.exists(), reason="demo model not generated (make demo-model)")
def test_bench_demo_model_real_texts_subprocess(tmp_path):
    """The installed command on the demo model with the validation texts at their own lengths."""
    out = subprocess.run([sys.executable, "-m", "studio", "bench", str(DEMO), "--data", str(VAL), "--batch", "8",
                          "--iterations", "6", "--warmup-iters", "1", "--threads", "1", "--json"],
                         capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["inputs"]["kind"] == "text" and d["inputs"]["samples"] == 182
    assert d["inputs"]["lengths"]["max"] > d["inputs"]["lengths"]["min"]
    assert d["runs"][0]["requests"] == 6 and d["runs"][0]["samples"] == 48


def test_whole_passes_time_every_build_on_the_same_texts(capsys):
    """The validation texts at their own lengths make 6 batches of 32 of different widths: a run
    that timed only the first says so; --passes times each batch as often, with any client count."""
    argv = ["bench", str(DEMO), "--data", str(VAL), "--batch", "32", "--warmup-iters", "1", "--threads", "1"]
    d = _json(capsys, [*argv, "--passes", "1", "--concurrency", "1,2", "--json"])
    assert [(r["concurrency"], r["requests"], r["samples"]) for r in d["runs"]] == [(1, 6, 192), (2, 6, 192)]
    assert not any("of the inputs'" in w for r in d["runs"] for w in r["warnings"])
    assert main([*argv, "--iterations", "2"]) == 0   # the table, and the warnings on stderr
    err = capsys.readouterr().err
    assert "timed 2 of the inputs' 6 batches (they differ in length)" in err and "--passes 1" in err


def test_bench_imports_trtexec_exports(capsys, tmp_path):
    fix = ROOT / "tests/plugins/studio_tensorrt/fixtures"
    d = _json(capsys, ["bench", "--import-trtexec", str(fix / "trtexec_times_trt10.json"), "--import-profile",
                       str(fix / "trtexec_profile_trt10.json"), "--batch", "8", "--json", "-o", str(tmp_path / "t.json")])
    assert d["source"] == "trtexec" and d["runs"][0]["batch"] == 8 and d["runs"][0]["requests"] == 40
    assert set(d["runs"][0]["timing_split"]) == {"h2d", "compute", "d2h", "enqueue"}
    assert d["layer_profile"]["runs"] == 250
    assert main(["bench"]) == 2
    assert "give MODEL_OR_ENGINE" in capsys.readouterr().err
