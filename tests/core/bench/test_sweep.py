"""A sweep on this machine, for real: a user's export built per precision by the local executor's
child processes, measured at each batch size, failures recorded with their reason, a cancel
counting nothing, and the serving plan made from what was measured."""

import threading
from pathlib import Path

import pytest

from studio.core.backends.base import BuildConfig
from studio.core.bench.sweep import SweepRequest, billed_device, run_sweep, with_plan
from studio.core.errors import StudioError
from studio.core.jobs.executor import LocalExecutor

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
pytestmark = pytest.mark.slow


def _request(tmp_path, **builds) -> SweepRequest:
    configs = {p: BuildConfig(str(MODEL), "onnxruntime", str(tmp_path / f"model.{p}.ort.onnx"), precision="fp32",
                              options=options)
               for p, options in builds.items()}
    return SweepRequest(str(MODEL), configs, batches=[1, 4], concurrencies=[1], out_dir=str(tmp_path / "out"),
                        duration_s=0.3, warmup_s=0.1)


def test_a_sweep_measures_every_configuration_and_keeps_going_past_a_failed_build(tmp_path):
    seen = []
    result = run_sweep(_request(tmp_path, fp32={}, broken={"no_such_option": 1}), LocalExecutor(), on_run=seen.append)
    assert [(r.target, r.precision, r.batch) for r in result.runs] == [("local", "fp32", 1), ("local", "fp32", 4)]
    assert seen == result.runs                       # streamed as they arrived
    for r in result.runs:
        assert r.throughput > 0 and 0 < r.latency_ms["p50"] <= r.latency_ms["p99"]
        assert Path(r.build) == tmp_path / "out" / "local" / "model.fp32.ort.onnx" and Path(r.build).is_file()
    [failed] = result.failed
    assert failed.what == "build" and "no_such_option" in failed.error
    assert result.inputs["kind"] == "synthetic"
    [curve] = result.curves()
    assert curve.batches == [1, 4]
    planned = with_plan(result, 100.0, 50.0, {"local": 0.1}, default_price=2.5).plan
    assert planned.cheapest.devices >= 1 and planned.cheapest.device == billed_device(result.targets[0])
    assert "CPU (" in planned.cheapest.device                      # a CPU is not billed as a GPU
    with pytest.raises(StudioError, match="--price names t4, not a target"):
        with_plan(result, 100.0, 50.0, {"t4": 0.35}, default_price=2.5)


def test_a_cancelled_sweep_counts_nothing(tmp_path):
    cancel = threading.Event()
    runs = []

    def first_run_then_cancel(run):
        runs.append(run)
        cancel.set()

    with pytest.raises(StudioError, match="cancelled"):
        run_sweep(_request(tmp_path, fp32={}), LocalExecutor(), on_run=first_run_then_cancel, cancel=cancel)
    assert len(runs) == 1                           # the second batch size never started


def test_an_unknown_target_is_refused_before_anything_runs(tmp_path):
    req = _request(tmp_path, fp32={})
    req = SweepRequest(**{**req.__dict__, "targets": ["t4"]})
    with pytest.raises(StudioError, match="no target 't4' here; the targets are: local"):
        run_sweep(req, LocalExecutor())
    assert not (tmp_path / "out").exists()


def test_the_pareto_front_keeps_what_no_other_run_beats_on_both_axes():
    from studio.core.bench.sweep import SweepResult, SweepRun, pareto

    def run(target, throughput, p99):
        return SweepRun(target, "", "onnxruntime", "fp32", "b", 1, 1, throughput, throughput,
                        {"p50": p99 / 2, "p99": p99})

    a = [run("a", 100, 5), run("a", 300, 9), run("a", 200, 12), run("a", 300, 10), run("a", 50, 5)]
    assert [(r.throughput, r.latency_ms["p99"]) for r in pareto(a)] == [(100, 5), (300, 9)]
    both = SweepResult(runs=a + [run("b", 10, 50)])
    assert [r.target for r in both.pareto()] == ["a", "a", "b"]          # each target has its own front
    assert [r["pareto"] for r in both.to_dict()["runs"]] == [True, True, False, False, False, True]
