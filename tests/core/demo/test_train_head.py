"""Head training: the optimiser on known data, the head file format, and the committed head."""

import numpy as np
import pytest

from studio.core.demo import train_head
from studio.core.errors import StudioError


def test_fit_softmax_learns_separable_classes_deterministically():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((4, 8)) * 3
    y = np.repeat(np.arange(4), 30)
    x = (centers[y] + rng.standard_normal((120, 8))).astype(np.float32)
    w1, b1 = train_head.fit_softmax(x, y, 4, steps=300)
    w2, b2 = train_head.fit_softmax(x, y, 4, steps=300)
    assert train_head.accuracy(w1, b1, x, y) >= 0.95
    assert np.array_equal(w1, w2) and np.array_equal(b1, b2)
    # Shuffled labels cannot be learned this well with strong L2: the score is not a constant.
    wr, br = train_head.fit_softmax(x, rng.permutation(y), 4, l2=1.0, steps=300)
    assert train_head.accuracy(wr, br, x, rng.permutation(y)) < 0.6


def test_head_file_round_trip_and_stable_bytes(tmp_path):
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    b = np.array([1, 2, 3], np.float32)
    train_head.save_head(tmp_path / "a.npz", w, b, ["x", "y", "z"])
    train_head.save_head(tmp_path / "b.npz", w, b, ["x", "y", "z"])
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    w2, b2, labels = train_head.load_head(tmp_path / "a.npz")
    assert np.array_equal(w, w2) and np.array_equal(b, b2) and labels == ["x", "y", "z"]


def test_bad_head_files_are_one_line_errors(tmp_path):
    with pytest.raises(StudioError, match="not found"):
        train_head.load_head(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(StudioError, match="not an intent head"):
        train_head.load_head(tmp_path / "junk.npz")
    train_head.save_head(tmp_path / "bad.npz", np.zeros((4, 3), np.float32), np.zeros(2, np.float32), ["a", "b", "c"])
    with pytest.raises(StudioError, match="inconsistent"):
        train_head.load_head(tmp_path / "bad.npz")


@pytest.mark.slow
def test_training_reproduces_the_committed_head_and_reaches_the_goal(tmp_path):
    out = tmp_path / "head.npz"
    result = train_head.train(out)
    assert result.validation_accuracy >= 0.90
    assert result.calibration_accuracy >= 0.85
    w, b, labels = train_head.load_head(out)
    cw, cb, clabels = train_head.load_head()
    assert labels == clabels
    # Bit-identical when the embeddings are. Another CPU's BLAS sums in another order, and the
    # drift grows with the weights' magnitude (up to ~190 here): the tolerance scales with it.
    scale = float(np.abs(cw).max())
    np.testing.assert_allclose(w, cw, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(b, cb, rtol=1e-5, atol=1e-5 * max(scale, float(np.abs(cb).max())))
