import numpy as np
import pytest

from studio.core.bench.accuracy import compare, label_indices, read_label_names
from studio.core.bench.inputs import ArrayFeed
from studio.core.errors import DataError


def _runner(path):
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    return OnnxRuntimeRunner(path, intra_op_threads=1).activate()


@pytest.fixture
def xfeed():
    from studio.core.backends.runner import TensorMeta

    x = np.random.default_rng(5).standard_normal((70, 32)).astype(np.float32)
    return ArrayFeed({"x": x}, [TensorMeta("x", "float32", ("batch", 32))]), x


def test_identical_build_has_zero_error(models, tmp_path, mlp_path, xfeed):
    feed, _ = xfeed
    same = models.mlp(tmp_path / "same.onnx")
    res = compare(_runner(same), _runner(mlp_path), feed, batch=16)
    o = res.outputs[0]
    assert res.samples == 70 and o.max_abs_error == 0 and o.cosine_min == pytest.approx(1.0)
    assert res.top1_agreement == 1.0 and res.nan_count == 0 and not res.flagged and not res.alarm


def test_errors_against_numpy(models, tmp_path, mlp_path, xfeed):
    feed, x = xfeed
    build = models.mlp(tmp_path / "b.onnx", scale=1.1)
    ref_out = _runner(mlp_path).infer({"x": x})["y"].astype(np.float64)
    b_out = _runner(build).infer({"x": x})["y"].astype(np.float64)
    res = compare(_runner(build), _runner(mlp_path), feed, batch=16)
    o = res.outputs[0]
    diff = np.abs(b_out - ref_out)
    assert o.max_abs_error == pytest.approx(diff.max(), rel=1e-6)
    assert o.mean_abs_error == pytest.approx(diff.mean(), rel=1e-6)
    assert o.cosine_mean == pytest.approx(1.0, abs=1e-6)        # a pure scale keeps direction
    assert o.top1_agreement == 1.0 and res.max_abs_error == o.max_abs_error


def test_nan_and_inf_raise_the_alarm(models, tmp_path):
    from studio.core.backends.runner import TensorMeta

    x = np.abs(np.random.default_rng(0).standard_normal((10, 8))).astype(np.float32)
    x[0, 0], x[1, 1], x[2, 2] = -1.0, 0.0, -2.0                 # log: NaN, -Inf, NaN
    feed = ArrayFeed({"x": x}, [TensorMeta("x", "float32", ("batch", 8))])
    res = compare(_runner(models.log_model(tmp_path / "log.onnx")), _runner(models.abs_model(tmp_path / "abs.onnx")),
                  feed, batch=4)
    assert res.nan_count == 2 and res.inf_count == 1
    assert res.flagged and "2 NaN and 1 Inf" in res.alarm[0]


def test_labels_accuracy_and_flag(models, tmp_path, mlp_path, xfeed):
    feed, x = xfeed
    y_ref = np.argmax(_runner(mlp_path).infer({"x": x})["y"], -1)
    labels = y_ref.copy()
    labels[:7] = (labels[:7] + 1) % 8                           # reference is right on 63/70
    build = models.mlp(tmp_path / "noisy.onnx", seed=0, scale=-1.0)   # flips the ranking
    res = compare(_runner(build), _runner(mlp_path), feed, labels=labels, threshold=0.01)
    assert res.reference_accuracy == pytest.approx(63 / 70)
    y_b = np.argmax(_runner(build).infer({"x": x})["y"], -1)
    assert res.accuracy == pytest.approx((y_b == labels).mean())
    assert res.accuracy_change == pytest.approx(res.accuracy - res.reference_accuracy)
    assert res.flagged and res.accuracy_change < -0.01
    ok = compare(_runner(mlp_path), _runner(mlp_path), feed, labels=labels)
    assert ok.accuracy_change == 0 and not ok.flagged


def test_label_mapping(tmp_path):
    names = ["greet", "bye", "order_status"]
    assert list(label_indices(["bye", "2", "greet"], names)) == [1, 2, 0]
    with pytest.raises(DataError, match="'refund' .* not in the labels file"):
        label_indices(["refund"], names)
    with pytest.raises(DataError, match="pass --labels"):
        label_indices(["refund"], None)
    p = tmp_path / "labels.txt"
    p.write_text("greet\nbye\n\n")
    assert read_label_names(p) == ["greet", "bye"]
    p.write_text('["a", "b"]')
    assert read_label_names(p) == ["a", "b"]
    p.write_text("a\na\n")
    with pytest.raises(DataError, match="twice"):
        read_label_names(p)
