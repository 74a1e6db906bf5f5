"""The TensorRT runner's logic, without a GPU: shape binding, buffer sizing, the timing split on
CUDA event timings recorded on an H100 (record_cuda_events.py), and its refusals."""

import json
from pathlib import Path

import pytest

from studio.core.bench import stats
from studio.core.errors import CapabilityError, StudioError
from studio_tensorrt.library import GpuInfo, load_library
from studio_tensorrt.runner import (ProfileShapes, TensorRTRunner, bind_shapes, buffer_bytes, check_runnable,
                                    grow_capacity, split_from_events)

REC = json.loads((Path(__file__).with_name("fixtures") / "cuda_events_h100.json").read_text())
ENGINE = {"input_ids": (-1, -1), "attention_mask": (-1, -1)}
PROFILE = {n: ProfileShapes(n, (1, 1), (8, 64), (32, 128)) for n in ENGINE}


def test_bind_shapes_within_profile():
    got = bind_shapes({"input_ids": (8, 40), "attention_mask": (8, 40)}, ENGINE, PROFILE)
    assert got == {"input_ids": (8, 40), "attention_mask": (8, 40)}


@pytest.mark.parametrize("feed, msg", [
    ({"input_ids": (64, 40), "attention_mask": (64, 40)}, r"'input_ids': batch 64 is outside the engine's optimization profile \[1, 32\]"),
    ({"input_ids": (8, 256), "attention_mask": (8, 256)}, r"dim 1 256 is outside .* \[1, 128\]"),
    ({"input_ids": (8,), "attention_mask": (8, 4)}, "rank 1 given, engine expects 2"),
    ({"input_ids": (8, 4)}, "'attention_mask' missing"),
    ({"input_ids": (8, 4), "attention_mask": (8, 4), "token_type_ids": (8, 4)}, "unexpected input"),
])
def test_bind_shapes_refusals(feed, msg):
    with pytest.raises(StudioError, match=msg):
        bind_shapes(feed, ENGINE, PROFILE)


def test_static_dims_must_match():
    with pytest.raises(StudioError, match="dim 1 is 9, engine expects 8"):
        bind_shapes({"x": (1, 9)}, {"x": (-1, 8)}, {})


def test_buffer_sizes_and_growth_match_the_recorded_run():
    assert buffer_bytes((32, 128), 8) == 32768
    assert buffer_bytes((32, 77), 4) == 9856
    with pytest.raises(StudioError, match="not fully known"):
        buffer_bytes((-1, 128), 8)
    # the recording grew each buffer with grow_capacity over batch 1x64 -> 32x64 -> 32x128
    caps = {}
    for r in REC["records"]:
        for name, nbytes in (("input_ids", r["input_bytes"] // 2), ("logits", r["output_bytes"])):
            new = grow_capacity(caps.get(name, 0), nbytes)
            if new:
                caps[name] = new
    assert caps["input_ids"] == REC["buffer_capacities"]["input_ids"]
    assert caps["logits"] == REC["buffer_capacities"]["logits"]
    assert grow_capacity(1024, 1000) == 0 and grow_capacity(0, 1) == 256 and grow_capacity(256, 257) == 512


def test_timing_split_on_recorded_h100_events():
    assert REC["gpu"]["compute_capability"] == "9.0"
    timings = [split_from_events(r["ev_ms"], r["enqueue_s"], r["wall_s"]) for r in REC["records"]]
    for r, t in zip(REC["records"], timings):
        assert t.h2d == r["ev_ms"]["h2d"] and t.compute == r["ev_ms"]["compute"] and t.d2h == r["ev_ms"]["d2h"]
        assert t.enqueue == pytest.approx(r["enqueue_s"] * 1e3)
        # the host saw the whole request: it cannot be shorter than the GPU's part of it
        assert t.latency >= t.h2d + t.compute + t.d2h - 1e-3
    # the compute interval grows with the work between the events (8, 64, 256 MB x 4 copies)
    by_work = {}
    for r, t in zip(REC["records"], timings):
        by_work.setdefault(r["work_mb"], []).append(t.compute)
    med = {k: stats.summarize(v[1:]).p50 for k, v in by_work.items()}   # first of each is cold
    assert med[8] < med[64] < med[256]
    assert 2.5 < med[256] / med[64] < 5.5
    with pytest.raises(StudioError, match="out of order"):
        split_from_events({"h2d": -0.1, "compute": 1, "d2h": 1}, 0, 0)


def test_refusals_say_which_gpu_is_needed():
    rtx = load_library("tensorrt_rtx")
    h100 = GpuInfo(True, REC["gpu"]["name"], (9, 0), REC["gpu"]["driver_version"])
    msg = check_runnable(rtx, h100, True)
    assert "NVIDIA H100 80GB HBM3 has compute capability 9.0" in msg
    assert "8.0, 8.6, 8.9 or 12.x" in msg and "full TensorRT runs on it" in msg
    assert check_runnable(rtx, GpuInfo(True, "RTX 4090", (8, 9), "13.0"), True) is None
    assert "cuda-python" in check_runnable(rtx, GpuInfo(True, "RTX 4090", (8, 9), "13.0"), False)
    assert "no NVIDIA GPU" in check_runnable(rtx, GpuInfo(False, reason="no NVIDIA GPU"), True)
    assert "no TensorRT library" in check_runnable(None, h100, True)


def test_runner_refuses_here(tmp_path):
    eng = tmp_path / "m.engine"
    eng.write_bytes(b"\0" * 64)
    r = TensorRTRunner(eng)
    reason = r.why_not_runnable()
    if reason is None:
        pytest.skip("this machine can run TensorRT engines")
    with pytest.raises(CapabilityError, match="m.engine: cannot run this engine here: .*compute capability"):
        r.activate()
    assert not r.is_active
