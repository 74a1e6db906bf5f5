"""Inputs for benchmarks and accuracy checks: real texts tokenized (each text at its own length,
or padded/truncated to --seq-len), arrays from .npz/.npy, or synthetic tensors shaped from the
model's inputs. A feed hands out batches by sample index, so the dynamic batcher can assemble
any set of requests into one batch."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from studio.core.backends.runner import TensorMeta
from studio.core.data.tokenizer import NEEDS_TOKENIZER, load_tokenizer, tokenizer_beside
from studio.core.errors import DataError, StudioError
from studio.core.i18n import translate

TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
DEFAULT_SEQ = 64


class Feed:
    """`n` distinct samples; `make_batch(indices)` stacks them into one model feed."""

    n: int = 0
    labels: list | None = None

    def make_batch(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def describe(self) -> dict:
        raise NotImplementedError

    def batch_at(self, start: int, batch: int) -> dict[str, np.ndarray]:
        return self.make_batch([(start + i) % self.n for i in range(batch)])

    def batches(self, batch: int, limit: int = 64) -> list[dict[str, np.ndarray]]:
        """Distinct consecutive batches covering the data once (at most `limit`), built ahead so
        the timed loop only cycles through ready arrays."""
        count = max(1, min(limit, -(-self.n // batch)))
        return [self.batch_at(i * batch, batch) for i in range(count)]


def _batch_dim_is_dynamic(meta: TensorMeta) -> bool:
    return bool(meta.shape) and not (isinstance(meta.shape[0], int) and meta.shape[0] > 0)


class SyntheticFeed(Feed):
    """Random tensors by shape. Symbolic dims other than the first take `seq_len`; integer
    inputs named like masks are all ones, type ids zeros, other ids small non-negative values
    (valid for any vocabulary)."""

    def __init__(self, metas: list[TensorMeta], seq_len: int | None = None, n: int = 64, seed: int = 0):
        self.metas = metas
        self.seq_len = seq_len or DEFAULT_SEQ
        self.n = n
        rng = np.random.default_rng(seed)
        self._data = {}
        for m in metas:
            dims = [n] + [d if isinstance(d, int) and d > 0 else self.seq_len for d in m.shape[1:]]
            if not m.shape:
                raise StudioError(f"input {m.name!r} is a scalar; synthetic feeds need a batch dimension")
            dt = np.dtype(m.dtype) if m.dtype != "bfloat16" else np.dtype("float32")
            lname = m.name.lower()
            if dt.kind in "iu":
                if "mask" in lname:
                    a = np.ones(dims, dt)
                elif "type" in lname or "segment" in lname:
                    a = np.zeros(dims, dt)
                else:
                    a = rng.integers(1, 100, size=dims).astype(dt)
            elif dt.kind == "b":
                a = np.ones(dims, bool)
            else:
                a = rng.standard_normal(dims).astype(dt)
            self._data[m.name] = a
        self._fixed_batch = {m.name: m.shape[0] for m in metas if not _batch_dim_is_dynamic(m)}

    def make_batch(self, indices):
        idx = np.asarray(indices)
        for name, b in self._fixed_batch.items():
            if len(idx) != b:
                raise StudioError(f"input {name!r} has a fixed batch of {b}; batch {len(idx)} cannot run")
        return {k: v[idx] for k, v in self._data.items()}

    def describe(self):
        return {"kind": "synthetic", "seq_len": self.seq_len, "samples": self.n,
                "inputs": {m.name: [m.dtype, list(m.shape)] for m in self.metas}}


def declare_inputs(data: str | None, seq_len: int | None = None,
                   tokenizer: str | None = None, column: str | None = None) -> tuple[dict, dict]:
    """(what open_feed takes besides the model, the declaration every result and report
    carries): a data file (texts from `column` with their tokenizer, or arrays), or synthetic
    ids at 64 tokens."""
    if data is None:
        seq = seq_len or 64
        return {"data": None, "seq_len": seq}, {"kind": "synthetic", "seq_len": seq}
    is_arrays = data.lower().endswith((".npz", ".npy"))
    tok = None if is_arrays else tokenizer
    declared = {"kind": "arrays" if is_arrays else "text", "source": data,
                "seq_len": seq_len or ("as stored" if is_arrays else "each text's own length")}
    if tok:
        declared["tokenizer"] = tok
    col = None if is_arrays else column
    if col:
        declared["column"] = col
    return {"data": data, "seq_len": seq_len, "tokenizer": tok, "column": col}, declared


def describe_feed(d: dict | None) -> str:
    """One line saying what a run was fed, from a feed's `describe()` (or a panel's declaration):
    what the panel, the results and the report all show, so nobody mistakes random ids for texts."""
    if not d:
        return translate("Feed", "inputs not recorded")
    kind = d.get("kind")
    if kind == "synthetic":
        return translate("Feed", "synthetic token ids, {n} tokens (not real texts)").format(n=d.get("seq_len"))
    source = Path(str(d.get("source") or "?")).name
    if d.get("column"):
        source += f" [{d['column']}]"
    if kind == "arrays":
        return translate("Feed", "arrays from {file}").format(file=source)
    seq = d.get("seq_len")
    length = translate("Feed", "padded to {n} tokens").format(n=seq) if isinstance(seq, int) \
        else translate("Feed", "each text at its own length")
    if d.get("tokenizer"):
        tok = Path(str(d["tokenizer"]))
        return translate("Feed", "texts from {file}, tokenizer {tokenizer}, {length}").format(
            file=source, tokenizer=f"{tok.parent.name}/{tok.name}", length=length)
    return translate("Feed", "texts from {file}, {length}").format(file=source, length=length)


def check_text_inputs(metas: list[TensorMeta], source: str = "") -> list[str]:
    """The model's input names, when texts can feed them all; else a DataError saying why."""
    names = [m.name for m in metas]
    unknown = [n for n in names if n not in TEXT_INPUTS]
    if unknown:
        raise DataError(f"a text file cannot feed this model: it expects input(s) {', '.join(unknown)} "
                        f"(texts give {', '.join(TEXT_INPUTS)}); pass an .npz with those arrays",
                        where=source or None)
    if "input_ids" not in names:
        raise DataError("a text file cannot feed this model: it has no 'input_ids' input", where=source or None)
    return names


class TextFeed(Feed):
    """Tokenized texts. Without `seq_len` each batch is padded to its longest text (the texts'
    real length distribution); with it every text is padded or truncated to `seq_len`."""

    def __init__(self, texts: list[str], tokenizer, metas: list[TensorMeta], seq_len: int | None = None,
                 labels: list | None = None, source: str = "", max_length: int = 512):
        names = check_text_inputs(metas, source)
        self.metas = metas
        self.names = names
        self.seq_len = seq_len
        self.source = source
        self.tokenizer = str(tokenizer.path)
        self.labels = labels
        self.n = len(texts)
        fixed_seq = [m.shape[1] for m in metas if len(m.shape) > 1 and isinstance(m.shape[1], int) and m.shape[1] > 0]
        if fixed_seq and seq_len is None:
            self.seq_len = fixed_seq[0]   # a static-shape model decides the length
        limit = self.seq_len or max_length
        enc = tokenizer.encode(texts, max_length=limit, pad_to=self.seq_len)
        self._ids = enc["input_ids"]
        self.lengths = enc["attention_mask"].sum(axis=1).astype(np.int64)
        self._dtypes = {m.name: np.dtype(m.dtype) for m in metas}

    def make_batch(self, indices):
        idx = np.asarray(indices)
        width = self.seq_len or int(self.lengths[idx].max())
        ids = self._ids[idx, :width]
        mask = (np.arange(width)[None, :] < self.lengths[idx, None])
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return {n: np.ascontiguousarray(feed[n], dtype=self._dtypes[n]) for n in self.names}

    def describe(self):
        lengths = self.lengths
        return {"kind": "text", "source": self.source, "tokenizer": self.tokenizer, "samples": self.n,
                "seq_len": self.seq_len or "each text's own length (batch padded to its longest)",
                "lengths": {"min": int(lengths.min()), "mean": float(lengths.mean()),
                            "p50": float(np.percentile(lengths, 50)), "p95": float(np.percentile(lengths, 95)),
                            "max": int(lengths.max())}}


class ArrayFeed(Feed):
    """Arrays from .npz/.npy keyed by input name; rows along the first axis are samples."""

    def __init__(self, arrays: dict[str, np.ndarray], metas: list[TensorMeta], source: str = ""):
        names = [m.name for m in metas]
        missing = [n for n in names if n not in arrays]
        if missing:
            raise DataError(f"arrays do not fit the model: missing {', '.join(missing)} "
                            f"(file has {', '.join(arrays) or 'nothing'})", where=source or None)
        counts = {n: arrays[n].shape[0] if arrays[n].ndim else 0 for n in names}
        if len(set(counts.values())) != 1 or 0 in counts.values():
            raise DataError(f"arrays disagree on the number of samples (first axis): {counts}", where=source or None)
        for m in metas:
            a = arrays[m.name]
            if a.ndim != len(m.shape):
                raise DataError(f"array {m.name!r} has rank {a.ndim}, the model expects {len(m.shape)} {m.shape}",
                                where=source or None)
            for i, d in enumerate(m.shape[1:], start=1):
                if isinstance(d, int) and d > 0 and a.shape[i] != d:
                    raise DataError(f"array {m.name!r} dim {i} is {a.shape[i]}, the model expects {d}",
                                    where=source or None)
        self.metas = metas
        self.source = source
        self._data = {m.name: np.ascontiguousarray(arrays[m.name], dtype=np.dtype(m.dtype)) for m in metas}
        self.n = next(iter(counts.values()))

    def make_batch(self, indices):
        idx = np.asarray(indices)
        return {k: v[idx] for k, v in self._data.items()}

    def describe(self):
        return {"kind": "arrays", "source": self.source, "samples": self.n}


def read_texts(path, column: str | None = None, label_column: str | None = None,
               limit: int | None = None) -> tuple[list[str], list[str] | None]:
    # lazy: 5 ms off this module's import
    from studio.core.data.tables import read_rows

    rows = read_rows(path, column, label_column, limit=limit)
    texts = [r.text for r in rows]
    labels = [r.label for r in rows] if label_column else None
    return texts, labels


def open_feed(metas: list[TensorMeta], data: str | None = None, column: str | None = None,
              label_column: str | None = None, tokenizer: str | None = None, seq_len: int | None = None,
              model_path: str | None = None, limit: int | None = None, seed: int = 0) -> Feed:
    """The feed the CLI asked for: no data -> synthetic; .npz/.npy -> arrays; else a text table."""
    if seq_len is not None and seq_len < 1:
        raise StudioError(f"--seq-len must be at least 1 (got {seq_len})")
    if data is None:
        return SyntheticFeed(metas, seq_len=seq_len, seed=seed)
    if Path(data).suffix.lower() in (".npz", ".npy"):
        # lazy: 6 ms off this module's import
        from studio.core.data.arrays import load_arrays

        arrays = load_arrays(data)
        arrays.check_finite()
        return ArrayFeed(arrays.arrays, metas, source=str(data))
    check_text_inputs(metas, str(data))
    texts, labels = read_texts(data, column, label_column, limit)
    tok_path = tokenizer or (model_path and tokenizer_beside(model_path))
    if not tok_path:
        raise DataError(NEEDS_TOKENIZER, where=str(data))

    return TextFeed(texts, load_tokenizer(str(tok_path)), metas, seq_len=seq_len, labels=labels, source=str(data))
