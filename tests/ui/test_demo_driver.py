"""The demo's stall figures: the worst tick and the 99th percentile over every tick of a step."""

from studio.ui.demo_driver import Heartbeat


def test_p99_counts_the_ticks_that_came_on_time(qapp):
    beat = Heartbeat(5)
    beat.ticks, beat.stalls = 1000, [float(i) for i in range(1, 21)]   # 20 late ticks of 1000
    assert beat.p99_ms() == 10.0        # 10 ticks are later than the 99th percentile: 11..20 ms
    beat.ticks, beat.stalls = 1000, [50.0, 3.0]
    assert beat.p99_ms() == 0.0         # two late ticks of a thousand are above the 99th percentile
    beat.ticks, beat.stalls = 0, []
    assert beat.p99_ms() == 0.0
