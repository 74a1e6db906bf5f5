"""Benchmark panel, compare view and export, on real ONNX Runtime builds of a small model."""

import json
from pathlib import Path

import numpy as np
import pytest


def _build(qtbot, window, backend, precision):
    panel = window.build_panel
    panel.select_backend(backend)
    panel.select_precision(precision)
    with qtbot.waitSignal(panel.built, timeout=120000) as sig:
        assert panel.start_build() is not None
    return sig.args[0]


@pytest.mark.slow
def test_benchmark_two_builds_compare_and_export(qtbot, window, tiny_model, open_model, tmp_path):
    open_model(window, tiny_model)
    fp32 = _build(qtbot, window, "onnxruntime", "fp32")
    int8 = _build(qtbot, window, "onnxruntime", "int8")
    bench = window.bench
    assert bench.build_list.count() == 2
    bench.duration.setValue(0.6)
    bench.batches.setText("1")
    with qtbot.waitSignal(bench.finished, timeout=60000) as sig:
        window.workflow.run_benchmark()
    out = sig.args[0]
    assert [e.key for e, _ in out] == [fp32.key, int8.key]
    # both builds are overlaid on the latency plot, and the table has their final figures
    assert len([c for k, c in bench.live.curves.items() if not k.startswith("__")]) == 2
    x, y = bench.live.curves[f"{fp32.key}|0"]["lat"].getOriginalDataset()
    assert len(y) == out[0][1].requests and np.all(y > 0)
    assert bench.live.table.rowCount() == 2
    # shown with three decimals: equal to within half of the last one
    assert float(bench.live.table.item(0, 5).text()) == pytest.approx(out[0][1].latency_ms.p99, abs=5e-4)
    # results are saved as the CLI saves them, and the compare view reads them
    saved = json.loads(Path(window.session.result_file(window.session.runs[fp32.key])).read_text())
    assert saved["kind"] == "bench" and saved["precision"] == "fp32"
    figs = window.compare.figures()
    assert figs["tp"].endswith("x") and figs["p99"].endswith("ms") and figs["cost"].startswith("$")
    sp = window.compare.speedup
    assert sp.throughput_ratio == pytest.approx(max(r.throughput for _, r in out) / min(r.throughput for _, r in out),
                                                rel=1e-6) or sp.throughput_ratio > 0
    # the price changes the cost and nothing else
    before = figs["cost"]
    window.compare.price.setValue(window.compare.price.value() * 2)
    assert window.compare.figures()["cost"] != before and window.compare.figures()["tp"] == figs["tp"]
    # export the best build with its sidecar, and a report
    task = window.workflow.export_engine_dialog(str(tmp_path / "export"))
    qtbot.waitUntil(lambda: not task.running and bool(window.workflow.last_export), timeout=30000)
    names = sorted(Path(f).name for f in window.workflow.last_export)
    assert any(n.endswith(".onnx") for n in names) and any(n.endswith(".onnx.json") for n in names)
    task = window.workflow.export_report_dialog(str(tmp_path / "report.html"))
    qtbot.waitUntil(lambda: not task.running and window.workflow.last_report is not None, timeout=60000)
    html = (tmp_path / "report.html").read_text()
    assert "Content-Security-Policy" in html and "int8" in html.lower()
    # the saved results reopen in a fresh window (File > Open or drop) with the same comparison
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings
    other = MainWindow(settings=Settings(tmp_path / "other.ini"), modal_errors=False)
    qtbot.addWidget(other)
    other.compare.price.setValue(window.compare.price.value())
    for res in window.session.runs.values():
        other.open_path(window.session.result_file(res))
    assert other.compare.figures()["tp"] == window.compare.figures()["tp"]
    assert other.compare.figures()["cost"] == window.compare.figures()["cost"]
    other.close()


def _one_build_ready(qtbot, window, tiny_model, open_model, duration_s: float):
    """The benchmark panel with one real ONNX Runtime fp32 build checked, batch 1."""
    open_model(window, tiny_model)
    entry = _build(qtbot, window, "onnxruntime", "fp32")
    bench = window.bench
    bench.check([entry.key])
    bench.duration.setValue(duration_s)
    bench.batches.setText("1")
    return bench


def test_stop_ends_a_running_benchmark_with_what_was_measured(qtbot, window, tiny_model, open_model):
    bench = _one_build_ready(qtbot, window, tiny_model, open_model, 30)
    bench.start()
    qtbot.waitUntil(lambda: any(s.t.n > 5 for s in bench.live.series.values()), timeout=30000)
    with qtbot.waitSignal(bench.finished, timeout=5000) as sig:
        bench.stop()
    qtbot.waitUntil(lambda: bench.run_btn.isEnabled(), timeout=5000)
    assert bench.status.text() == "stopped: 1 run(s)"
    run = sig.args[0][0][1]
    assert run.stopped_early and run.requests > 5
    # what the run warns of is shown beside its figures, as the command line prints it
    assert bench.warnings.isVisibleTo(bench) == bool(run.warnings)
    assert all(w in bench.warnings.text() for w in run.warnings)
    assert not bench.stop_btn.isEnabled() and bench.run_btn.isEnabled()


def test_whole_passes_over_the_inputs_instead_of_a_duration(qtbot, window, tiny_model, open_model):
    bench = _one_build_ready(qtbot, window, tiny_model, open_model, 30)
    bench.passes.setValue(2)
    assert [cfg.passes for _, cfg, _ in bench.plan_runs()] == [2]
    with qtbot.waitSignal(bench.finished, timeout=60000) as sig:
        bench.start()
    run = sig.args[0][0][1]
    assert run.requests == 2 * 64   # synthetic ids: 64 samples, one per request at batch 1
    assert not run.stopped_early and run.duration_s < 30
    bench.pattern.setCurrentIndex(bench.pattern.findData("qps"))
    assert bench.pattern.currentData() == "qps"
    assert {cfg.passes for _, cfg, _ in bench.plan_runs()} == {None}   # an open loop lasts the duration


def test_a_runtime_crash_in_a_benchmark_is_one_error_and_the_window_works_on(qtbot, window, tiny_model, open_model,
                                                                            monkeypatch):
    """Benchmarks run in a child process: a segfault in the runtime fails that run, not the window."""
    from studio.core.jobs.child import FAULT_ENV
    from studio.core.jobs.launch import live_children

    bench = _one_build_ready(qtbot, window, tiny_model, open_model, 0.5)
    monkeypatch.setenv(FAULT_ENV, "segv:Benchmark")
    with qtbot.waitSignal(bench.failed, timeout=30000) as sig:
        bench.start()
    assert "the benchmark process died with SIGSEGV" in sig.args[0] and "\n" not in sig.args[0]
    qtbot.waitUntil(lambda: bench.run_btn.isEnabled(), timeout=5000)
    assert live_children() == []
    monkeypatch.delenv(FAULT_ENV)
    with qtbot.waitSignal(bench.finished, timeout=30000) as sig:
        bench.start()
    assert sig.args[0][0][1].requests > 0


def test_tensorrt_builds_cannot_be_benchmarked_here_and_say_why(window):
    bench = window.bench
    with pytest.raises(Exception, match="check at least one build"):
        bench.plan_runs()


def test_live_plots_downsample_a_fast_stream(qtbot, window):
    """Replay a recorded-shape stream of 20k samples: one frame draws them all, the table shows
    live percentiles, and a frame stays cheap."""
    from studio.core.bench.harness import Sample
    bench = window.bench
    rng = np.random.default_rng(0)
    lat = rng.lognormal(0.0, 0.3, 20000)
    samples = [Sample(seq=i, t=i / 1000.0, latency_ms=float(lat[i]), batch=1) for i in range(20000)]
    bench.live.ensure_series("replay", "replay b1")
    bench.live.add_samples("replay", samples[:10000])
    bench.live.refresh(force=True)
    bench.live.add_samples("replay", samples[10000:])
    bench.live.refresh(force=True)
    x, y = bench.live.curves["replay"]["lat"].getOriginalDataset()
    assert len(y) == 20000
    assert float(bench.live.table.item(0, 5).text()) == pytest.approx(np.percentile(lat, 99), rel=1e-3)
    tp_x, tp_y = bench.live.curves["replay"]["tp"].getData()
    assert np.median(tp_y) == pytest.approx(1000, rel=0.05)
    bench.live.add_samples("replay", samples[:1000])
    bench.live.refresh()
    assert bench.live.last_refresh_ms < 1000   # redraws what is new, not 21,000 samples again



def test_a_new_benchmark_reuses_the_runs_curves_and_relabels_its_legend(window):
    """A start recolours and relabels the curves of the last benchmark rather than making new
    ones; a run that the new benchmark does not make is hidden, and the legend lists only the new
    runs."""
    from studio.core.bench.harness import Sample
    live = window.bench.live
    live.clear_plots()
    for i in range(3):
        live.ensure_series(f"a|{i}", f"old run {i}", "#ff0000")
        live.add_samples(f"a|{i}", [Sample(seq=0, t=0.1, latency_ms=1.0, batch=1)])
    live.refresh(force=True)
    first = [live.curves[f"a|{i}"]["lat"] for i in range(3)]
    items = len(live.lat_plot.items)

    live.clear_plots()
    live.ensure_series("b|0", "new run", "#00ff00")
    assert live.curves["b|0"]["lat"] is first[0]
    assert len(live.lat_plot.items) == items                  # nothing made, nothing removed
    assert not first[1].isVisible() and not first[2].isVisible()
    assert first[1].getData()[0] is None                       # the old trace is gone, not just hidden
    assert [label.text for _, label in live.lat_plot.legend.items] == ["new run"]
    assert live.curves["b|0"]["tp"].opts["pen"].color().name() == "#00ff00"
@pytest.mark.slow
def test_closing_the_window_mid_benchmark_stops_it(qtbot, tiny_model, tmp_path):
    import threading
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings
    win = MainWindow(settings=Settings(tmp_path / "s.ini"), modal_errors=False)
    win.build_panel.output_dir = str(tmp_path / "builds")
    qtbot.addWidget(win)
    win.show()
    win.open_path(tiny_model)
    qtbot.waitUntil(lambda: win.graphs.before.ready, timeout=30000)
    entry = _build(qtbot, win, "onnxruntime", "fp32")
    win.bench.check([entry.key])
    win.bench.duration.setValue(60)
    win.bench.batches.setText("1")
    task = win.bench.start()
    qtbot.waitUntil(lambda: any(s.t.n > 3 for s in win.bench.live.series.values()), timeout=30000)
    win.close()
    assert not task.running
    names = [t.name for t in threading.enumerate()]
    assert not any(n.startswith("studio-") or n == "bench" for n in names), names


@pytest.mark.slow
def test_qps_sweep_draws_a_curve_and_dynamic_batching_forms_batches(qtbot, window, tiny_model, open_model):
    open_model(window, tiny_model)
    entry = _build(qtbot, window, "onnxruntime", "fp32")
    bench = window.bench
    bench.check([entry.key])
    bench.duration.setValue(0.5)
    bench.batches.setText("1")
    bench.pattern.setCurrentIndex(bench.pattern.findData("qps"))
    bench.qps.setText("50, 150")
    with qtbot.waitSignal(bench.finished, timeout=60000) as sig:
        bench.start()
    runs = [r for _, r in sig.args[0]]
    assert [r.load["pattern"] for r in runs] == ["open", "open"]
    assert [r.load["offered_rate"] for r in runs] == [50.0, 150.0]
    qtbot.waitUntil(lambda: bench.run_btn.isEnabled(), timeout=5000)
    x, y = bench.live.curves["__curve__" + entry.key]["line"].getData()
    assert len(x) == 2 and list(x) == sorted(x)
    bench.pattern.setCurrentIndex(bench.pattern.findData("dynamic"))
    bench.qps.setText("400")
    bench.max_batch.setValue(8)
    with qtbot.waitSignal(bench.finished, timeout=60000) as sig:
        bench.start()
    run = sig.args[0][0][1]
    assert run.load["dynamic_batcher"]["max_batch"] == 8
    assert sum(run.batch_sizes.values()) > 0
    bench.qps.setText("fast")
    with qtbot.waitSignal(bench.failed, timeout=5000) as sig:
        qtbot.waitUntil(lambda: bench.run_btn.isEnabled(), timeout=5000)
        bench.start()
    assert "target QPS 'fast': expected numbers separated by commas" in sig.args[0]
