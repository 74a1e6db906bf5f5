"""A late tick's time split into the thread's work, waiting for a CPU and blocked."""

import time

import pytest

from studio.core.stalls import Stall, thread_schedstat


def test_the_rest_of_a_late_tick_is_blocked():
    s = Stall.between(30.0, (1_000_000, 2_000_000), (6_000_000, 12_000_000))   # ns: 5 ms work, 10 ms waiting
    assert (s.ui_work_ms, s.cpu_wait_ms) == (5.0, 10.0)
    assert s.blocked_ms == pytest.approx(15.0)
    assert s.to_dict() == {"late_ms": 30.0, "ui_work_ms": 5.0, "cpu_wait_ms": 10.0, "blocked_ms": 15.0}


def test_without_scheduler_statistics_only_the_lateness_is_known():
    s = Stall.between(12.0, None, (1, 2))
    assert s.blocked_ms is None and s.to_dict()["ui_work_ms"] is None


@pytest.mark.skipif(thread_schedstat() is None, reason="no /proc/thread-self/schedstat here")
def test_a_busy_thread_counts_its_own_work():
    before = thread_schedstat()
    t = time.thread_time()
    while time.thread_time() - t < 0.02:
        pass
    s = Stall.between(20.0, before, thread_schedstat())
    assert s.ui_work_ms >= 15.0
