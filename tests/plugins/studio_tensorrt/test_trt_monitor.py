from studio_tensorrt.monitor import PhaseStack


def test_nested_phases_fold_into_one_rising_fraction():
    s = PhaseStack()
    s.start("Building engine", None, 4)
    assert s.fraction() == 0.0
    s.start("Optimizing graph", "Building engine", 2)
    s.step("Optimizing graph", 0)
    assert s.fraction() == 0.125          # half of the first quarter
    assert s.phase() == "Building engine / Optimizing graph"
    s.finish("Optimizing graph")
    s.step("Building engine", 0)
    assert s.fraction() == 0.25
    s.start("Timing", "Building engine", 10)
    s.start("Inner", "Timing", 1)
    s.finish("Timing")                      # finishing a parent drops its children
    assert [e[0] for e in s.stack] == ["Building engine"]
    s.step("Building engine", 3)
    assert s.fraction() == 1.0


def test_fraction_never_goes_backwards():
    s = PhaseStack()
    s.start("A", None, 2)
    s.step("A", 1)
    hi = s.fraction()
    s.start("B", None, 5)                   # a new top-level phase restarts its own count
    assert s.fraction() == hi
