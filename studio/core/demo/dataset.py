"""Write the demo's intent dataset: resources/demo/intents_{train,validation,calibration}.csv + labels.txt.

Every intent's hand-written messages (intent_utterances.py) are shuffled with a fixed seed and
split 60/20/20. Validation and calibration hold original messages only; training also gets one
noisy variant of each of its own lines (a greeting or sign-off, sometimes a typo), so that no
validation line has a near-duplicate in training.

    python -m studio.core.demo.dataset      # rewrites the committed files
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from studio.core.demo.intent_utterances import INTENTS, UTTERANCES
from studio.core.io import write_text_atomic
from studio.core.resources import resource

SEED = 20261125
SPLITS = ("train", "validation", "calibration")
FILES = {s: f"intents_{s}.csv" for s in SPLITS}

_OPENERS = ["", "hi ", "hello, ", "hey ", "hi there, ", "good morning, ", "um ", "excuse me, ", "yo ", "ok so ",
            "sorry to bother, ", "quick question: "]
_CLOSERS = ["", " thanks", " thx", " please", " pls", "?", "!!", " asap", " ty", ". thank you", " :(", " help"]


def utterances(intent: str) -> list[str]:
    return [line.strip() for line in UTTERANCES[intent].strip().splitlines() if line.strip()]


def _typo(text: str, rng: np.random.Generator) -> str:
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha()]
    if not long_words:
        return text
    i = long_words[int(rng.integers(len(long_words)))]
    w, j = words[i], int(rng.integers(1, len(words[i]) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]   # swapped letters
    elif kind == 1:
        w = w[:j] + w[j + 1:]                     # dropped letter
    else:
        w = w[:j] + w[j] + w[j:]                  # doubled letter
    words[i] = w
    return " ".join(words)


def _variant(text: str, rng: np.random.Generator) -> str:
    opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
    closer = _CLOSERS[int(rng.integers(len(_CLOSERS)))]
    body = _typo(text, rng) if rng.random() < 0.5 else text
    return f"{opener}{body}{closer}".strip()


def build_splits(seed: int = SEED) -> dict[str, list[tuple[str, str]]]:
    """{split: [(text, intent), ...]}, deterministic for the seed."""
    out: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLITS}
    for k, intent in enumerate(INTENTS):
        rng = np.random.default_rng([seed, k])
        lines = utterances(intent)
        order = rng.permutation(len(lines))
        n_val = n_cal = round(len(lines) * 0.2)
        val, cal, train = order[:n_val], order[n_val:n_val + n_cal], order[n_val + n_cal:]
        out["validation"] += [(lines[i], intent) for i in sorted(val)]
        out["calibration"] += [(lines[i], intent) for i in sorted(cal)]
        seen = set(lines)
        for i in sorted(train):
            out["train"].append((lines[i], intent))
            v = _variant(lines[i], rng)
            if v not in seen:
                seen.add(v)
                out["train"].append((v, intent))
    return out


def to_csv(rows: list[tuple[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["text", "intent"])
    w.writerows(rows)
    return buf.getvalue()


def write_dataset(folder: str | Path | None = None) -> dict[str, int]:
    folder = Path(folder) if folder else resource("demo")
    counts = {}
    for split, rows in build_splits().items():
        write_text_atomic(folder / FILES[split], to_csv(rows))
        counts[split] = len(rows)
    write_text_atomic(folder / "labels.txt", "".join(f"{i}\n" for i in INTENTS))
    return counts


def read_split(split: str, folder: str | Path | None = None) -> tuple[list[str], list[str]]:
    """(texts, intents) of a committed split file."""
    path = (Path(folder) if folder else resource("demo")) / FILES[split]
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["intent"] for r in rows]


def read_labels(folder: str | Path | None = None) -> list[str]:
    path = (Path(folder) if folder else resource("demo")) / "labels.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    for split, n in write_dataset().items():
        print(f"{split}: {n} rows")
