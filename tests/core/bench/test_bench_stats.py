import numpy as np
import pytest

from studio.core.bench import stats


def test_percentiles_match_numpy():
    rng = np.random.default_rng(1)
    vals = rng.lognormal(0.0, 0.5, size=10_001)
    s = stats.summarize(vals)
    for key, q in stats.PERCENTILES.items():
        assert getattr(s, key) == pytest.approx(np.percentile(vals, q), rel=1e-12)
    assert s.max == vals.max() and s.min == vals.min() and s.count == vals.size
    assert s.mean == pytest.approx(vals.mean())
    assert s.cv == pytest.approx(vals.std() / vals.mean())


def test_cv_warning_above_threshold_only():
    steady = stats.summarize([10.0, 10.1, 9.9, 10.0] * 50)
    assert steady.cv < stats.CV_WARN and stats.cv_warning(steady) is None
    noisy = stats.summarize([10.0, 14.0] * 50)
    assert noisy.cv == pytest.approx(2 / 12)
    assert "coefficient of variation 16.7%" in stats.cv_warning(noisy)


def test_nonfinite_ignored_and_empty_is_none():
    s = stats.summarize([1.0, float("nan"), 3.0])
    assert s.count == 2 and s.mean == 2.0
    assert stats.summarize([]) is None


def test_histogram_counts_every_sample_and_throughput():
    vals = np.linspace(1, 2, 1000)
    h = stats.histogram(vals, bins=10)
    assert sum(h["counts"]) == 1000 and len(h["edges"]) == 11
    assert stats.throughput(320, 2.0) == 160.0 and stats.throughput(5, 0) == 0.0
