"""Scoring candidate precision assignments against the FP32 model on validation data: the
reference outputs are computed once, each candidate's typed model is run as written (the same
roundings a strongly typed engine makes) and compared by the accuracy check's own `compare`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.bench.accuracy import compare, reference_runner, validation_set
from studio.core.bench.predicted import as_written_runner
from studio.core.errors import DataError

METRICS = ("accuracy", "agreement", "cosine")


@dataclass(frozen=True)
class Score:
    """A candidate's figures against the FP32 model (fractions 0-1)."""

    accuracy: float | None      # with labels
    agreement: float            # top-1 agreement with FP32
    cosine: float               # mean cosine similarity of the first output with FP32's
    nonfinite: int = 0          # NaN/Inf values: a candidate with any fails every budget

    def value(self, metric: str) -> float | None:
        return {"accuracy": self.accuracy, "agreement": self.agreement, "cosine": self.cosine}[metric]


def drop_points(score: Score, reference: Score, metric: str) -> float:
    """How far `score` falls below `reference` in `metric`, in points (percent of the 0-1 scale);
    infinite when the candidate produced NaN or Inf."""
    if score.nonfinite:
        return float("inf")
    return 100.0 * (reference.value(metric) - score.value(metric))


class _Replayed:
    """The reference runner, run once per batch: later passes get the stored outputs."""

    def __init__(self, runner):
        self.runner = runner
        self.seen: dict[str, dict[str, np.ndarray]] = {}

    def infer(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        h = hashlib.sha1()
        for k in sorted(feed):
            h.update(k.encode())
            h.update(np.ascontiguousarray(feed[k]).tobytes())
        key = h.hexdigest()
        if key not in self.seen:
            self.seen[key] = self.runner.infer(feed)
        return self.seen[key]


class _First:
    """The first `n` samples of a feed."""

    def __init__(self, feed, n: int):
        self.feed, self.n = feed, n

    def make_batch(self, indices):
        return self.feed.make_batch(indices)

    def describe(self):
        return self.feed.describe()


class Scorer:
    """Opens the FP32 model and the validation data once; `score(path)` runs one candidate.
    The tokenizer and labels.txt are looked for beside the files in `beside`, then the model."""

    def __init__(self, model: Path, data: str, *, metric: str, column: str | None = None,
                 label_column: str | None = None, labels_file: str | None = None, tokenizer: str | None = None,
                 seq_len: int | None = None, limit: int | None = None, threads: int | None = None, batch: int = 32,
                 beside: tuple[Path, ...] = ()):
        if metric not in METRICS:
            raise DataError(f"unknown budget metric {metric!r}; choose one of {', '.join(METRICS)}")
        if metric == "accuracy" and not label_column:
            raise DataError("the accuracy budget needs labelled validation data (--label-column); without labels "
                            "choose --budget-metric agreement or cosine", where=str(data))
        self.model, self.metric, self.threads, self.batch = Path(model), metric, threads, batch
        self._ref = reference_runner(self.model, threads)
        self._ref.activate()
        self.feed, self.labels = validation_set(self._ref.input_metadata(), self.model, data, column=column,
                                                label_column=label_column, labels_file=labels_file,
                                                tokenizer=tokenizer, seq_len=seq_len, limit=limit, beside=beside)
        self._replay = _Replayed(self._ref)
        self.reference = self._score(self._ref)

    def batches(self, samples: int | None = None):
        """The validation feed batch by batch (its first `samples` rows only when given)."""
        n = self.feed.n if samples is None else min(samples, self.feed.n)
        for start in range(0, n, self.batch):
            yield self.feed.make_batch(list(range(start, min(n, start + self.batch))))

    def sample_batch(self) -> dict[str, np.ndarray]:
        return self.feed.make_batch(list(range(min(self.batch, self.feed.n))))

    def _score(self, runner, cancelled=None, samples: int | None = None) -> Score:
        feed, labels = self.feed, self.labels
        if samples is not None and samples < feed.n:
            feed, labels = _First(feed, samples), None if labels is None else labels[:samples]
        res = compare(runner, self._replay, feed, batch=self.batch, labels=labels, cancelled=cancelled)
        first = res.outputs[0] if res.outputs else None
        return Score(accuracy=res.accuracy if self.labels is not None else None,
                     agreement=res.top1_agreement if res.top1_agreement is not None else 1.0,
                     cosine=first.cosine_mean if first else 1.0, nonfinite=res.nan_count + res.inf_count)

    def score(self, typed: Path, workdir: Path, cancelled=None, samples: int | None = None) -> Score:
        """`typed` run as written over the validation data (its first `samples` rows only when
        given: a ranking needs fewer than a verdict)."""
        runner = as_written_runner(Path(typed), Path(workdir), self.threads)
        runner.activate()
        try:
            return self._score(runner, cancelled, samples)
        finally:
            runner.deactivate()

    def drop(self, score: Score) -> float:
        return drop_points(score, self.reference, self.metric)

    def close(self) -> None:
        self._ref.deactivate()
