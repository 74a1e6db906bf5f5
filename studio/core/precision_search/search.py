"""Per-node precision sensitivity and the automatic mixed-precision search.

Every candidate the search scores is made by the build's own recipe (studio.core.precision.
prepare.lower_qdq for int8/fp8, the fp16/bf16 casts) and scored by running its typed model as
written, so the keep-list it returns builds the engine whose accuracy it predicted. Int8/fp8
calibrate once: the tensor ranges are saved and every candidate quantizes from them.

- Sensitivity of a quantizable node (MatMul, Gemm, Conv): how far the model's output moves,
  100 x (1 - mean cosine similarity with FP32), when only that node is lowered to the target.
  A continuous drift rather than the budget metric: lowering one node rarely flips a label, and
  a ranking of ties ranks nothing. Int8/fp8 probes come from one calibrated Q/DQ model with the
  other nodes' Q/DQ bypassed (qdq.unquantized_except), the rest in fp32, so a scan does not run
  the quantizer once per node.
- Search: lower everything; if that misses the budget, keep the most sensitive nodes high (ties:
  the fewest FLOPs kept first), finding by bisection the fewest that meet it; the answer is a
  candidate that was itself made and scored."""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import onnx

from studio.core.backends.base import CalibrationSpec
from studio.core.data.tokenizer import tokenizer_beside
from studio.core.errors import Cancelled, DataError, StudioError
from studio.core.jobs.substate import SubState
from studio.core.precision.keep import KeepFile, resolve_keep
from studio.core.precision.model_io import load_model, name_nodes, save_model
from studio.core.precision_search.evaluate import Score, Scorer
from studio.core.precision_search.flops import QUANTIZABLE, node_flops, quantizable_nodes
from studio.core.precision_search.sqnr import activation_sqnr, node_sqnr
from studio.core.progress import TaskState
from studio.core.serde import Record

TARGETS = ("int8", "fp8", "fp16", "bf16")


class BudgetUnreachable(StudioError):
    """The budget cannot be met for the target even with every quantizable node kept high."""


@dataclass
class SearchRequest:
    model: str
    target: str                          # int8 | fp8 | fp16 | bf16
    data: str                            # validation data
    budget: float = 0.5                  # points the metric may drop
    metric: str = "accuracy"             # accuracy | agreement | cosine
    column: str | None = None
    label_column: str | None = None
    labels_file: str | None = None
    tokenizer: str | None = None
    seq_len: int | None = None
    limit: int | None = None
    calibration: CalibrationSpec | None = None   # int8 / fp8
    high_precision: str = "fp16"         # what Q/DQ leaves unquantized runs in
    keep: list[str] = field(default_factory=list)  # entries kept high whatever the search finds
    threads: int | None = None
    batch: int = 32
    # Rows a sensitivity probe is scored on: ranking nodes needs fewer than judging a candidate,
    # and a scan runs one probe per quantizable node.
    sensitivity_samples: int = 64


@dataclass
class NodeSensitivity:
    node: str
    score: float          # output drift with only this node lowered, in points: 100 x (1 - mean cosine with FP32)
    flops: float          # multiply-add FLOPs of one validation batch
    sqnr_db: float | None = None  # its weakest quantized input in the all-lowered model (int8/fp8), dB


@dataclass
class SearchResult(Record):
    model: str
    target: str
    metric: str
    budget: float                         # points, as the request gave it (the JSON contract names it so)
    reference_accuracy: float | None      # fractions 0-1, with labels
    predicted_accuracy: float | None
    reference_score: float                # the metric's value, fraction 0-1
    predicted_score: float
    drop_points: float                    # how far the metric fell, in points (percent of the 0-1 scale)
    lowered_gemm_flops_share: float       # 0-1
    kept: list[str]                       # node names left in higher precision
    sensitivity: list[dict]               # [{node, score, flops, sqnr_db}], most sensitive first
    candidates: list[dict]                # every assignment scored: kept count, drop, met
    seconds: float
    high_precision: str = "fp16"
    keep_entries: list[str] = field(default_factory=list)  # the user's own entries, kept as given
    predicted: bool = True                # figures from CPU runs of the typed models

    def keep_file(self) -> KeepFile:
        """The keep-list a build takes (`build --keep-file`): the user's own entries and the nodes
        the search kept high, with the figures that chose them."""
        entries = list(self.keep_entries) + [k for k in self.kept if k not in self.keep_entries]
        about = {"made_by": "engine-studio precision", "target": self.target, "high_precision": self.high_precision,
                 "metric": self.metric, "budget_points": self.budget, "drop_points": self.drop_points,
                 "reference": self.reference_score, "predicted": self.predicted_score,
                 "lowered_gemm_flops_share": self.lowered_gemm_flops_share}
        return KeepFile(entries, model=Path(self.model).name, about=about)


class _Muted(SubState):
    """A candidate's own progress (calibration, casting) is not the search's: only cancel and
    log lines pass."""

    def __init__(self, parent: TaskState):
        super().__init__(parent, 0.0, 1.0)

    def progress(self, phase: str, fraction: float | None = None, force: bool = False) -> None:
        pass


class Candidates:
    """Makes the typed model of one assignment, by the build's recipe, in a scratch folder."""

    def __init__(self, req: SearchRequest, workdir: Path, state: TaskState):
        self.req, self.workdir, self.state = req, workdir, state
        self.source = workdir / "source.onnx"
        save_model(name_nodes(load_model(req.model)), self.source)  # names every node addresses
        self.ranges = workdir / "ranges.json"
        self.quantizable = quantizable_nodes(load_model(self.source))
        self._all_quantized = None
        self._source_model = None
        self._n = 0
        if req.target in ("int8", "fp8") and req.calibration is None:
            raise DataError(f"{req.target} needs calibration data (--calib FILE): its scales come from real inputs")

    def make(self, keep: list[str], high: str | None = None) -> Path:
        # lazy: 4 ms off this module's import
        from studio.core.precision.prepare import lower_qdq

        self._n += 1
        out = self.workdir / f"candidate-{self._n}.onnx"
        keep = list(self.req.keep) + [k for k in keep if k not in self.req.keep]
        quiet = _Muted(self.state)
        if self.req.target in ("int8", "fp8"):
            calib = None
            if not self.ranges.is_file():
                from studio.core.data.calibration import calibration_set_for_model

                calib = calibration_set_for_model(self.req.calibration, self.source,
                                                  default_tokenizer=self.req.tokenizer
                                                  or tokenizer_beside(Path(self.req.model)))
                self.state.log(f"calibration: {len(calib)} samples from {self.req.calibration.path}")
            method = "distribution" if self.req.target == "fp8" else self.req.calibration.method
            lower_qdq(self.source, out, self.req.target, quiet, calib=calib, method=method, keep_fp32=keep,
                      high=high or self.req.high_precision, ranges=self.ranges)
            return out
        from studio.core.precision.cast import cast_bf16, cast_fp16

        cast = cast_fp16 if self.req.target == "fp16" else cast_bf16
        model, _ = cast(load_model(self.source), keep)
        return save_model(model, out)

    def all_quantized(self) -> onnx.ModelProto:
        """Every quantizable node lowered, the rest in fp32: the base of every probe."""
        if self._all_quantized is None:
            self._source_model = load_model(self.source)
            full = self.make([], high="fp32")
            self._all_quantized = load_model(full)
            full.unlink()
        return self._all_quantized

    def probe(self, node: str) -> Path:
        """The model with only `node` lowered to the target (every other quantizable node fp32)."""
        if self.req.target not in ("int8", "fp8"):
            return self.make([n for n in self.quantizable if n != node], high="fp32")
        # lazy: 5 ms off this module's import
        from studio.core.precision.qdq import unquantized_except

        self._n += 1
        probe = unquantized_except(self.all_quantized(), self._source_model, {node})
        return save_model(probe, self.workdir / f"probe-{self._n}.onnx")


def searched_nodes(model: onnx.ModelProto, keep: list[str]) -> list[str]:
    """The nodes a search may lower: the quantizable ones the user does not keep high."""
    kept_ops, kept_nodes = resolve_keep(model, keep) if keep else ([], [])
    return [n.name for n in model.graph.node
            if n.op_type in QUANTIZABLE and n.op_type not in kept_ops and n.name not in kept_nodes]


def _check_request(req: SearchRequest) -> None:
    if req.target not in TARGETS:
        raise StudioError(f"unknown target precision {req.target!r}; choose one of {', '.join(TARGETS)}")
    if req.budget < 0:
        raise StudioError("the budget is a drop in points and must not be negative")
    if not Path(req.model).is_file():
        raise StudioError("model not found", where=str(req.model))
    if not Path(req.data).is_file():
        raise DataError("validation data not found", where=str(req.data))


class PrecisionSearch:
    """One model, one target, one validation set: sensitivity and search share the calibration,
    the reference outputs and the scratch folder."""

    def __init__(self, req: SearchRequest, state: TaskState | None = None):
        _check_request(req)
        self.req, self.state = req, state or TaskState()
        self._tmp = tempfile.TemporaryDirectory(prefix="studio-precision-")
        self.workdir = Path(self._tmp.name)
        self.t0 = time.perf_counter()
        self.state.progress("Reading the model and validation data", 0.0, force=True)
        self.candidates = Candidates(req, self.workdir, self.state)
        model = load_model(self.candidates.source)
        self.scorer = Scorer(self.candidates.source, req.data, metric=req.metric, column=req.column,
                             label_column=req.label_column, labels_file=req.labels_file, tokenizer=req.tokenizer,
                             seq_len=req.seq_len, limit=req.limit, threads=req.threads, batch=req.batch,
                             beside=(Path(req.model),))
        # What the user keeps is not the search's to lower; an entry naming nothing is refused here,
        # before any work.
        self.nodes = searched_nodes(model, req.keep)
        self.flops = node_flops(model, self.scorer.sample_batch())
        self.history: list[dict] = []
        self._sensitivity: list[NodeSensitivity] | None = None
        self._probes: dict[str, NodeSensitivity] = {}       # probes made elsewhere (a cluster's nodes)

    def close(self) -> None:
        self.scorer.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_cancel(self) -> None:
        if self.state.cancelled:
            raise Cancelled("precision search cancelled; nothing was written")

    def _score(self, keep: list[str] | None = None, probe: str | None = None) -> Score:
        self._check_cancel()
        path = self.candidates.probe(probe) if probe is not None else self.candidates.make(keep or [])
        try:
            return self.scorer.score(path, self.workdir, cancelled=lambda: self.state.cancelled,
                                     samples=self.req.sensitivity_samples if probe is not None else None)
        finally:
            path.unlink(missing_ok=True)

    def sensitivity(self, lo: float = 0.0, hi: float = 1.0) -> list[NodeSensitivity]:
        """Each quantizable node's output drift with only it lowered, most sensitive first."""
        if self._sensitivity is not None:
            return self._sensitivity
        out = self.probe([n for n in self.nodes if n not in self._probes], lo, hi)
        out += [self._probes[n] for n in self.nodes if n in self._probes]
        out.sort(key=lambda s: (-s.score, s.flops))
        if self.req.target in ("int8", "fp8"):
            self.state.progress("Per-tensor SQNR", hi, force=True)
            qdq = self.candidates.all_quantized()
            batches = self.scorer.batches(self.req.sensitivity_samples)
            per_node = node_sqnr(qdq, activation_sqnr(self.candidates.source, qdq, batches, self.req.threads))
            for s in out:
                db = per_node.get(s.node)
                s.sqnr_db = None if db is None else (round(db, 3) if math.isfinite(db) else None)
        self._sensitivity = out
        return out

    def probe(self, nodes: list[str], lo: float = 0.0, hi: float = 1.0) -> list[NodeSensitivity]:
        """The output drift (100 x (1 - cos)) of the model with only each of `nodes` lowered."""
        out = []
        for i, node in enumerate(nodes):
            self.state.progress(f"Sensitivity {i + 1}/{len(nodes)}", lo + (hi - lo) * i / max(len(nodes), 1))
            score = self._score(probe=node)
            drift = float("inf") if score.nonfinite else 100.0 * (1.0 - score.cosine)
            out.append(NodeSensitivity(node, round(drift, 6), self.flops.get(node, 0.0)))
        return out

    def use_probes(self, probes: list[NodeSensitivity]) -> None:
        """Probes made by other machines on the same request: the sensitivity scan skips them."""
        unknown = [p.node for p in probes if p.node not in self.nodes]
        if unknown:
            raise StudioError(f"probes of nodes this search does not lower: {', '.join(unknown[:5])}")
        self._probes.update({p.node: p for p in probes})

    def lowered_share(self, kept: list[str]) -> float:
        total = sum(self.flops.values())
        if total <= 0:
            return 0.0
        lowered = sum(f for n, f in self.flops.items() if n in self.nodes and n not in kept)
        return lowered / total

    def _try(self, kept: list[str]) -> tuple[Score, float, bool]:
        score = self._score(kept)
        drop = self.scorer.drop(score)
        met = drop <= self.req.budget + 1e-9
        self.history.append({"kept": len(kept), "drop_points": round(drop, 4), "met": met,
                             "lowered_gemm_flops_share": round(self.lowered_share(kept), 4)})
        self.state.log(f"{len(kept)} node(s) kept high: drop {drop:.3f} points ({'meets' if met else 'misses'} "
                       f"the budget of {self.req.budget:g})")
        return score, drop, met

    def search(self) -> SearchResult:
        req = self.req
        order = [s.node for s in self.sensitivity(0.0, 0.7)]
        self.state.progress("Searching", 0.7, force=True)
        best = None
        score, drop, met = self._try([])
        if met:
            best = ([], score, drop)
        else:
            score_all, drop_all, met_all = self._try(order)
            if not met_all:
                raise BudgetUnreachable(
                    f"the budget of {req.budget:g} points ({req.metric}) cannot be met for {req.target}: with every "
                    f"quantizable node kept high the drop is still {drop_all:.2f} points (what stays lowered: "
                    f"{'the Q/DQ-free rest in ' + req.high_precision if req.target in ('int8', 'fp8') else 'everything else in ' + req.target}); "
                    f"lowering everything drops {drop:.2f}. Raise the budget, choose another target or metric, "
                    "or keep more ops in fp32 (--keep)")
            lo, hi = 0, len(order)          # lo misses, hi meets
            best = (order, score_all, drop_all)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                self.state.progress("Searching", 0.7 + 0.3 * (1 - (hi - lo) / len(order)))
                s, d, ok = self._try(order[:mid])
                if ok:
                    hi, best = mid, (order[:mid], s, d)
                else:
                    lo = mid
        kept, score, drop = best
        self.state.progress("Done", 1.0, force=True)
        ref = self.scorer.reference
        return SearchResult(
            model=str(req.model), target=req.target, metric=req.metric, budget=req.budget,
            reference_accuracy=ref.accuracy, predicted_accuracy=score.accuracy,
            reference_score=ref.value(req.metric), predicted_score=score.value(req.metric), drop_points=round(drop, 4),
            lowered_gemm_flops_share=round(self.lowered_share(kept), 4), kept=list(kept),
            sensitivity=[asdict(s) for s in self._sensitivity],
            candidates=list(self.history), seconds=round(time.perf_counter() - self.t0, 2),
            high_precision=req.high_precision, keep_entries=list(req.keep))
