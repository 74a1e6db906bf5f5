"""Builder progress: TensorRT's IProgressMonitor reports nested phases ("Building engine" ->
"Optimizing graph" -> ...) each with a step count. We fold the stack into one overall fraction
(each level's completed steps, scaled by its parents' step size) and the innermost phase name,
and answer False from step_complete once the task is cancelled: that is how TensorRT stops."""

from __future__ import annotations

from functools import lru_cache

from studio.core.progress import TaskState


class PhaseStack:
    """Pure bookkeeping, kept apart from the TensorRT base class so it can be tested alone."""

    def __init__(self):
        self.stack: list[list] = []   # [name, nb_steps, steps_done]
        self.best = 0.0

    def start(self, name: str, parent: str | None, nb_steps: int) -> None:
        # A phase starts under its parent; drop anything deeper left unfinished.
        if parent:
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == parent:
                    del self.stack[i + 1:]
                    break
        else:
            self.stack.clear()
        self.stack.append([name, max(int(nb_steps), 1), 0])

    def step(self, name: str, step: int) -> None:
        for entry in reversed(self.stack):
            if entry[0] == name:
                entry[2] = max(entry[2], int(step) + 1)
                break

    def finish(self, name: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == name:
                del self.stack[i:]
                break

    def fraction(self) -> float:
        frac, scale = 0.0, 1.0
        for _, n, done in self.stack:
            frac += scale * min(done, n) / n
            scale /= n
        # Phases nest unpredictably; never let the bar go backwards.
        self.best = max(self.best, min(frac, 1.0))
        return self.best

    def phase(self) -> str:
        return " / ".join(e[0] for e in self.stack[-2:]) if self.stack else ""


@lru_cache(maxsize=None)
def _monitor_class(trt):
    class BuildProgressMonitor(trt.IProgressMonitor):
        def __init__(self, state: TaskState, lo: float = 0.0, hi: float = 1.0):
            trt.IProgressMonitor.__init__(self)
            self.state, self.lo, self.hi = state, lo, hi
            self.phases = PhaseStack()
            self.cancel_seen = False

        def _report(self):
            f = self.lo + (self.hi - self.lo) * self.phases.fraction()
            self.state.progress(self.phases.phase() or "Building engine", f)

        def phase_start(self, phase_name, parent_phase, num_steps):
            try:
                self.phases.start(phase_name, parent_phase, num_steps)
                self._report()
            except Exception:
                pass

        def step_complete(self, phase_name, step):
            try:
                self.phases.step(phase_name, step)
                self._report()
                if self.state.cancelled:
                    self.cancel_seen = True
                    return False
            except Exception:
                pass
            return True

        def phase_finish(self, phase_name):
            try:
                self.phases.finish(phase_name)
                self._report()
            except Exception:
                pass

    return BuildProgressMonitor


def make_progress_monitor(trt, state: TaskState, lo: float = 0.0, hi: float = 1.0):
    return _monitor_class(trt)(state, lo, hi)
