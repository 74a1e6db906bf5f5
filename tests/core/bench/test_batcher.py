import pytest

from studio.core.bench.batcher import DynamicBatcher, Request, form_batches
from studio.core.errors import StudioError

# A recorded-style arrival trace (seconds): a burst, a lull, a trickle.
TRACE = [0.000, 0.001, 0.0015, 0.002, 0.0022, 0.0024, 0.0030, 0.0031,   # burst of 8
         0.050,                                                         # lone request
         0.100, 0.103, 0.107, 0.1085]                                   # trickle


def ids(batches):
    return [[r.id for r in b.requests] for b in batches]


def test_full_batches_close_at_once_and_stragglers_at_the_deadline():
    batches = form_batches(TRACE, max_batch=4, max_delay_s=0.005)
    assert ids(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8], [9, 10], [11, 12]]
    assert [b.reason for b in batches] == ["full", "full", "delay", "delay", "delay"]
    # a batch closes exactly at full arrival time, or when the oldest has waited max_delay
    assert batches[0].closed_at == pytest.approx(0.002)
    assert batches[2].closed_at == pytest.approx(0.055)
    assert batches[3].closed_at == pytest.approx(0.105)
    assert batches[4].closed_at == pytest.approx(0.112)
    assert sum(b.rows for b in batches) == len(TRACE)


def test_zero_delay_means_no_batching_and_big_batch_means_one_per_window():
    assert all(len(b.requests) == 1 for b in form_batches(TRACE, 8, 0.0))
    batches = form_batches(TRACE, max_batch=64, max_delay_s=0.04)
    assert ids(batches) == [list(range(8)), [8], [9, 10, 11, 12]]
    assert ids(form_batches(TRACE, max_batch=64, max_delay_s=0.2)) == [list(range(13))]


def test_multi_row_requests_never_exceed_max_batch():
    b = DynamicBatcher(max_batch=8, max_delay_s=1.0)
    out = b.add(Request(0, 0.0, [0, 1, 2, 3, 4]), 0.0)
    assert out == []
    out = b.add(Request(1, 0.1, [5, 6, 7, 8]), 0.1)      # would make 9 rows: the first leaves alone
    assert [len(x.requests) for x in out] == [1] and out[0].rows == 5
    assert b.pending == 1 and b.deadline() == pytest.approx(1.1)
    assert b.poll(1.0) == [] and len(b.poll(1.1)) == 1
    with pytest.raises(StudioError, match="exceeds --max-batch"):
        b.add(Request(2, 2.0, list(range(9))), 2.0)


def test_bad_settings():
    with pytest.raises(StudioError, match="--max-batch"):
        DynamicBatcher(0, 0.001)
    with pytest.raises(StudioError, match="--max-delay-ms"):
        DynamicBatcher(4, -1)
