"""Drive the real window through the whole story, step by step, as a stakeholder demo and a
smoke test: open a model -> build FP32, FP16, INT8 -> benchmark -> accuracy -> compare -> export.
The model and its files are the user's (a Story); without one, the sample intent model and its
own data.
Each step waits on the window's own signals (no sleeps standing in for work), takes a
screenshot (QWidget.grab) and records its duration; an event-loop heartbeat measures the
longest main-thread stall over the run.

TensorRT engines are built here (CPU) but need a GPU to run, so when TensorRT cannot run on
this machine the benchmark step measures ONNX Runtime builds of the same precisions, and the
summary says so."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer

from studio.core.demo.paths import sample_data
from studio.core.errors import StudioError
from studio.core.io import write_json_atomic
from studio.core.stalls import Stall, thread_schedstat


class Heartbeat(QObject):
    """A 5 ms timer; lateness beyond its period is time the event loop could not run. The worst
    late tick is attributed (Stall) from the thread's scheduler statistics."""

    def __init__(self, period_ms: int = 5, parent=None):
        super().__init__(parent)
        self.period = period_ms
        self.timer = QTimer(self)
        self.timer.setInterval(period_ms)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.max_stall_ms = 0.0
        self.worst: Stall | None = None
        self.stalls: list[float] = []   # how late each late tick came, ms
        self.ticks = 0
        self._last = None
        self._sched = None

    def start(self) -> None:
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self._sched = thread_schedstat()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def reset(self) -> None:
        self.max_stall_ms = 0.0
        self.worst = None
        self.stalls.clear()
        self.ticks = 0
        self._last = self.clock.nsecsElapsed()
        self._sched = thread_schedstat()

    def _tick(self) -> None:
        now, sched = self.clock.nsecsElapsed(), thread_schedstat()
        late = (now - self._last) / 1e6 - self.period
        before, self._last, self._sched = self._sched, now, sched
        self.ticks += 1
        if late > 0:
            self.stalls.append(late)
            if late > self.max_stall_ms:
                self.max_stall_ms = late
                self.worst = Stall.between(late, before, sched)

    def p99_ms(self) -> float:
        """The 99th percentile of how late the ticks came (on-time ticks count as 0)."""
        n = max(self.ticks, len(self.stalls))
        if n == 0:
            return 0.0
        late = sorted(self.stalls, reverse=True)
        k = int(0.01 * n)        # the ticks above the 99th percentile
        return late[k] if k < len(late) else 0.0


def wait_for(predicate, timeout_s: float, what: str) -> None:
    """Run the event loop until predicate() is true."""
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    timer = QTimer()
    timer.setInterval(20)

    def check():
        if predicate() or time.monotonic() > deadline:
            loop.quit()
    timer.timeout.connect(check)
    timer.start()
    if not predicate():
        loop.exec()
    timer.stop()
    if not predicate():
        raise StudioError(f"demo step timed out after {timeout_s:.0f} s waiting for {what}")


def pump(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


@dataclass
class Story:
    """The model and the user's files the story runs with."""
    model: str | None = None          # None: the sample intent model
    tokenizer: str | None = None      # None: the one beside the model
    calib: str | None = None
    calib_column: str | None = None
    data: str | None = None           # validation data: accuracy, and the benchmark's inputs
    data_column: str | None = None
    label_column: str | None = None
    labels: str | None = None

    @classmethod
    def sample(cls) -> "Story":
        """The sample model with its own files (studio.core.demo owns them); only when no model
        was given: a user's model never gets them."""
        return cls(model=None, **sample_data())


@dataclass
class Step:
    name: str
    duration_s: float
    screenshot: str
    max_stall_ms: float
    p99_stall_ms: float = 0.0
    details: dict = field(default_factory=dict)


class DemoRun:
    def __init__(self, window, out: Path, bench_seconds: float = 3.0, precisions=("fp32", "fp16", "int8"),
                 story: Story | None = None):
        self.win = window
        self.story = story or Story.sample()
        self.notes: list[str] = []
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.bench_seconds = bench_seconds
        self.precisions = list(precisions)
        if not self.story.calib and "int8" in self.precisions:
            self.precisions.remove("int8")
            self.notes.append("no calibration data given: the INT8 TensorRT build was left out")
        self.steps: list[Step] = []
        self.heart = Heartbeat(5)

    def _shot(self, name: str) -> str:
        path = self.out / f"{len(self.steps) + 1:02d}-{name}.png"
        self.win.grab().save(str(path))
        return str(path)

    def _step(self, name: str, fn) -> Step:
        self.heart.reset()
        t0 = time.perf_counter()
        cpu0 = time.thread_time()
        details = fn() or {}
        pump(0.3)  # let the last paint land before the screenshot
        dur = time.perf_counter() - t0
        # how busy the UI thread itself was: a stall with an idle UI thread is the machine (other
        # processes, or a native call in a worker holding the GIL), not window code
        details["ui_thread_busy"] = round((time.thread_time() - cpu0) / max(dur, 1e-9), 3)
        if self.heart.worst is not None:
            details["worst_stall"] = self.heart.worst.to_dict()
        # read before the screenshot: grabbing the window is ours, not the step's
        stall, p99 = round(self.heart.max_stall_ms, 2), round(self.heart.p99_ms(), 2)
        step = Step(name, round(dur, 3), self._shot(name), stall, p99, details)
        self.steps.append(step)
        self.win.log_view.add(f"demo: {name} done in {dur:.1f} s (max stall {step.max_stall_ms:.1f} ms)")
        return step

    # ----- steps
    def open_model(self) -> dict:
        st = self.story
        task = self.win.open_model(st.model) if st.model else self.win.open_demo_model()
        wait_for(lambda: not task.running and self.win.model_path is not None and self.win.graphs.before.ready,
                 300, "the model")
        if task.error:
            raise StudioError(f"the model could not be opened: {task.error}")
        panel = self.win.build_panel
        panel.apply_choices({"calib": st.calib, "calib_column": st.calib_column,
                             **({"tokenizer": st.tokenizer} if st.tokenizer else {})}, source="given")
        if st.data:
            self.win.bench.inputs.setText(st.data)
        return {"model": self.win.model_path, "nodes": len(self.win.onnx_graph.nodes),
                "tokenizer": panel.tokenizer.text() or None}

    @property
    def accuracy_request(self) -> dict:
        st = self.story
        return {"val": st.data, "val_column": st.data_column, "label_column": st.label_column,
                "labels": st.labels, "tokenizer": self.win.build_panel.tokenizer.text().strip() or None}

    def _build(self, backend: str, precision: str) -> dict:
        panel = self.win.build_panel
        panel.select_backend(backend)
        panel.select_precision(precision)
        before = len(self.win.builds.entries)
        task = panel.start_build()
        if task is None:
            raise StudioError(f"the {backend} {precision} build did not start: "
                              + (self.win.errors.history[-1] if self.win.errors.history else "?"))
        wait_for(lambda: not task.running, 600, f"the {backend} {precision} build")
        pump(0.2)
        if task.error:
            raise StudioError(f"{backend} {precision} build failed: {task.error}")
        wait_for(lambda: len(self.win.builds.entries) > before, 10, "the build to be listed")
        entry = self.win.builds.entries[-1]
        wait_for(lambda: entry.key in self.win.plans and self.win.graphs.after.ready, 120,
                 "the after-fusion graph")
        return {"artifact": entry.result.output, "build_seconds": round(entry.result.build_seconds, 2),
                "size_bytes": entry.result.size_bytes, "layers": len(self.win.plans[entry.key].layers)}

    def benchmark(self) -> dict:
        bench = self.win.bench
        runnable = [e for e in self.win.builds.entries if bench.can_run(e)[0]]
        if not runnable:
            raise StudioError("no build can run on this machine")
        bench.duration.setValue(self.bench_seconds)
        bench.batches.setText("1")
        bench.check([e.key for e in runnable])
        self.win.docks["Benchmark"].raise_()
        task = bench.start()
        if task is None:
            raise StudioError("the benchmark did not start: " + (self.win.errors.history[-1] if self.win.errors.history else "?"))
        frames0 = bench.live.frames
        t0 = time.monotonic()
        wait_for(lambda: not task.running, 60 + 10 * self.bench_seconds * len(runnable), "the benchmark")
        fps = (bench.live.frames - frames0) / max(1e-6, time.monotonic() - t0)
        pump(0.2)
        if task.error:
            raise StudioError(f"benchmark failed: {task.error}")
        return {"builds": [e.label for e in runnable], "plot_fps": round(fps, 1),
                "results": {Path(e.result.output).name: self.win.session.result_file(self.win.session.runs[e.key])
                            for e in runnable if e.key in self.win.session.runs}}

    def accuracy(self) -> dict:
        task = self.win.workflow.run_accuracy(self.accuracy_request)
        wait_for(lambda: not task.running, 300, "the accuracy check")
        pump(0.2)
        if task.error:
            raise StudioError(f"accuracy check failed: {task.error}")
        session = self.win.session
        figures = {Path(session.result_file(res)).name: {k: getattr(res, k) for k in (
            "accuracy", "reference_accuracy", "accuracy_change", "top1_agreement", "max_abs_error")}
            for res in session.accuracy.values()}
        return {"results": [session.result_file(res) for res in session.accuracy.values()], "figures": figures}

    def compare(self) -> dict:
        self.win.docks["Compare"].raise_()
        self.win.compare.recompute()
        return {"figures": self.win.compare.figures()}

    def export(self) -> dict:
        engine_dir = self.out / "export"
        task = self.win.workflow.export_engine_dialog(str(engine_dir))
        wait_for(lambda: not task.running, 120, "the export")
        pump(0.1)
        if task.error:
            raise StudioError(f"export failed: {task.error}")
        files = list(self.win.workflow.last_export)
        report = str(self.out / "report.html")
        task = self.win.workflow.export_report_dialog(report)
        wait_for(lambda: not task.running, 120, "the report")
        pump(0.1)
        if task.error:
            raise StudioError(f"report failed: {task.error}")
        self.win.docks["Log"].raise_()
        return {"exported": files, "report": report}

    def run(self, backends_for_build=("tensorrt",)) -> dict:
        t_all = time.perf_counter()
        self.heart.start()
        self._step("open-model", self.open_model)
        trt_runs_here = True
        for backend in backends_for_build:
            for p in self.precisions:
                self._step(f"build-{backend}-{p}", lambda b=backend, p=p: self._build(b, p))
            caps = self.win.build_panel.capabilities()
            trt_runs_here = caps is not None and caps.can_run_here is None
        if not trt_runs_here:
            self.notes.append("TensorRT engines cannot run on this machine (no suitable GPU); the benchmark "
                              "measures ONNX Runtime builds of the same model on the CPU.")
            for p in ("fp32", "int8"):
                self._step(f"build-onnxruntime-{p}", lambda p=p: self._build("onnxruntime", p))
        self._step("benchmark", self.benchmark)
        self._step("accuracy", self.accuracy)
        self._step("compare", self.compare)
        self._step("export", self.export)
        self.heart.stop()
        summary = {
            "model": self.win.model_path,
            "story": asdict(self.story),
            "layers_after_fusion": {Path(s.details["artifact"]).name: s.details["layers"]
                                    for s in self.steps if s.name.startswith("build-")},
            "accuracy": next((s.details.get("figures") for s in self.steps if s.name == "accuracy"), None),
            "steps": [asdict(s) for s in self.steps],
            "max_stall_ms": round(max(s.max_stall_ms for s in self.steps), 2),
            "total_s": round(time.perf_counter() - t_all, 2),
            "notes": self.notes,
            "load_average": list(os.getloadavg()),
            "cpu_count": os.cpu_count(),
            "errors_shown": list(self.win.errors.history),
        }
        write_json_atomic(self.out / "summary.json", summary)
        return summary


def summary_text(summary: dict) -> str:
    lines = [f"{s['name']:<26} {s['duration_s']:7.2f} s  stall max {s['max_stall_ms']:6.1f} ms{_stall_parts(s)}, "
             f"P99 {s['p99_stall_ms']:5.1f} ms  {s['screenshot']}" for s in summary["steps"]]
    lines.append(f"max main-thread stall: {summary['max_stall_ms']} ms; total {summary['total_s']} s")
    return "\n".join(lines + summary.get("notes", []))


def _stall_parts(step: dict) -> str:
    worst = step["details"].get("worst_stall") or {}
    if worst.get("ui_work_ms") is None:
        return ""
    return (f" (window's work {worst['ui_work_ms']:.0f}, waiting for a CPU {worst['cpu_wait_ms']:.0f}, "
            f"blocked {worst['blocked_ms']:.0f})")


def dumps(summary: dict) -> str:
    return json.dumps(summary, indent=2)
