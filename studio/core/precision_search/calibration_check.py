"""Can the calibration be trusted? Calibrating on texts unlike the ones the model will serve
(synthetic, too few, too short) sets ranges that clip real activations, and accuracy falls off a
cliff only once deployed. Checked here, before any engine is built:

- the two sets side by side: samples, duplicates, sequence-length histograms, unknown tokens;
- for every quantized tensor, the share of validation activations outside the range the
  calibration set gave it (clipped by the int8/fp8 scale);
- minmax, entropy and percentile calibration compared by the predicted score of the model each
  makes (the build's recipe, run as written on the CPU), in one run.

    report = check_calibration(SearchRequest(model=..., target="int8", data="val.csv",
                                             calibration=CalibrationSpec("calib.csv", column="text")))"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from studio.core.data.calibration import LengthStats, calibration_set_for_model
from studio.core.data.tables import read_rows
from studio.core.data.tokenizer import tokenizer_beside
from studio.core.errors import DataError
from studio.core.precision.model_io import load_model
from studio.core.precision.qdq import CALIBRATION_METHODS
from studio.core.precision_search.search import Candidates, PrecisionSearch, SearchRequest
from studio.core.precision_search.sqnr import tensors_session
from studio.core.progress import TaskState
from studio.core.serde import Record

# Below these a calibration set is suspect (ModelOpt's default is 512 samples).
MIN_SAMPLES = 64
MAX_DUPLICATE_SHARE = 0.2
MAX_UNKNOWN_SHARE = 0.05
CLIPPED_WARN = 0.01             # a tensor clipping more than 1 % of its validation values
_QMAX = {onnx.TensorProto.INT8: 127.0, onnx.TensorProto.UINT8: 255.0, onnx.TensorProto.FLOAT8E4M3FN: 448.0}


@dataclass
class SetFacts:
    """One text set as the model's tokenizer sees it."""

    source: str
    samples: int
    duplicate_share: float                  # rows whose text appeared before, 0-1
    unknown_token_share: float | None       # of all tokens; None without a known unknown token
    lengths: LengthStats | None


@dataclass
class TensorClipping:
    tensor: str
    limit: float                 # |x| beyond this saturates (scale x the type's largest value)
    clipped_share: float         # of its validation values, 0-1
    max_abs: float               # the largest |x| seen on the validation set


@dataclass
class CalibrationCheck(Record):
    model: str
    target: str
    method: str                               # the one the clipping was measured for
    calibration: SetFacts
    validation: SetFacts
    clipping: list[TensorClipping]            # most clipped first
    methods: list[dict]                       # [{method, predicted_score, drop_points}], best first
    metric: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _texts_facts(path: str, column: str | None, tokenizer, limit: int | None, texts=None) -> SetFacts:
    if texts is None:
        texts = [r.text for r in read_rows(path, column, limit=limit)]
    if not texts:
        raise DataError("no texts to check", where=path)
    dupes = len(texts) - len(set(texts))
    lengths = tokenizer.lengths(texts, max_length=1 << 30)
    unk = tokenizer.unknown_share(texts)
    return SetFacts(str(path), len(texts), dupes / len(texts), unk, LengthStats.of(lengths))


def _warnings(calib: SetFacts, val: SetFacts, clipping: list[TensorClipping]) -> list[str]:
    out = []
    if calib.samples < MIN_SAMPLES:
        out.append(f"only {calib.samples} calibration samples: ranges from so few texts miss what real traffic "
                   f"does; use {MIN_SAMPLES} or more (512 is usual)")
    if calib.duplicate_share > MAX_DUPLICATE_SHARE:
        out.append(f"{100 * calib.duplicate_share:.0f} % of the calibration texts are duplicates: a templated or "
                   "synthetic set? calibrate on real conversations")
    if calib.unknown_token_share is not None and calib.unknown_token_share > MAX_UNKNOWN_SHARE:
        out.append(f"{100 * calib.unknown_token_share:.1f} % of the calibration tokens are unknown to the "
                   "tokenizer: another language or the wrong tokenizer?")
    c, v = calib.lengths, val.lengths
    if c is not None and v is not None:
        if c.max < v.p90:
            out.append(f"calibration texts are shorter than validation ones (longest {c.max} tokens; 90 % of the "
                       f"validation texts are up to {v.p90:g}): long inputs' activations were never calibrated")
        spread_c, spread_v = c.p90 - c.min, v.p90 - v.min
        if spread_v > 0 and spread_c < 0.25 * spread_v:
            out.append(f"calibration lengths are narrow ({c.min}-{c.p90:g} tokens for 90 %) against validation "
                       f"({v.min}-{v.p90:g}): a synthetic-looking set")
    clipped = [t for t in clipping if t.clipped_share > CLIPPED_WARN]
    if clipped:
        worst = clipped[0]
        out.append(f"{len(clipped)} quantized tensor(s) clip more than {100 * CLIPPED_WARN:g} % of their validation "
                   f"values; worst {worst.tensor}: {100 * worst.clipped_share:.1f} % beyond +/-{worst.limit:.3g} "
                   f"(seen up to {worst.max_abs:.3g})")
    return out


def _activation_limits(qdq: onnx.ModelProto) -> dict[str, float]:
    """Float tensor -> the |x| its QuantizeLinear saturates at (per-tensor activations only)."""
    inits = {t.name: t for t in qdq.graph.initializer}
    limits = {}
    for n in qdq.graph.node:
        if n.op_type != "QuantizeLinear" or n.input[0] in inits or n.input[1] not in inits:
            continue
        scale = numpy_helper.to_array(inits[n.input[1]])
        if scale.size != 1:
            continue
        zp_type = inits[n.input[2]].data_type if len(n.input) > 2 and n.input[2] in inits else onnx.TensorProto.UINT8
        limits[n.input[0]] = float(scale.reshape(())) * _QMAX.get(zp_type, 127.0)
    return limits


def _clipping(source: Path, limits: dict[str, float], batches, threads: int | None) -> list[TensorClipping]:
    """Run the FP32 model with the quantized tensors as extra outputs over the validation batches."""
    model = load_model(source)
    produced = {o for n in model.graph.node for o in n.output}
    wanted = [t for t in limits if t in produced]
    sess = tensors_session(model, wanted, threads)
    inputs = {i.name for i in sess.get_inputs()}
    over = dict.fromkeys(wanted, 0)
    total = dict.fromkeys(wanted, 0)
    peak = dict.fromkeys(wanted, 0.0)
    for feed in batches:
        outs = sess.run(wanted, {k: v for k, v in feed.items() if k in inputs})
        for t, x in zip(wanted, outs):
            a = np.abs(np.asarray(x, dtype=np.float32))
            over[t] += int((a > limits[t] * (1 + 1e-6)).sum())
            total[t] += a.size
            peak[t] = max(peak[t], float(a.max(initial=0.0)))
    out = [TensorClipping(t, round(limits[t], 6), over[t] / total[t] if total[t] else 0.0, round(peak[t], 6))
           for t in wanted]
    out.sort(key=lambda c: (-c.clipped_share, c.tensor))
    return out


def check_calibration(req: SearchRequest, state: TaskState | None = None,
                      methods: tuple[str, ...] = CALIBRATION_METHODS) -> CalibrationCheck:
    """The calibration of `req` (int8 or fp8, with calibration data) checked against its
    validation data; every method of `methods` scored by the predicted metric of `req`."""
    state = state or TaskState()
    if req.target not in ("int8", "fp8"):
        raise DataError(f"{req.target} has no calibration to check; choose int8 or fp8")
    t0 = time.perf_counter()
    with PrecisionSearch(req, state) as search:
        source = search.candidates.source
        spec = req.calibration
        tok_path = req.tokenizer or spec.tokenizer or tokenizer_beside(Path(req.model))
        state.progress("Reading both sets", 0.05, force=True)
        calib_set = calibration_set_for_model(spec, source, default_tokenizer=tok_path)
        if calib_set.kind == "text":
            calib = _texts_facts(spec.path, spec.column, calib_set.tokenizer, None,
                                 texts=[r.text for r in calib_set.rows])
            val = _texts_facts(req.data, req.column, calib_set.tokenizer, req.limit)
        else:
            calib = SetFacts(spec.path, len(calib_set), 0.0, None, calib_set.summary().sequence_length)
            val = SetFacts(req.data, search.scorer.feed.n, 0.0, None, None)
        state.progress("Clipping on the validation set", 0.15, force=True)
        full = search.candidates.make([], high="fp32")
        limits = _activation_limits(load_model(full))
        full.unlink()
        clipping = _clipping(source, limits, search.scorer.batches(), req.threads)
        scored = []
        for i, method in enumerate(methods):
            state.progress(f"Calibrating with {method}", 0.3 + 0.7 * i / len(methods), force=True)
            folder = search.workdir / method
            folder.mkdir()
            candidates = Candidates(replace(req, calibration=replace(spec, method=method)), folder, state)
            path = candidates.make([])
            score = search.scorer.score(path, search.workdir, cancelled=lambda: state.cancelled)
            path.unlink()
            scored.append({"method": method, "predicted_score": score.value(req.metric),
                           "drop_points": round(search.scorer.drop(score), 4)})
        scored.sort(key=lambda m: m["drop_points"])
        state.progress("Done", 1.0, force=True)
        return CalibrationCheck(model=str(req.model), target=req.target, method=spec.method, calibration=calib,
                                validation=val, clipping=clipping, methods=scored, metric=req.metric,
                                warnings=_warnings(calib, val, clipping),
                                seconds=round(time.perf_counter() - t0, 2))
