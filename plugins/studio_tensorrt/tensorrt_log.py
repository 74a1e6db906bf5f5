"""The `Layers:` report that TensorRT / TensorRT-RTX logs at VERBOSE severity when the builder
config has ProfilingVerbosity.DETAILED (the inspector's one-line format, one line per layer):

    Layers:
    Name: __myl_FcAddRelu_myl0_1, LayerType: runtime_fusion, Inputs: [ { Name: x, Dimensions: [-1,16],
      ..., Datatype: Float, Format: (Linear) Row major linear format }], Constants: [ ... ],
      Outputs: [ ... ], TacticName: , StreamId: 0, Metadata: [ONNX Layer: fc_matmul]\\x1f[ONNX Layer: ...]

    I/O Tensors:
     Name: x, IOMode: Input, DataType: Float, Dimensions: [-1,16], Location: Device, ...

The report may be alone (the studio's `<engine>.layers.txt`) or inside a whole log whose lines
carry prefixes such as `[11/25/2026-18:53:11] [TRT] [V] `; trtexec --dumpLayerInfo prints the
same lines after `Layer Information:`. When a log holds several reports, the last one wins."""

from __future__ import annotations

import re

from studio.core.errors import StudioError
from studio.core.graph.plan_sources.pipeline import RawPlan
from studio.core.graph.plan_sources.source import as_source

FORMAT = "tensorrt_log"

# Log prefixes: "[11/25/2026-18:53:11] [TRT] [V] ", "[V] ", "VERBOSE: ", "Severity.VERBOSE\t".
_PREFIX = re.compile(r"^(?:\s*\[[^\]]*\])*\s*(?:(?:Severity\.)?[A-Z]+(?::|\t)\s*)?")
_HEADER = re.compile(r"^(?:Layers|Layer Information):\s*$")
# Fields whose value runs to the end of the record (their text may hold ", Key: ").
_TAIL_KEYS = {"Metadata"}
# Free-text fields: a value such as `[ShapeHostToDeviceCopy 0]` (every TorchScript-exported BERT
# has that layer) is a name in brackets, not a list.
_TEXT_KEYS = {"Name", "LayerType", "TacticName"}
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9/ ]*?):(?: |$)")


def _strip(line: str) -> str:
    m = _PREFIX.match(line)
    rest = line[m.end():] if m else line
    return rest if (rest.startswith(("Name:", " Name:")) or _HEADER.match(rest.strip())
                    or rest.strip() in ("", "I/O Tensors:", "Engine Metadata:")) else line


def match(source) -> bool:
    src = as_source(source)
    if src.text is None:
        return False
    return _find_report(src.text.splitlines()) is not None


def _find_report(lines: list[str]) -> int | None:
    """Index of the last report header followed by a `Name:` line."""
    found = None
    for i, line in enumerate(lines):
        if _HEADER.match(_strip(line).strip()):
            nxt = next((_strip(x) for x in lines[i + 1:i + 3] if x.strip()), "")
            if nxt.lstrip().startswith("Name:"):
                found = i
    return found


def parse(source, original=None) -> RawPlan:
    src = as_source(source)
    where = src.where
    if src.text is None:
        raise StudioError("not a text file; expected a TensorRT `Layers:` report", where)
    lines = src.text.splitlines()
    start = _find_report(lines)
    if start is None:
        raise StudioError("no `Layers:` report found (build with ProfilingVerbosity.DETAILED and a "
                          "logger that keeps VERBOSE messages)", where)
    layers, inputs, outputs = [], [], []
    section = "layers"
    for lineno in range(start + 1, len(lines)):
        line = _strip(lines[lineno]).rstrip("\n")
        text = line.strip()
        if text == "I/O Tensors:":
            section = "io"
            continue
        if not text:
            if section == "layers" and layers:
                section = "gap"
            continue
        if not text.startswith("Name:"):
            if section in ("io", "gap") or text.endswith(":"):
                if section == "io" and text.endswith(":"):
                    break  # "Engine Metadata:" and whatever follows
                if section == "gap":
                    break
                continue
            raise StudioError(f"unexpected line in the Layers report: {text[:80]!r}",
                              f"{where}:{lineno + 1}")
        try:
            record = parse_record(text)
        except ValueError as e:
            raise StudioError(f"cannot read layer record: {e}", f"{where}:{lineno + 1}") from None
        if section == "layers":
            layers.append(record)
        elif section == "io":
            (inputs if record.get("IOMode", "").lower() == "input" else outputs).append(record)
        else:
            break
    if not layers:
        raise StudioError("the `Layers:` report lists no layers", f"{where}:{start + 1}")
    return RawPlan(FORMAT, layers, inputs=inputs, outputs=outputs, source_path=src.path_str)


def parse_record(text: str) -> dict:
    """`Key: value, Key: [ { ... }, ... ], Key: [1,2]` -> dict (nested objects become dicts)."""
    value, end = _parse_fields(text, 0, closing=None)
    return value


def _parse_fields(s: str, i: int, closing: str | None) -> tuple[dict, int]:
    out: dict = {}
    n = len(s)
    while i < n:
        while i < n and s[i] in " ,":
            i += 1
        if i >= n or (closing and s[i] == closing):
            return out, i
        m = _KEY.match(s, i)
        if not m:
            raise ValueError(f"expected 'Key: value' at column {i + 1}: {s[i:i + 40]!r}")
        key = m.group(1).strip()
        i = m.end()
        if key in _TAIL_KEYS and closing is None:
            out[key] = s[i:].strip()
            return out, n
        if i < n and s[i] == "[" and key not in _TEXT_KEYS:
            close = _match_bracket(s, i)
            out[key] = _parse_list(s[i + 1:close])
            i = close + 1
        else:
            j = _scalar_end(s, i, closing)
            out[key] = s[i:j].strip()
            i = j
    if closing:
        raise ValueError(f"missing {closing!r}")
    return out, i


def _match_bracket(s: str, i: int) -> int:
    pairs = {"[": "]", "{": "}", "(": ")"}
    stack = []
    for j in range(i, len(s)):
        c = s[j]
        if c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return j
    raise ValueError(f"unbalanced bracket at column {i + 1}")


def _scalar_end(s: str, i: int, closing: str | None) -> int:
    """A scalar ends at the next top-level `, Key: ` (or the closing brace of its object)."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0 and closing and c == closing:
                return j
            depth = max(0, depth - 1)
        elif c == "," and depth == 0 and _KEY.match(s, j + 1 + (s[j + 1:j + 2] == " ")):
            return j
        j += 1
    return j


def _parse_list(inner: str):
    text = inner.strip()
    if not text:
        return []
    if text.startswith("{"):
        items, i = [], 0
        while i < len(inner):
            if inner[i] == "{":
                close = _match_bracket(inner, i)
                obj, _ = _parse_fields(inner[i + 1:close] + "}", 0, closing="}")
                items.append(obj)
                i = close + 1
            else:
                i += 1
        return items
    parts = [p.strip() for p in text.split(",")]
    out = []
    for p in parts:
        try:
            out.append(int(p))
        except ValueError:
            out.append(p)
    return out
