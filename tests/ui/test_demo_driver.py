"""The demo's stall figures: the worst tick, where its time went, and the 99th percentile over
every tick of a step."""

import os
import time

import pytest

from studio.ui.demo_driver import Heartbeat, pump


def test_p99_counts_the_ticks_that_came_on_time(qapp):
    beat = Heartbeat(5)
    beat.ticks, beat.stalls = 1000, [float(i) for i in range(1, 21)]   # 20 late ticks of 1000
    assert beat.p99_ms() == 10.0        # 10 ticks are later than the 99th percentile: 11..20 ms
    beat.ticks, beat.stalls = 1000, [50.0, 3.0]
    assert beat.p99_ms() == 0.0         # two late ticks of a thousand are above the 99th percentile
    beat.ticks, beat.stalls = 0, []
    assert beat.p99_ms() == 0.0


def _worst_stall_while(qapp, make_late):
    """Run the event loop with a heartbeat; `make_late` runs once on the UI thread."""
    from PySide6.QtCore import QTimer

    beat = Heartbeat(5)
    beat.start()
    QTimer.singleShot(20, make_late)
    pump(0.3)
    beat.stop()
    return beat.worst


def test_the_worst_stall_is_attributed_to_the_window_or_to_a_block(qapp):
    if not os.path.exists("/proc/thread-self/schedstat"):
        pytest.skip("no scheduler statistics on this system")

    def busy():
        end = time.perf_counter() + 0.08
        while time.perf_counter() < end:
            pass

    worst = _worst_stall_while(qapp, busy)
    # Running or runnable the whole time, whatever the load: never counted as blocked.
    assert worst.late_ms >= 70
    assert worst.ui_work_ms + worst.cpu_wait_ms >= 70
    assert worst.blocked_ms < 15

    worst = _worst_stall_while(qapp, lambda: time.sleep(0.08))
    assert worst.late_ms >= 70 and worst.blocked_ms >= 70
    assert worst.to_dict()["blocked_ms"] == round(worst.blocked_ms, 1)
