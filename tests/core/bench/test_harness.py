import time
from pathlib import Path

import pytest

from studio.core.bench.harness import Bench, BenchConfig, SampleStream
from studio.core.bench.inputs import SyntheticFeed
from studio.core.errors import StudioError


@pytest.fixture
def feed(ort_factory):
    r = ort_factory().activate()
    try:
        return SyntheticFeed(r.input_metadata(), n=64)
    finally:
        r.deactivate()


def test_closed_loop_counts_and_throughput(ort_factory, feed):
    res = Bench(ort_factory, feed, BenchConfig(batch=8, concurrency=2, duration_s=0.4, warmup_s=0.05)).run()
    assert res.requests > 50
    assert res.samples == 8 * res.requests
    assert res.throughput == pytest.approx(res.samples / res.duration_s)
    assert res.duration_s >= 0.4
    lm = res.latency_ms
    assert 0 < lm.min <= lm.p50 <= lm.p90 <= lm.p95 <= lm.p99 <= lm.p99_9 <= lm.max
    cs = res.cold_start
    assert cs["context_ms"] > 0 and cs["first_infer_ms"] > 0 and cs["load_ms"] >= 0
    assert sum(res.histogram["counts"]) <= res.requests
    assert res.load == {"pattern": "closed", "clients": 2, "sessions": "one per client"}


def test_iterations_exact_and_shared_session(ort_factory, feed):
    res = Bench(ort_factory, feed, BenchConfig(batch=4, concurrency=3, iterations=77, warmup_iters=6,
                                              shared_runner=True)).run()
    assert res.requests == 77 and res.samples == 308
    assert res.load["sessions"] == "shared"


def test_stream_keeps_up_and_drops_nothing(ort_factory, feed):
    """Every sample reaches the consumer, in order. (No rate is asserted: a test cannot know how
    busy the machine is; the live-sample rate is a benchmark's figure.)"""
    seen = []
    bench = Bench(ort_factory, feed, BenchConfig(batch=1, concurrency=2, duration_s=0.6, warmup_s=0.05),
                  on_sample=seen.append)
    res = bench.run()
    assert len(seen) == res.requests == len(bench.records) > 0
    assert [s.seq for s in seen] == list(range(len(seen)))


def test_generator_stream_and_stop_within_100ms(ort_factory, feed):
    bench = Bench(ort_factory, feed, BenchConfig(duration_s=60, warmup_s=0.05), live=True).start()
    got = 0
    for s in bench.samples():
        got += 1
        if got == 500:
            t_stop = time.perf_counter()
            bench.stop()
            res = bench.result(timeout=5)
            took = time.perf_counter() - t_stop
            break
    # it stops at once, not after the 60 s asked for (a loaded machine may take a while to say so)
    assert took < 5, f"stop took {took * 1e3:.1f} ms"
    assert bench.done and bench.wait(0)
    assert res.stopped_early and res.requests >= 500
    rest = list(bench.samples())   # the stream ends, and held every recorded sample
    assert got + len(rest) == res.requests


def test_stop_during_warmup_is_quick(ort_factory, feed):
    bench = Bench(ort_factory, feed, BenchConfig(duration_s=60, warmup_s=30)).start()
    t = time.perf_counter()
    bench.stop()
    with pytest.raises(StudioError, match="stopped before any request"):
        bench.result(timeout=10)
    assert time.perf_counter() - t < 10      # not the 30 s warm-up


@pytest.mark.parametrize("cfg, msg", [
    (BenchConfig(duration_s=0), "--duration must be more than 0"),
    (BenchConfig(batch=0), "batch must be at least 1"),
    (BenchConfig(concurrency=0), "concurrency"),
    (BenchConfig(rate=0), "--qps"),
    (BenchConfig(batch=64, max_batch_rows=32), "larger than the engine's optimization profile"),
])
def test_bad_config(cfg, msg, ort_factory, feed):
    with pytest.raises(StudioError, match=msg):
        Bench(ort_factory, feed, cfg)


def test_sample_stream_drain():
    st = SampleStream()
    st.put(1)
    st.put(2)
    st.close()
    assert st.drain(0.1) == ([1, 2], True)


def test_worker_error_surfaces(models, tmp_path, feed):
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    other = models.mlp(tmp_path / "wide.onnx", n_in=16)     # feed has 32 columns: ORT refuses
    with pytest.raises(Exception, match="(?i)dimension|shape|invalid"):
        Bench(lambda: OnnxRuntimeRunner(other), feed, BenchConfig(duration_s=0.2, warmup_s=0)).run()


TOKENIZER = next(iter(sorted(Path(__file__).resolve().parents[3].glob("resources/demo/generated/tokenizer.json"))), None)
# Two short texts, two long ones, in turn: batches of 2 at their own lengths differ in width.
LENGTHS_TEXTS = [("where is my order", "I would like to return the blue jacket I bought last week, it does not fit "
                  "and the colour is not what the picture showed")[i // 2 % 2] for i in range(8)]


@pytest.mark.skipif(TOKENIZER is None, reason="no tokenizer.json")
@pytest.mark.parametrize("limit, seq_len, warned", [
    ({"iterations": 2}, None, True), ({"iterations": 4}, None, False), ({"iterations": 2}, 64, False),
    ({"passes": 2, "concurrency": 3}, None, False)], ids=["some-batches", "every-batch", "one-width", "passes"])
def test_a_run_that_timed_only_some_of_the_texts_says_so(models, tmp_path, limit, seq_len, warned):
    """Texts at their own lengths make batches of different cost: a run that timed only the
    first of them measured those texts, not the data (a slow build in a fixed duration times fewer
    than a fast one), and its result says which share it timed and how to time them all."""
    from studio.core.bench.inputs import TextFeed
    from studio.core.data.tokenizer import TextTokenizer
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    path = models.text_classifier(tmp_path / "clf.onnx", seed=0)
    r = OnnxRuntimeRunner(path).activate()
    try:
        feed = TextFeed(LENGTHS_TEXTS, TextTokenizer(TOKENIZER), r.input_metadata(), seq_len=seq_len)
    finally:
        r.deactivate()
    assert len(feed.batches(2)) == 4
    res = Bench(lambda: OnnxRuntimeRunner(path), feed, BenchConfig(batch=2, warmup_iters=1, **limit)).run()
    assert res.requests == limit.get("iterations") or limit["passes"] * 4
    said = [w for w in res.warnings if "of the inputs'" in w]
    if warned:
        assert said == [said[0]] and said[0].startswith("timed 2 of the inputs' 4 batches")
        assert "--passes 1" in said[0]
    else:
        assert said == []
