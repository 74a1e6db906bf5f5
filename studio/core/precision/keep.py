"""Which nodes stay in FP32 when the rest of a model is lowered: entries by node name, by op type
or by a pattern on the graph, resolved against one model, and saved to a keep-file that `build
--keep-file` and the window read back.

Patterns:
- a glob on node names (`*attention/output/dense/MatMul`, `/bert/encoder/layer.0/*`);
- `layer:first`, `layer:last`, `layer:N`: every node of that encoder layer, the layer being the
  number that exporters put in node names (`layer.3`, `layers.3`, `layer_3`, `h.3`, `block.3`).
  Combine them with `&` to intersect: `layer:last & *MatMul`."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import onnx

from studio.core.errors import DataError, ModelError
from studio.core.io import write_text_atomic

KEEP_FILE_FORMAT = "engine-studio.keep"
# The layer index as torch / Hugging Face exports spell it in node names.
_LAYER = re.compile(r"(?:^|[/._])(?:layer|layers|h|block|blocks)[._]?(\d+)(?=[/._]|$)")


def layer_of(name: str) -> int | None:
    m = _LAYER.search(name)
    return int(m.group(1)) if m else None


def _is_pattern(entry: str) -> bool:
    return entry.startswith("layer:") or "&" in entry or any(c in entry for c in "*?[")


def _match_one(term: str, node: onnx.NodeProto, layers: list[int]) -> bool:
    if term.startswith("layer:"):
        which = term[len("layer:"):]
        if which == "first":
            wanted = layers[0] if layers else None
        elif which == "last":
            wanted = layers[-1] if layers else None
        elif which.isdigit():
            wanted = int(which)
        else:
            raise ModelError(f"keep pattern {term!r}: a layer is 'first', 'last' or a number")
        return wanted is not None and layer_of(node.name) == wanted
    if any(c in term for c in "*?["):
        return fnmatch.fnmatchcase(node.name, term)
    return node.name == term or node.op_type == term


def resolve_keep(model: onnx.ModelProto, entries: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split entries into (op types, node names), patterns expanded to node names. An entry
    that matches nothing in this model is an error naming it, so a typo cannot keep nothing."""
    nodes = list(model.graph.node)
    op_types = {n.op_type for n in nodes}
    names = {n.name for n in nodes}
    layers = sorted({i for i in (layer_of(n.name) for n in nodes) if i is not None})
    ops: list[str] = []
    kept: list[str] = []
    for entry in entries:
        entry = entry.strip()
        if entry in names:
            kept.append(entry)
        elif entry in op_types:
            ops.append(entry)
        elif _is_pattern(entry):
            terms = [t.strip() for t in entry.split("&") if t.strip()]
            hits = [n.name for n in nodes if all(_match_one(t, n, layers) for t in terms)]
            if not hits:
                raise ModelError(f"keep pattern {entry!r} matches no node of this model"
                                 + ("" if layers else " (no node name carries a layer number)"))
            kept.extend(h for h in hits if h not in kept)
        else:
            raise ModelError(f"keep entry {entry!r} is neither a node name, an op type nor a pattern of this model "
                             f"(op types: {', '.join(sorted(op_types))})")
    return ops, kept


@dataclass
class KeepFile:
    """A saved keep-list: the entries, and where they came from (a precision search writes its
    budget and predicted accuracy here, so the file explains itself)."""

    entries: list[str]
    model: str | None = None
    about: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"format": KEEP_FILE_FORMAT, "version": 1, "model": self.model, "keep": list(self.entries),
                "about": dict(self.about)}

    def save(self, path: str | Path) -> Path:
        write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "KeepFile":
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise DataError(f"cannot read the keep-file ({e.strerror})", where=str(p)) from None
        if not text.lstrip().startswith("{"):  # one entry per line, '#' comments
            entries = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
            return cls([e for e in entries if e])
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(f"keep-file is not valid JSON: {e.msg}", where=f"{p}:{e.lineno}") from None
        keep = d.get("keep") if isinstance(d, dict) else None
        if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
            raise DataError("keep-file needs a \"keep\" list of node names, op types or patterns", where=str(p))
        return cls(list(keep), d.get("model"), d.get("about") or {})

    def check(self, model: onnx.ModelProto, where: str | Path) -> None:
        """Refuse entries that match nothing in `model`, naming the file and the entry."""
        try:
            resolve_keep(model, self.entries)
        except ModelError as e:
            raise DataError(e.message, where=str(where)) from None
