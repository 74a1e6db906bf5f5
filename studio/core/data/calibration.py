"""Calibration (and validation) samples as model feeds: texts tokenized with the model's
tokenizer, or arrays by input name. Checks the samples against the model's inputs up front so
a mismatch names the tensor instead of failing deep inside a quantizer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from studio.core.backends.base import CalibrationSpec
from studio.core.backends.runner import TensorMeta
from studio.core.data.arrays import load_arrays
from studio.core.data.tables import TextRow, TextTable, read_rows
from studio.core.data.tokenizer import NEEDS_TOKENIZER, load_tokenizer, tokenizer_beside
from studio.core.errors import DataError, StudioError
from studio.core.serde import Record

ARRAY_SUFFIXES = (".npz", ".npy")
TOKENIZER_OUTPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_inputs(model_path: str | Path) -> list[TensorMeta]:
    """The model's real inputs (initializers listed as inputs excluded), without weights, as
    the runners describe tensors (unnamed dynamic dims as "?")."""
    # lazy: 3 ms off this module's import
    from studio.core.backends.profiles import model_inputs as specs

    return [TensorMeta(s.name, s.dtype, tuple("?" if d is None else d for d in s.shape)) for s in specs(model_path)]


@dataclass
class LengthStats:
    """Distribution of real (unpadded) sequence lengths, in tokens."""

    min: int
    p50: float
    p90: float
    max: int
    mean: float
    histogram: list[dict]      # [{"lo": a, "hi": b, "count": n}], lo inclusive, hi exclusive

    @classmethod
    def of(cls, lengths: np.ndarray, bins: int = 10) -> "LengthStats":
        lengths = np.asarray(lengths)
        lo, hi = int(lengths.min()), int(lengths.max())
        edges = np.unique(np.linspace(lo, hi + 1, min(bins, hi + 1 - lo) + 1).round().astype(int))
        counts, _ = np.histogram(lengths, bins=edges)
        hist = [{"lo": int(a), "hi": int(b), "count": int(c)} for a, b, c in zip(edges[:-1], edges[1:], counts)]
        return cls(lo, float(np.percentile(lengths, 50)), float(np.percentile(lengths, 90)), hi,
                   float(lengths.mean()), hist)


@dataclass
class CalibrationSummary(Record):
    samples: int
    source: str
    kind: str                         # "text" | "arrays"
    seed: int
    method: str
    column: str | None = None
    label_column: str | None = None
    tokenizer: str | None = None
    max_length: int | None = None
    padding: str | None = None
    truncated: int = 0                # texts longer than max_length
    sequence_length: LengthStats | None = None
    inputs: dict = field(default_factory=dict)   # name -> {"dtype", "shape"} of one padded batch


@dataclass
class Preview:
    rows: list[dict]                  # {"line", "text", "label"} or {"index"} for arrays
    tensors: dict[str, np.ndarray]

    def to_dict(self) -> dict:
        return {"rows": self.rows, "tensors": {k: v.tolist() for k, v in self.tensors.items()}}


class CalibrationSet:
    """Samples ready to feed. `padding` is "longest" (each batch padded to its longest text),
    "set" (every batch padded to the set's longest text: one shape for calibrators that stack
    activations across batches) or "fixed" (to max_length, as a static-shape engine needs)."""

    def __init__(self, spec: CalibrationSpec, inputs: Sequence[TensorMeta], *, padding: str = "longest",
                 tokenizer: str | None = None):
        if padding not in ("longest", "set", "fixed"):
            raise StudioError(f"padding must be 'longest', 'set' or 'fixed', not {padding!r}")
        if spec.samples < 1:
            raise DataError(f"sample count must be at least 1, not {spec.samples}", where=spec.path)
        if spec.max_length < 2:
            raise DataError(f"max length must be at least 2 tokens, not {spec.max_length}", where=spec.path)
        self.spec = spec
        self.inputs = list(inputs)
        self.padding = padding
        self.path = Path(spec.path)
        self.rows: list[TextRow] = []
        self._arrays: dict[str, np.ndarray] | None = None
        self._lengths: np.ndarray | None = None
        if self.path.suffix.lower() in ARRAY_SUFFIXES:
            self.kind = "arrays"
            self._load_arrays()
        else:
            self.kind = "text"
            tok = tokenizer or spec.tokenizer
            if not tok:
                raise DataError(NEEDS_TOKENIZER, where=spec.path)
            self.tokenizer = load_tokenizer(str(tok))
            self._check_text_inputs()
            self._column = TextTable(self.path, spec.column, spec.label_column).column
            self.rows = read_rows(self.path, spec.column, spec.label_column, limit=spec.samples,
                                  shuffle=True, seed=spec.seed)
            full = self.tokenizer.lengths([r.text for r in self.rows], max_length=1 << 30)
            self._truncated = int((full > spec.max_length).sum())
            self._lengths = np.minimum(full, spec.max_length)

    # ---- checks against the model
    def _check_text_inputs(self) -> None:
        for m in self.inputs:
            if m.name not in TOKENIZER_OUTPUTS:
                raise DataError(f"model input {m.name!r} cannot be made from text (a tokenizer gives "
                                f"{', '.join(TOKENIZER_OUTPUTS)}); give an .npz with that array", where=str(self.path))
            if len(m.shape) != 2:
                raise DataError(f"model input {m.name!r} has rank {len(m.shape)} {m.shape}; tokenized text is "
                                f"rank 2 [batch, sequence]", where=str(self.path))
            seq = m.shape[1]
            if isinstance(seq, int) and seq > 0:
                # A static sequence dim forces fixed padding to exactly that length.
                self.padding = "fixed"
                self.spec = CalibrationSpec(**{**asdict(self.spec), "max_length": seq})

    def _load_arrays(self) -> None:
        data = load_arrays(self.path)
        data.check_finite()
        names = {m.name for m in self.inputs}
        missing = [m.name for m in self.inputs if m.name not in data.arrays]
        if missing:
            raise DataError(f"no array for model input {missing[0]!r}; the file has: "
                            f"{', '.join(map(repr, data.arrays)) or 'nothing'}", where=str(self.path))
        n = None
        for m in self.inputs:
            a = data.arrays[m.name]
            if a.ndim != len(m.shape):
                raise DataError(f"array {m.name!r} has rank {a.ndim} {a.shape}; the model input is rank "
                                f"{len(m.shape)} {m.shape}", where=str(self.path))
            for i, (want, got) in enumerate(zip(m.shape, a.shape)):
                if i and isinstance(want, int) and want > 0 and want != got:
                    raise DataError(f"array {m.name!r} dim {i} is {got}; the model input wants {want} ({m.shape})",
                                    where=str(self.path))
            if n is not None and a.shape[0] != n:
                raise DataError(f"array {m.name!r} has {a.shape[0]} samples, other inputs have {n}",
                                where=str(self.path))
            n = a.shape[0]
        if not n:
            raise DataError("the arrays hold no samples", where=str(self.path))
        order = np.random.default_rng(self.spec.seed).permutation(n)[: self.spec.samples]
        self._arrays = {m.name: np.ascontiguousarray(data.arrays[m.name][order]).astype(m.dtype, copy=False)
                        if not m.dtype.startswith("onnx:") else data.arrays[m.name][order] for m in self.inputs}
        self._unused = sorted(set(data.arrays) - names)
        if "attention_mask" in self._arrays and self._arrays["attention_mask"].ndim == 2:
            self._lengths = self._arrays["attention_mask"].astype(bool).sum(axis=1)

    # ---- samples
    def __len__(self) -> int:
        if self._arrays is not None:
            return len(next(iter(self._arrays.values())))
        return len(self.rows)

    def _text_feed(self, rows: Sequence[TextRow]) -> dict[str, np.ndarray]:
        pad_to = {"fixed": self.spec.max_length, "set": int(self._lengths.max()) if self._lengths is not None
                  and len(self._lengths) else None}.get(self.padding)
        feed = self.tokenizer.encode([r.text for r in rows], max_length=self.spec.max_length, pad_to=pad_to,
                                     with_token_type_ids=any(m.name == "token_type_ids" for m in self.inputs))
        return {m.name: feed[m.name].astype(m.dtype, copy=False) for m in self.inputs}

    def batches(self, batch_size: int = 8) -> Iterator[dict[str, np.ndarray]]:
        """Feeds of up to batch_size samples, in the seeded order."""
        if batch_size < 1:
            raise StudioError(f"batch size must be at least 1, not {batch_size}")
        for start in range(0, len(self), batch_size):
            if self._arrays is not None:
                yield {k: v[start:start + batch_size] for k, v in self._arrays.items()}
            else:
                yield self._text_feed(self.rows[start:start + batch_size])

    def preview(self, n: int = 5) -> Preview:
        n = max(1, min(n, len(self)))
        if self._arrays is not None:
            return Preview([{"index": i} for i in range(n)], {k: v[:n] for k, v in self._arrays.items()})
        rows = self.rows[:n]
        return Preview([{"line": r.line, "text": r.text, "label": r.label} for r in rows], self._text_feed(rows))

    def labels(self) -> list[str | None]:
        return [r.label for r in self.rows]

    def summary(self) -> CalibrationSummary:
        first = next(self.batches(min(len(self), 8)))
        inputs = {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in first.items()}
        common = dict(samples=len(self), source=str(self.path), kind=self.kind, seed=self.spec.seed,
                      method=self.spec.method, inputs=inputs,
                      sequence_length=LengthStats.of(self._lengths) if self._lengths is not None and len(self._lengths) else None)
        if self.kind == "arrays":
            return CalibrationSummary(**common)
        return CalibrationSummary(**common, column=self._column,
                                  label_column=self.spec.label_column, tokenizer=str(self.tokenizer.path),
                                  max_length=self.spec.max_length, padding=self.padding, truncated=self._truncated)


def default_tokenizer(model_path: str | Path) -> str | None:
    """The tokenizer a model's text data is read with when none is given: the one that travels
    with the model (tokenizer.json beside it, or in a tokenizer/ folder), else None, and text
    data then asks for one (the rule `build`, `data`, `bench`, `accuracy` and the window share)."""
    return tokenizer_beside(model_path)


def preview_for_model(spec: CalibrationSpec, model_path: str | Path, rows: int = 5) -> tuple[Preview, CalibrationSummary]:
    """The first `rows` samples as feeds, and the summary: what the window's calibration preview
    and `engine-studio data` both show."""
    if not Path(spec.path).is_file():
        raise DataError("data file not found", where=str(spec.path))
    if rows < 1:
        raise StudioError(f"rows to preview must be at least 1, not {rows}")
    cs = calibration_set_for_model(spec, model_path, default_tokenizer=default_tokenizer(model_path))
    return cs.preview(rows), cs.summary()


def calibration_set_for_model(spec: CalibrationSpec, model_path: str | Path, *, padding: str = "longest",
                              default_tokenizer: str | None = None) -> CalibrationSet:
    """A CalibrationSet checked against `model_path`'s inputs. The tokenizer defaults to a
    tokenizer.json beside the model."""
    tok = spec.tokenizer or default_tokenizer
    if tok is None:
        tok = tokenizer_beside(model_path)
    return CalibrationSet(spec, model_inputs(model_path), padding=padding, tokenizer=tok)
