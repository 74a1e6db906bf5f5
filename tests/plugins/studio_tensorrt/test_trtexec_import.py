"""trtexec's exports imported as studio results: the timing split against numpy, the keys of
older TensorRT, refusals of files that are not what they claim, and the import in a report."""

import json
from pathlib import Path

import numpy as np
import pytest

from studio.core.bench import results
from studio.core.reports.html import render_html
from studio.core.reports.inputs import assemble_report
from studio_tensorrt.trtexec_import import import_trtexec

FIX = Path(__file__).with_name("fixtures")


def test_trtexec_times_import_against_numpy():
    recs = json.loads((FIX / "trtexec_times_trt10.json").read_text())
    res = import_trtexec(times=str(FIX / "trtexec_times_trt10.json"), batch=8)
    run = res.runs[0]
    lat = np.array([r["latencyMs"] for r in recs])
    assert res.source == "trtexec" and run.requests == 40 and run.samples == 320
    assert run.latency_ms.p99 == pytest.approx(np.percentile(lat, 99))
    assert run.latency_ms.mean == pytest.approx(lat.mean())
    span = (max(r["endD2hMs"] for r in recs) - min(r["startEnqMs"] for r in recs)) / 1e3
    assert run.requests_per_s == pytest.approx(40 / span) and run.throughput == pytest.approx(320 / span)
    enq = np.array([r["endEnqMs"] - r["startEnqMs"] for r in recs])
    assert run.timing_split["enqueue"]["mean"] == pytest.approx(enq.mean())
    assert run.timing_split["compute"]["p50"] == pytest.approx(np.median([r["computeMs"] for r in recs]))
    # latency is trtexec's H2D + compute + D2H
    assert lat == pytest.approx([r["h2dMs"] + r["computeMs"] + r["d2hMs"] for r in recs], abs=2e-5)


def test_trtexec_old_keys_and_profile(tmp_path):
    old = import_trtexec(times=str(FIX / "trtexec_times_trt7.json"))
    assert set(old.runs[0].timing_split) == {"h2d", "compute", "d2h"}
    prof = import_trtexec(profile=str(FIX / "trtexec_profile_trt10.json")).layer_profile
    assert prof["runs"] == 250 and len(prof["layers"]) == 4
    assert prof["top"][0] == "__myl_MulAddSoftMax_0"
    assert prof["total_average_ms"] == pytest.approx(0.211 + 0.534 + 0.004 + 0.018)
    both = import_trtexec(times=str(FIX / "trtexec_times_trt10.json"), profile=str(FIX / "trtexec_profile_trt10.json"))
    p = tmp_path / "imported.json"
    both.save(p)
    assert results.load(p).layer_profile["runs"] == 250


def test_trtexec_bad_files(tmp_path):
    from studio.core.errors import DataError

    with pytest.raises(DataError, match="exportProfile file; import it as a profile"):
        import_trtexec(times=str(FIX / "trtexec_profile_trt10.json"))
    with pytest.raises(DataError, match="not a trtexec --exportProfile"):
        import_trtexec(profile=str(FIX / "trtexec_times_trt10.json"))
    p = tmp_path / "x.json"
    p.write_text("[1, 2")
    with pytest.raises(DataError, match="x.json: not a trtexec JSON export"):
        import_trtexec(times=str(p))


def test_trtexec_import_reports_the_gpu_timing_split(tmp_path):
    """A recorded trtexec --exportTimes run, imported by the results module, shows trtexec's
    H2D / GPU compute / D2H / enqueue split in the report."""
    fixture = FIX / "trtexec_times_trt10.json"
    res = import_trtexec(times=str(fixture), batch=8, model="bert.onnx", precision="fp16")
    results.save(res, tmp_path / "gpu.json")
    rep = assemble_report([str(tmp_path / "gpu.json")])
    (b,) = rep.benchmarks
    assert set(b.timing_split_ms) >= {"h2d", "compute", "d2h", "enqueue"}
    assert b.timing_split_ms["compute"] == pytest.approx(res.runs[0].timing_split["compute"]["mean"])
    assert b.batch_size == 8 and b.throughput == pytest.approx(8 * b.requests_per_s)   # samples/s
    assert b.device == "GPU (imported from trtexec)"
    html = render_html(rep)
    assert "Mean GPU compute time" in html and "requests/s of batch 8" in html and "GPU Compute Time" in html
