"""Accuracy of a build against its FP32 ONNX source run as it is, on the same inputs:
per output max/mean absolute and relative error, cosine similarity, top-1 agreement and a
NaN/Inf count that raises an alarm; with labels, accuracy against FP32 and a flag when the drop
exceeds the threshold (a fraction: 0.01, one point, by default)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from studio.core.backends.base import sidecar_path
from studio.core.backends.registry import backend_for_artifact, get_backend
from studio.core.backends.sidecar import load_sidecar, source_model
from studio.core.bench.inputs import Feed, open_feed
from studio.core.bench.predicted import PREDICTION_LABEL, PREDICTION_LIMITS, predicting_runner
from studio.core.bench.results import AccuracyResult, OutputComparison
from studio.core.data.tokenizer import tokenizer_beside
from studio.core.errors import Cancelled, DataError, StudioError

REL_EPS = 1e-6


class _Acc:
    """Streaming accumulator for one output."""

    def __init__(self, name):
        self.name = name
        self.shape = None
        self.n = 0
        self.sum_abs = 0.0
        self.count = 0
        self.max_abs = 0.0
        self.sum_rel = 0.0
        self.max_rel = 0.0
        self.cos: list[np.ndarray] = []
        self.agree = 0
        self.rows = 0
        self.nan = 0
        self.inf = 0

    def add(self, ref: np.ndarray, out: np.ndarray):
        if ref.shape != out.shape:
            raise StudioError(f"output {self.name!r}: build gives shape {out.shape}, reference {ref.shape}")
        self.shape = list(ref.shape[1:])
        o = out.astype(np.float64)
        r = ref.astype(np.float64)
        self.nan += int(np.isnan(o).sum())
        self.inf += int(np.isinf(o).sum())
        finite = np.isfinite(o)
        diff = np.where(finite, np.abs(o - r), 0.0)
        rel = diff / np.maximum(np.abs(r), REL_EPS)
        self.sum_abs += float(diff.sum())
        self.sum_rel += float(rel.sum())
        self.count += int(finite.sum())
        self.max_abs = max(self.max_abs, float(diff.max(initial=0.0)))
        self.max_rel = max(self.max_rel, float(rel.max(initial=0.0)))
        b = r.shape[0] if r.ndim else 1
        of = np.where(finite, o, 0.0).reshape(b, -1)
        rf = r.reshape(b, -1)
        denom = np.linalg.norm(of, axis=1) * np.linalg.norm(rf, axis=1)
        cos = np.where(denom > 0, (of * rf).sum(axis=1) / np.maximum(denom, 1e-30), 1.0)
        self.cos.append(np.where(finite.reshape(b, -1).all(axis=1), cos, 0.0))
        if r.ndim >= 2:
            self.agree += int((np.argmax(np.where(finite, o, -np.inf), axis=-1) == np.argmax(r, axis=-1)).sum())
            self.rows += int(np.prod(r.shape[:-1]))

    def result(self) -> OutputComparison:
        cos = np.concatenate(self.cos) if self.cos else np.ones(1)
        return OutputComparison(
            name=self.name, shape=["batch", *self.shape], max_abs_error=self.max_abs,
            mean_abs_error=self.sum_abs / max(self.count, 1), max_rel_error=self.max_rel,
            mean_rel_error=self.sum_rel / max(self.count, 1), cosine_mean=float(cos.mean()),
            cosine_min=float(cos.min()), nan_count=self.nan, inf_count=self.inf,
            top1_agreement=(self.agree / self.rows) if self.rows else None)


def label_indices(labels: list, names: list[str] | None, where: str = "") -> np.ndarray:
    """Label values -> output indices: through `names` (labels file order) when given; numeric
    labels are indices."""
    out = []
    lookup = {n: i for i, n in enumerate(names)} if names else None
    for i, lab in enumerate(labels):
        lab = str(lab).strip()
        if lookup is not None and lab in lookup:
            out.append(lookup[lab])
        elif lab.lstrip("-").isdigit():
            out.append(int(lab))
        elif lookup is None:
            raise DataError(f"label {lab!r} is not an index and no labels file maps names to indices "
                            "(pass --labels labels.txt)", where=where or None)
        else:
            raise DataError(f"label {lab!r} (row {i + 1}) is not in the labels file "
                            f"({len(names)} names)", where=where or None)
    return np.asarray(out, dtype=np.int64)


def read_label_names(path) -> list[str]:
    """One name per line in index order, or a JSON list."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise DataError(f"cannot read labels ({e.strerror})", where=str(p)) from None
    if text.lstrip().startswith("["):
        try:
            names = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"labels file is not a JSON list ({e})", where=str(p)) from None
        if not isinstance(names, list):
            raise DataError("labels file is not a JSON list", where=str(p))
        names = [str(n) for n in names]
    else:
        names = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not names:
        raise DataError("labels file is empty", where=str(p))
    if len(set(names)) != len(names):
        raise DataError("labels file names the same label twice", where=str(p))
    return names


def compare(build_runner, ref_runner, feed: Feed, batch: int = 32, labels: np.ndarray | None = None,
            label_output: str | None = None, threshold: float = 0.01, build: str = "", reference: str = "",
            backend: str = "", precision: str = "", progress=None, cancelled=None) -> AccuracyResult:
    """Both runners active. Runs every sample of `feed` through both, batch by batch."""
    accs: dict[str, _Acc] = {}
    correct = ref_correct = 0
    first_logits = label_output
    for start in range(0, feed.n, batch):
        if cancelled and cancelled():
            raise Cancelled("accuracy check cancelled")
        idx = list(range(start, min(feed.n, start + batch)))
        f = feed.make_batch(idx)
        ref = ref_runner.infer(f)
        out = build_runner.infer(f)
        missing = [k for k in ref if k not in out]
        if missing:
            raise StudioError(f"the build has no output(s) {', '.join(missing)} that the reference has")
        for k in ref:
            accs.setdefault(k, _Acc(k)).add(ref[k], out[k])
        if labels is not None:
            if first_logits is None:
                first_logits = next((k for k in ref if ref[k].ndim == 2), None)
                if first_logits is None:
                    raise StudioError("no 2-D output to read class scores from; labels cannot be checked")
            y = labels[idx]
            n_cls = ref[first_logits].shape[-1]
            if y.max(initial=0) >= n_cls or y.min(initial=0) < 0:
                raise DataError(f"a label index is outside the {n_cls} classes of output {first_logits!r}")
            correct += int((np.argmax(out[first_logits], -1) == y).sum())
            ref_correct += int((np.argmax(ref[first_logits], -1) == y).sum())
        if progress:
            progress(min(1.0, (start + len(idx)) / feed.n))
    outs = [a.result() for a in accs.values()]
    top1 = next((o.top1_agreement for o in outs if o.top1_agreement is not None), None)
    res = AccuracyResult(build=build, reference=reference, backend=backend, precision=precision,
                         samples=feed.n, outputs=outs, top1_agreement=top1,
                         max_abs_error=max((o.max_abs_error for o in outs), default=0.0),
                         nan_count=sum(o.nan_count for o in outs), inf_count=sum(o.inf_count for o in outs),
                         threshold=threshold, inputs=feed.describe())
    if res.nan_count or res.inf_count:
        res.alarm.append(f"the build produced {res.nan_count} NaN and {res.inf_count} Inf values: "
                         "its outputs cannot be trusted (overflow in reduced precision?)")
    if labels is not None:
        res.accuracy = correct / feed.n
        res.reference_accuracy = ref_correct / feed.n
        res.accuracy_change = res.accuracy - res.reference_accuracy
        res.flagged = -res.accuracy_change > threshold
    if res.alarm:
        res.flagged = True
    return res


def _first_file(*paths) -> str | None:
    for p in paths:
        if p is not None and Path(p).is_file():
            return str(p)
    return None


def resolve_reference(build: Path, reference: str | None = None,
                      sidecar: dict | None = None) -> tuple[Path, dict | None]:
    """The FP32 reference of a build: `reference` if given, else the sidecar's source model,
    refused when it is gone or changed since the build (sha256). `sidecar`: the build's, when it
    is not beside it (a copy of the build checked on another machine)."""
    if sidecar is None and sidecar_path(build).exists():
        sidecar = load_sidecar(build)
    elif sidecar is None and not reference:
        raise StudioError("no sidecar beside this build, so its source model is unknown; "
                          "pass --reference MODEL.onnx", where=str(build))
    if reference:
        ref = Path(reference)
    else:
        ref, problem = source_model(build, sidecar)
        if problem:
            raise StudioError(f"{problem}; rebuild, or pass --reference MODEL.onnx to compare anyway",
                              where=str(build))
        if ref is None:
            raise StudioError("the sidecar names no source model; pass --reference", where=str(sidecar_path(build)))
    if not ref.is_file():
        raise StudioError("reference model not found", where=str(ref))
    return ref, sidecar


def reference_runner(model: Path, threads: int | None = None):
    """The judge of a build: its FP32 source model run as it is, by the first installed backend
    that takes an ONNX model as it is and runs here."""
    backend = backend_for_artifact(model, runs_here=True)
    if backend is None:
        raise StudioError("no installed backend runs the reference model on this machine", where=str(model))
    return backend.open_runner(str(model), threads=threads)


def check_build(build, data: str, *, label_column: str | None = None, labels_file: str | None = None,
                column: str | None = None, threshold: float = 0.01, reference: str | None = None,
                tokenizer: str | None = None, seq_len: int | None = None, batch: int = 32,
                limit: int | None = None, threads: int | None = None, progress=None, cancelled=None,
                sidecar: dict | None = None) -> AccuracyResult:
    """The whole accuracy check of one build, as `engine-studio accuracy` and the window run it:
    reference from the sidecar, tokenizer and labels.txt found beside the build or its source
    (text data without a tokenizer is refused, asking for one), both runners through the backend
    registry."""
    build = Path(build)
    if not build.exists():
        raise StudioError("build not found", where=str(build))
    if batch < 1:
        raise StudioError(f"--batch must be at least 1 (got {batch})")
    if threshold < 0:
        raise StudioError("the accuracy threshold must not be negative")
    if not Path(data).is_file():
        raise StudioError("data file not found", where=str(data))
    ref_path, sidecar = resolve_reference(build, reference, sidecar)
    backend = get_backend(sidecar["backend"]) if sidecar else backend_for_artifact(build)
    if backend is None:
        raise StudioError("no sidecar beside this build and no installed backend recognizes it", where=str(build))
    precision = sidecar.get("precision", "?") if sidecar else "?"
    why_not_here = backend.capabilities().can_run_here
    with ExitStack() as stack:
        if why_not_here and sidecar is not None:
            build_runner = stack.enter_context(predicting_runner(build, sidecar, why_not_here, threads))
        else:
            build_runner = backend.open_runner(str(build), threads=threads)
        res = _check(build, build_runner, ref_path, backend.name, precision, data, label_column=label_column,
                     labels_file=labels_file, column=column, threshold=threshold, tokenizer=tokenizer,
                     seq_len=seq_len, batch=batch, limit=limit, threads=threads, progress=progress,
                     cancelled=cancelled)
    if why_not_here and sidecar is not None:
        res.predicted = True
        res.prediction = f"{PREDICTION_LABEL}; {PREDICTION_LIMITS}"
    return res


def validation_files(data: str, places, *, tokenizer: str | None = None, labels_file: str | None = None,
                     label_column: str | None = None) -> tuple[str | None, str | None]:
    """The tokenizer and the label names file a validation set is read with: those given, else
    the first found beside `places` (a tokenizer for text data; labels.txt with a label column)."""
    if not tokenizer and Path(data).suffix.lower() not in (".npz", ".npy"):
        tokenizer = next((t for t in map(tokenizer_beside, places) if t), None)
    if not labels_file and label_column:
        labels_file = _first_file(*(Path(p).with_name("labels.txt") for p in places))
    return tokenizer, labels_file


def validation_set(metas, model: Path, data: str, *, column: str | None = None, label_column: str | None = None,
                   labels_file: str | None = None, tokenizer: str | None = None, seq_len: int | None = None,
                   limit: int | None = None, beside: tuple[Path, ...] = ()) -> tuple[Feed, np.ndarray | None]:
    """The validation feed for `model` (inputs `metas`) and its label indices (None without a
    label column). Text data finds its tokenizer, and labels their names (labels.txt), beside
    the files in `beside` or beside `model`."""
    tok, labels_file = validation_files(data, (*beside, model), tokenizer=tokenizer, labels_file=labels_file,
                                        label_column=label_column)
    feed = open_feed(metas, str(data), column=column, label_column=label_column,
                     tokenizer=tok, seq_len=seq_len, model_path=str(model), limit=limit)
    if not label_column:
        return feed, None
    if feed.labels is None:
        raise StudioError("--label-column needs a text table (.csv/.jsonl) with that column", where=str(data))
    names = read_label_names(labels_file) if labels_file else None
    return feed, label_indices(feed.labels, names, where=str(data))


def _check(build: Path, build_runner, ref_path: Path, backend: str, precision: str, data: str, *, label_column,
           labels_file, column, threshold, tokenizer, seq_len, batch, limit, threads, progress, cancelled):
    ref_runner = reference_runner(ref_path, threads)
    build_runner.activate()        # a build that cannot run here stops here, with the reason
    try:
        ref_runner.activate()
        feed, labels = validation_set(ref_runner.input_metadata(), ref_path, data, column=column,
                                      label_column=label_column, labels_file=labels_file, tokenizer=tokenizer,
                                      seq_len=seq_len, limit=limit, beside=(build,))
        res = compare(build_runner, ref_runner, feed, batch=batch, labels=labels, threshold=threshold,
                      build=str(build), reference=str(ref_path), backend=backend, precision=precision,
                      progress=progress, cancelled=cancelled)
    finally:
        build_runner.deactivate()
        ref_runner.deactivate()
    res.label_column = label_column
    res.data = str(data)
    return res
