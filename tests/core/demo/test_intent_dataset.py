"""The committed intent dataset: size, originality, splits in sync with the generator."""

import csv
import re

from studio.core.demo import dataset
from studio.core.demo.intent_utterances import INTENTS
from studio.core.resources import resource


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def test_at_least_15_intents_with_60_original_utterances_each():
    assert len(INTENTS) >= 15 and len(set(INTENTS)) == len(INTENTS)
    every = []
    for intent in INTENTS:
        lines = dataset.utterances(intent)
        assert len(lines) >= 60, intent
        every += lines
    assert len(set(map(_norm, every))) == len(every), "an utterance is repeated"


def test_committed_files_are_what_the_generator_writes(tmp_path):
    dataset.write_dataset(tmp_path)
    for name in [*dataset.FILES.values(), "labels.txt"]:
        assert (tmp_path / name).read_bytes() == resource("demo", name).read_bytes(), name


def test_csv_columns_and_labels():
    assert dataset.read_labels() == INTENTS
    for split, name in dataset.FILES.items():
        with open(resource("demo", name), newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            assert next(reader) == ["text", "intent"]
            rows = list(reader)
        assert {r[1] for r in rows} == set(INTENTS), split
        assert all(len(r) == 2 and r[0].strip() for r in rows)


def test_held_out_splits_have_no_near_duplicates_in_training():
    train = {_norm(t) for t in dataset.read_split("train")[0]}
    for split in ("validation", "calibration"):
        texts, _ = dataset.read_split(split)
        assert len(texts) >= 10 * len(INTENTS)
        assert not {_norm(t) for t in texts} & train, split
    val = {_norm(t) for t in dataset.read_split("validation")[0]}
    assert not val & {_norm(t) for t in dataset.read_split("calibration")[0]}


def test_training_variants_are_derived_from_training_lines_only():
    held_out = set(dataset.read_split("validation")[0]) | set(dataset.read_split("calibration")[0])
    for text in dataset.read_split("train")[0]:
        assert not any(h in text for h in held_out if len(h) > 25), text
