"""The builder's logger: keeps VERBOSE lines (the `Layers:` report only appears there when
profiling verbosity is DETAILED), forwards lines to the task state, remembers a tail for error
messages and lifts the `Layers:` report out of the stream into its own text."""

from __future__ import annotations

from collections import deque
from functools import lru_cache

from studio.core.progress import TaskState

# A forwarded line is capped so one huge message cannot flood the event pipe; the layer
# report is kept whole separately.
MAX_LINE = 4000
LAYERS_MARK = "Layers:"


@lru_cache(maxsize=None)
def _logger_class(trt):
    """One ILogger subclass per library module (tensorrt and tensorrt_rtx have distinct bases)."""
    sev = trt.ILogger.Severity
    levels = {sev.INTERNAL_ERROR: "error", sev.ERROR: "error", sev.WARNING: "warning",
              sev.INFO: "info", sev.VERBOSE: "debug"}

    class BuildLogger(trt.ILogger):
        def __init__(self, state: TaskState | None = None, tail: int = 200, forward_verbose: bool = False):
            trt.ILogger.__init__(self)
            self.state = state
            self.forward_verbose = forward_verbose
            self.tail: deque[str] = deque(maxlen=tail)
            self.errors: list[str] = []
            self.layer_report: str | None = None
            self.counts = {"error": 0, "warning": 0, "info": 0, "debug": 0}

        def log(self, severity, msg):
            try:  # an exception escaping into the native builder would abort it
                level = levels.get(severity, "info")
                self.counts[level] += 1
                if msg.lstrip().startswith(LAYERS_MARK):
                    self.layer_report = msg
                    self.tail.append("[layer report: %d lines]" % msg.count("\n"))
                    return
                line = msg if len(msg) <= MAX_LINE else msg[:MAX_LINE] + " ...[truncated]"
                self.tail.append(f"[{level}] {line}")
                if level == "error":
                    self.errors.append(line)
                if self.state is not None and (level != "debug" or self.forward_verbose):
                    self.state.log(line, level)
            except Exception:
                pass

    return BuildLogger


def make_logger(trt, state: TaskState | None = None, **kw):
    return _logger_class(trt)(state, **kw)
