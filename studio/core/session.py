"""The application layer: one session of work on a model, under both front ends.

A Session holds the model, its builds, their benchmark runs and accuracy checks, and offers each
step of the workflow as one operation: open, name an output, build, benchmark, check accuracy,
compare, export, report. Results stay typed objects in memory; the files it writes
(`<artifact>.bench.json`, `<artifact>.accuracy.json`, reports, exports) are for the user, never
the way one part of the studio reaches another.

It emits change events (studio.core.events) and knows nothing of who listens: the window's
panels connect to them, the command line calls the operations and prints what they return.

    session = Session()
    session.open("intent.onnx")
    fp32 = session.build(BuildConfig(model="intent.onnx", backend="onnxruntime",
                                     output=str(session.output_for("onnxruntime", "fp32"))))
    run = session.bench(fp32.key, BenchConfig(batch=8, duration_s=2), data="val.csv")   # or bench_sequence
    session.check_accuracy(fp32.key, "val.csv", label_column="intent")
    session.write_report("report.html")
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from studio.core.backends.base import BuildConfig, sidecar_path
from studio.core.backends.naming import default_output, unused
from studio.core.backends.registry import get_backend
from studio.core.backends.sidecar import load_sidecar, typed_model_path
from studio.core.errors import StudioError
from studio.core.events import Events
from studio.core.io import atomic_path
from studio.core.jobs.build_job import BuildEntry, run_build
from studio.core.pricing import DEFAULT_PRICE_PER_DEVICE_HOUR
from studio.core.progress import ProgressEvent

# The benchmark, precision and report steps are imported by the operations that run them:
# `engine-studio build` goes through the session, and importing them all (numpy, onnx, ONNX
# Runtime) took 1.15 s where the build's own import takes 40 ms, on a build of ~1.3 s.
if TYPE_CHECKING:
    from studio.core.bench.harness import BenchConfig, Sample
    from studio.core.bench.results import AccuracyResult, BenchResult, RunResult
    from studio.core.bench.sequence import BenchRun, BenchSequence
    from studio.core.bench.sweep import SweepFailure, SweepRequest, SweepResult, SweepRun
    from studio.core.jobs.executor import Executor
    from studio.core.precision_search.search import SearchRequest, SearchResult
    from studio.core.reports.report_model import AccuracyInfo, BenchInfo, Report, Speedup


@dataclass
class Comparison:
    """The builds side by side: each benchmark as the report shows it, the accuracy check of
    each artifact, the speedup of the best over the baseline and what it assumed."""

    benchmarks: list[BenchInfo]
    accuracy: dict[str, AccuracyInfo]          # artifact -> its accuracy check
    sizes: dict[str, int]                      # artifact -> bytes
    speedup: Speedup | None
    notes: list[str] = field(default_factory=list)


class Session:
    """The model, its builds and their results. Events: `model` (the path), `build`
    (BuildEntry), `run` (BenchResult), `accuracy` (AccuracyResult), `precision` (SearchResult),
    `sweep` (SweepResult)."""

    def __init__(self):
        self.model: str | None = None
        self.builds: dict[str, BuildEntry] = {}       # artifact -> build, in build order
        self.runs: dict[str, BenchResult] = {}        # artifact -> its latest benchmark
        self.accuracy: dict[str, AccuracyResult] = {}  # artifact -> its latest accuracy check
        self.saved: dict[str, str] = {}               # result key -> the file it was saved to
        self.precision: SearchResult | None = None     # the model's latest precision search
        self.sweep_result: SweepResult | None = None   # the model's latest sweep, with its plan if asked
        self.events = Events("model", "build", "run", "accuracy", "precision", "sweep")

    # ----- model and builds
    def open(self, path: str | Path) -> str:
        """Make `path` the session's model (its graph is opened by the front end, which shows it)."""
        path = Path(path)
        if not path.is_file():
            raise StudioError("no such file", where=str(path))
        self.model = str(path)
        self.events.model(self.model)
        return self.model

    def output_for(self, backend: str, precision: str, folder: str | Path | None = None,
                   model: str | Path | None = None) -> Path:
        """Where a build of the model goes when the user does not say: the rule the command line
        follows (studio.core.backends.naming), numbered so that no earlier build of this session
        or on disk is replaced."""
        model = model or self.model
        if model is None:
            raise StudioError("open a model first")
        return unused(default_output(model, backend, precision, folder), taken=self.builds)

    def build(self, config: BuildConfig, *, on_event: Callable[[ProgressEvent], None] | None = None,
              cancel: threading.Event | None = None, child=None) -> BuildEntry:
        """Build in a child process (studio.core.jobs.build_job) and add the build."""
        result = run_build(config, on_event=on_event, cancel=cancel, child=child)
        return self.add_build(BuildEntry(result, config))

    def add_build(self, entry: BuildEntry) -> BuildEntry:
        """Record a finished build (one the window ran in its own worker, or one opened from disk)."""
        self.builds[entry.key] = entry
        self.events.build(entry)
        return entry

    def entry(self, artifact: str) -> BuildEntry:
        try:
            return self.builds[str(artifact)]
        except KeyError:
            raise StudioError("not a build of this session", where=str(artifact)) from None

    # ----- benchmarks
    def bench_sequence(self, *, data: str | None = None, seq_len: int | None = None, tokenizer: str | None = None,
                       column: str | None = None, remote: tuple[str, str | None] | None = None,
                       runner_options: dict | None = None,
                       on_sample: Callable[[str, Sample], None] | None = None,
                       on_run: Callable[[BenchRun], None] | None = None,
                       on_result: Callable[[BenchRun, RunResult], None] | None = None) -> BenchSequence:
        """Benchmark runs of this session's builds, fed the user's data (or synthetic ids it says
        it used), each in a child process here or as a job on `remote` (cluster address, target):
        `seq.run(runs)` measures them (stop and cancel from any thread), `add_sequence` keeps
        what they measured."""
        # lazy: 100 ms off this module's import (numpy), which a build does not need
        from studio.core.bench.inputs import declare_inputs
        from studio.core.bench.sequence import BenchSequence

        inputs, declared = declare_inputs(data, seq_len, tokenizer, column)
        return BenchSequence(inputs, declared, remote=remote, runner_options=runner_options,
                             on_sample=on_sample, on_run=on_run, on_result=on_result)

    def sequence_results(self, seq: BenchSequence, out: list[tuple[BenchRun, RunResult]]) -> list[BenchResult]:
        """What a sequence measured: one BenchResult per build, in the order the builds ran, not
        yet added (any thread may make and save them: the window writes them off its UI thread)."""
        grouped: dict[str, list[tuple[BenchRun, RunResult]]] = {}
        for run, res in out:
            grouped.setdefault(run.entry.key, []).append((run, res))
        return [self.bench_result(pairs[0][0].entry, [r for _, r in pairs], inputs=seq.inputs_of(r for _, r in pairs),
                                  runner=seq.runner(pairs[0][0].entry,
                                                    shared=any(b.config.shared_runner for b, _ in pairs)))
                for pairs in grouped.values()]

    def add_sequence(self, seq: BenchSequence, out: list[tuple[BenchRun, RunResult]], *,
                     save: bool = True) -> list[BenchResult]:
        """What a sequence measured, added (and saved beside each build when `save`)."""
        return [self.add_result(res, save=save) for res in self.sequence_results(seq, out)]

    def bench(self, artifact: str, config: BenchConfig, **inputs) -> BenchResult:
        """One configuration of one build, measured and added (`inputs`: bench_sequence's)."""
        # lazy: 4 ms off this module's import (with bench_sequence's numpy)
        from studio.core.bench.sequence import BenchRun

        seq = self.bench_sequence(**inputs)
        with seq:
            out = seq.run([BenchRun(self.entry(artifact), config)])
        return self.add_sequence(seq, out)[0]

    def add_runs(self, entry: BuildEntry, runs: list[RunResult], inputs: dict | None = None,
                 save: bool = True, runner: dict | None = None, notes: list | None = None) -> BenchResult:
        """The runs of one build as a BenchResult, added, and saved beside the artifact when `save`."""
        return self.add_result(self.bench_result(entry, runs, inputs, runner, notes), save=save)

    @staticmethod
    def bench_result(entry: BuildEntry, runs: list[RunResult], inputs: dict | None = None,
                     runner: dict | None = None, notes: list | None = None) -> BenchResult:
        # lazy: 98 ms off this module's import (numpy), which a build does not need
        from studio.core.bench.results import BenchResult

        return BenchResult(model=entry.config.model, backend=entry.result.backend, precision=entry.result.precision,
                           artifact=entry.result.output, runs=list(runs),
                           runner=runner or {"name": entry.result.backend, "sessions": "one per client"},
                           inputs=inputs, notes=list(notes or []))

    # ----- accuracy
    def check_accuracy(self, artifact: str, data: str, *, cancel: threading.Event | None = None,
                       save: bool = True, **options) -> AccuracyResult:
        """The build against its FP32 source on the user's data (studio.core.bench.accuracy,
        in a child process), added, and saved beside the artifact when `save`. The artifact
        may be one the session did not build (a file given on the command line)."""
        # lazy: 98 ms off this module's import (numpy), which a build does not need
        from studio.core.bench.isolated import check_build_isolated

        res = check_build_isolated(artifact, data, cancel=cancel, **options)
        return self.add_result(res, save=save)

    # ----- precision
    def find_precision(self, req: SearchRequest, *, on_event: Callable[[ProgressEvent], None] | None = None,
                       cancel: threading.Event | None = None, executor: Executor | None = None,
                       targets: list[str] | None = None) -> SearchResult:
        """Per-node sensitivity and the mixed-precision search of `req` (in a child process; the
        sensitivity probes spread over `executor`'s targets when one is given); the keep-list it
        finds is the result's `keep_file()`, for a build to take."""
        # lazy: 0.8 s off this module's import (onnx, ONNX Runtime), which a build does not need
        from studio.core.precision_search.job import run_search

        return self.add_precision(run_search(req, on_event=on_event, cancel=cancel, executor=executor,
                                             targets=targets))

    def add_precision(self, res: SearchResult) -> SearchResult:
        """Record a search the window ran in its own worker."""
        self.precision = res
        self.events.precision(res)
        return res

    # ----- sweeps
    def sweep(self, req: SweepRequest, executor: Executor, *, peak: tuple[float, float] | None = None,
              prices: dict[str, float] | None = None, default_price: float = DEFAULT_PRICE_PER_DEVICE_HOUR,
              on_run: Callable[[SweepRun], None] | None = None,
              on_failure: Callable[[SweepFailure], None] | None = None,
              cancel: threading.Event | None = None) -> SweepResult:
        """Precisions x batch sizes x concurrencies on each target (studio.core.bench.sweep), and
        with `peak` = (requests/s, P99 budget ms) the serving plan; rows stream to `on_run`."""
        # lazy: 169 ms off this module's import (numpy), which a build does not need
        from studio.core.bench.sweep import run_sweep, with_plan

        result = run_sweep(req, executor, on_run=on_run, on_failure=on_failure, cancel=cancel)
        if peak is not None:
            with_plan(result, peak[0], peak[1], prices or {}, default_price)
        self.sweep_result = result
        self.events.sweep(result)
        return result

    def add_result(self, res: BenchResult | AccuracyResult, save: bool = True, source: str | None = None):
        """Record a result: one measured here (saved beside its artifact when `save`), or one the
        user opened from a file (`source`)."""
        # lazy: 98 ms off this module's import (numpy); loaded already by whatever made `res`
        from studio.core.bench.results import AccuracyResult

        if isinstance(res, AccuracyResult):
            key, suffix, store, event = res.build, ".accuracy.json", self.accuracy, self.events.accuracy
        else:
            key, suffix, store, event = res.artifact or source or res.model, ".bench.json", self.runs, self.events.run
        if save and source is None:
            source = self.result_path_beside(res)
            res.save(source)
        if source is not None:
            self.saved[f"{key}{suffix}"] = source
        store[str(key)] = res
        event(res)
        return res

    @staticmethod
    def result_path_beside(res: BenchResult | AccuracyResult) -> str:
        """Where a result measured here is saved for the user: beside its artifact."""
        # lazy: 98 ms off this module's import (numpy); loaded already by whatever made `res`
        from studio.core.bench.results import AccuracyResult

        if isinstance(res, AccuracyResult):
            return f"{res.build}.accuracy.json"
        return f"{res.artifact or res.model}.bench.json"

    def result_file(self, res: BenchResult | AccuracyResult) -> str | None:
        """The file a result held by the session was saved to or opened from, if any."""
        # lazy: 98 ms off this module's import (numpy); loaded already by whatever made `res`
        from studio.core.bench.results import AccuracyResult

        store, suffix = (self.accuracy, ".accuracy.json") if isinstance(res, AccuracyResult) else (self.runs, ".bench.json")
        key = next((k for k, held in store.items() if held is res), None)
        return self.saved.get(key + suffix) if key is not None else None

    # ----- compare, export, report
    def compare(self, price_per_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR) -> Comparison:
        # lazy: 174 ms off this module's import (numpy), which a build does not need
        from studio.core.reports.from_results import accuracy_from_results, bench_from_results
        from studio.core.reports.report_model import compute_speedup

        benchmarks = [bench_from_results(res, self.result_file(res) or key) for key, res in self.runs.items()]
        accuracy = {}
        for key, res in self.accuracy.items():
            info = accuracy_from_results(res, self.result_file(res) or key)
            accuracy[info.artifact] = info
        speedup, notes = compute_speedup(benchmarks, price_per_hour)
        sizes = {e.result.output: e.result.size_bytes for e in self.builds.values()}
        return Comparison(benchmarks, accuracy, sizes, speedup, notes)

    def best_build(self, price_per_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR) -> BuildEntry | None:
        """The build of highest throughput among those benchmarked, if any."""
        speedup = self.compare(price_per_hour).speedup
        if speedup is not None:
            for entry in self.builds.values():
                if Path(entry.result.output).name in speedup.best:
                    return entry
        return None

    def export(self, artifact: str, folder: str | Path) -> list[str]:
        """Copy a build and what travels with it (its sidecar, the layer report its backend
        keeps beside it, the typed model its accuracy is predicted from) into `folder`, each
        file atomically, never outside `folder`."""
        entry = self.entry(artifact)
        src = Path(entry.result.output)
        if not src.is_file():
            raise StudioError("the build's file is gone", where=str(src))
        files = [src, sidecar_path(src)]
        try:
            report = self.backend_of(artifact).layer_report(src, load_sidecar(src) if files[1].is_file() else None)
        except StudioError:
            report = None     # no layer report kept: nothing more travels with it
        if report is not None and report != src:
            files.append(report)
        files.append(typed_model_path(src))
        dest_dir = Path(folder).resolve()
        dest_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for p in files:
            if not p.is_file():
                continue
            dest = (dest_dir / p.name).resolve()
            if dest.parent != dest_dir:
                raise StudioError("refusing to write outside the chosen folder", where=str(dest))
            with atomic_path(dest) as tmp:
                shutil.copyfile(p, tmp)
            written.append(str(dest))
        return written

    def report(self, *, title: str | None = None,
               price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR) -> Report:
        """The report of what this session holds, from the typed results."""
        # lazy: 0.8 s off this module's import (onnx), which a build does not need
        from studio.core.reports.from_results import report_from_results
        from studio.core.reports.sections import build_from_sidecar, model_from_onnx

        builds = []
        for entry in self.builds.values():
            side = sidecar_path(entry.result.output)
            if side.is_file():
                builds.append(build_from_sidecar(load_sidecar(entry.result.output), str(side), entry.result.output))
        return report_from_results(
            model=model_from_onnx(Path(self.model)) if self.model else None, builds=builds,
            runs=[(res, self.result_file(res) or key) for key, res in self.runs.items()],
            accuracy=[(res, self.result_file(res) or key) for key, res in self.accuracy.items()],
            title=title, price_per_device_hour=price_per_device_hour, model_from_onnx=model_from_onnx,
            sweep=self.sweep_result)

    def write_report(self, path: str | Path, *, title: str | None = None,
                     price_per_device_hour: float = DEFAULT_PRICE_PER_DEVICE_HOUR, pdf_writer=None) -> str:
        """Write the report in the format the file name asks for; returns the format."""
        # lazy: 139 ms off this module's import (numpy), which a build does not need
        from studio.core.reports.export import report_format, write_report

        report_format(path)   # an unknown extension is refused before any work
        return write_report(self.report(title=title, price_per_device_hour=price_per_device_hour), path,
                            pdf_writer=pdf_writer)

    def backend_of(self, artifact: str):
        return get_backend(self.entry(artifact).result.backend)
