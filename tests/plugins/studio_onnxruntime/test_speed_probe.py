"""The build's timing against its source: real ONNX Runtime runs of two models, and the warning
a build gives when it is not faster."""

from __future__ import annotations

from pathlib import Path

from studio_onnxruntime import speed_probe
from studio_onnxruntime.speed_probe import SpeedProbe, measure, worst

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "minilm_2in_pooled" / "model.onnx"


def test_a_model_against_itself_measures_both_on_a_long_and_a_short_batch():
    probes = measure(str(MODEL), str(MODEL))
    assert [p.shape for p in probes] == ["8 x 64", "32 x 16"]   # a long batch, and short texts
    for probe in probes:
        assert probe.source_ms > 0 and probe.build_ms > 0
        assert 0.2 < probe.speedup < 5   # the same model: any difference is noise, never a factor of 5


def test_the_worse_batch_decides():
    long_ok, short_slow = SpeedProbe("8 x 64", 10.0, 8.0), SpeedProbe("32 x 16", 4.0, 5.0)
    assert worst([long_ok, short_slow]) is short_slow
    assert "(32 x 16: 5.0 ms against 4.0 ms)" in worst([long_ok, short_slow]).warning()


def test_a_slower_build_warns_with_its_figures():
    assert SpeedProbe("8 x 64", source_ms=10.0, build_ms=8.0).warning() == ""
    slow = SpeedProbe("8 x 64", source_ms=9.0, build_ms=10.0)
    assert slow.to_dict()["speedup"] == 0.9
    assert slow.warning().startswith("this build ran at 0.90x the speed of the model it was built from")
    assert "10.0 ms against 9.0 ms" in slow.warning()


def test_a_slower_timing_is_timed_again_and_the_better_stands(monkeypatch):
    """Timings in the order `_time` gives them (the noise of a busy moment cannot be made on
    demand): per batch, a first timing, and a second only where the first was slower."""
    def scripted(*timings):
        queue = list(timings)
        monkeypatch.setattr(speed_probe, "_time", lambda src, out, feed, shape, flush: SpeedProbe(shape, *queue.pop(0)))
        return queue

    left = scripted((600.0, 1056.0), (599.0, 598.0), (500.0, 490.0))   # long: slow, then as fast; short: faster
    probes = measure(str(MODEL), str(MODEL))
    assert not left and [p.build_ms for p in probes] == [598.0, 490.0]
    assert worst(probes).warning() == ""
    left = scripted((600.0, 700.0), (600.0, 660.0), (500.0, 490.0))   # slower both times: it warns
    probes = measure(str(MODEL), str(MODEL))
    assert not left and "0.91x" in worst(probes).warning()
    left = scripted((600.0, 590.0), (500.0, 490.0), (1.0, 1.0))        # faster at once: timed once
    measure(str(MODEL), str(MODEL))
    assert left == [(1.0, 1.0)]
