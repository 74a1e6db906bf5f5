"""Text -> model inputs with HF `tokenizers` and a tokenizer.json (no transformers, no torch)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from studio.core.errors import StudioError


class TextTokenizer:
    """Tokenizes texts into BERT-style inputs: input_ids, attention_mask (and token_type_ids
    when asked), int64, shape [batch, seq]."""

    def __init__(self, path: str | Path):
        # lazy: 10 ms off this module's import
        from tokenizers import Tokenizer

        self.path = resolve_tokenizer_path(path)
        try:
            self._tok = Tokenizer.from_file(str(self.path))
        except FileNotFoundError:
            raise StudioError("tokenizer file not found", where=str(self.path)) from None
        except Exception as e:
            raise StudioError(f"not a tokenizer.json ({e})", where=str(self.path)) from None
        self.pad_id = _pad_id(self._tok)  # read before padding is switched off
        self._tok.no_padding()
        self._tok.no_truncation()

    def lengths(self, texts: list[str], max_length: int = 512) -> np.ndarray:
        """Each text's own token count (special tokens included), capped at max_length."""
        return np.array([min(len(e.ids), max_length) for e in self._tok.encode_batch(list(texts))], dtype=np.int64)

    def unknown_share(self, texts: list[str]) -> float | None:
        """The share of all tokens that are the unknown token, or None when the tokenizer has none
        (a byte-level BPE never produces one)."""
        model = self._tok.model
        unk = getattr(model, "unk_token", None)      # WordPiece / BPE / Unigram name it differently
        unk_id = self._tok.token_to_id(unk) if isinstance(unk, str) else getattr(model, "unk_id", None)
        if unk_id is None:
            return None
        ids = [e.ids for e in self._tok.encode_batch(list(texts))]
        total = sum(len(i) for i in ids)
        return sum(i.count(unk_id) for i in ids) / total if total else 0.0

    def encode(self, texts: list[str], max_length: int = 128, pad_to: int | None = None,
               with_token_type_ids: bool = False) -> dict[str, np.ndarray]:
        """Encode a batch. Truncates to `max_length`; pads to `pad_to` if given, else to the
        longest text in the batch (each text keeps its real length in the mask)."""
        encs = self._tok.encode_batch(list(texts))
        ids = [e.ids[:max_length] for e in encs]
        if ids and any(len(e.ids) > max_length for e in encs):
            # Keep the final [SEP] when truncating, as HF's truncation does.
            ids = [i if len(e.ids) <= max_length else i[:-1] + [e.ids[-1]] for i, e in zip(ids, encs)]
        width = pad_to if pad_to is not None else max((len(i) for i in ids), default=1)
        out_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, seq in enumerate(ids):
            seq = seq[:width]
            out_ids[r, : len(seq)] = seq
            mask[r, : len(seq)] = 1
        feed = {"input_ids": out_ids, "attention_mask": mask}
        if with_token_type_ids:
            feed["token_type_ids"] = np.zeros_like(out_ids)
        return feed


NEEDS_TOKENIZER = ("text data needs the model's tokenizer: give --tokenizer (a tokenizer.json or a Hugging Face "
                   "tokenizer folder), or put tokenizer.json beside the model")


def resolve_tokenizer_path(path: str | Path) -> Path:
    """A tokenizer.json, or a Hugging Face tokenizer folder (`save_pretrained`) holding one."""
    path = Path(path)
    if path.is_dir():
        inner = path / "tokenizer.json"
        if not inner.is_file():
            raise StudioError("this tokenizer folder has no tokenizer.json (the fast tokenizer's file; "
                              "save it with tokenizer.save_pretrained(folder) from a fast tokenizer)", where=str(path))
        return inner
    return path


def _pad_id(tok) -> int:
    """The id the tokenizer pads with: its own padding settings, else [PAD] (BERT) or <pad>
    (RoBERTa, XLM-R: id 1), else 0."""
    padding = tok.padding
    if padding and padding.get("pad_id") is not None:
        return int(padding["pad_id"])
    for token in ("[PAD]", "<pad>"):
        found = tok.token_to_id(token)
        if found is not None:
            return int(found)
    return 0


def tokenizer_beside(model_path: str | Path) -> str | None:
    """The tokenizer that travels with a model: tokenizer.json beside it, or in a `tokenizer/`
    folder beside it (a Hugging Face export's layout); None when there is none."""
    here = Path(model_path).parent
    for candidate in (here / "tokenizer.json", here / "tokenizer" / "tokenizer.json"):
        if candidate.is_file():
            return str(candidate)
    return None


@lru_cache(maxsize=8)
def load_tokenizer(path: str) -> TextTokenizer:
    return TextTokenizer(path)
