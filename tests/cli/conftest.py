import sys

import pytest

# A terminal's Ctrl-C reaches a command whose SIGINT is at its default. A child process inherits an
# ignored or blocked SIGINT from its parent, and what the test process holds depends on what ran in
# it before (in random order under load, an interrupted build once ran to its end and exited 0), so
# the commands that tests interrupt start from a launcher that gives them SIGINT as a terminal would.
_AS_FROM_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); sys.argv = sys.argv[1:]; "
    "runpy.run_module('studio', run_name='__main__', alter_sys=True)")


@pytest.fixture
def interruptible_command():
    """argv of `python -m studio ARGS...`, started with SIGINT at its default."""
    return lambda *args: [sys.executable, "-c", _AS_FROM_A_TERMINAL, "studio", *map(str, args)]
