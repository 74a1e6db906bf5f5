"""Display-safe text for reports. Names come from models and files that may be hostile: a
report must show them as literal text, visibly, and never let them steer the page.

`display_text` makes a string visible and bounded (controls shown as markers, bidi overrides
named instead of obeyed, absurd lengths cut with a note); `esc` adds HTML/XML escaping on top.
Every string that reaches HTML or SVG goes through `esc`."""

from __future__ import annotations

import html

# Names longer than this are cut: a 100,000-character node name would otherwise bury a report.
MAX_NAME_CHARS = 160

# Bidirectional controls reorder the text around them (a "Trojan Source" name can look like
# another name); show them as their code point instead of obeying them.
_BIDI_CONTROLS = {
    0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2066, 0x2067, 0x2068, 0x2069,
}
# Invisible characters that would let two different names look the same.
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


def _marker(cp: int) -> str:
    # Plain ASCII markers: the "control pictures" block (U+2400) is missing from many fonts and
    # would show as an empty box, which hides what was there.
    return f"[U+{cp:04X}]"


def display_text(value, limit: int | None = MAX_NAME_CHARS, note: bool = True) -> str:
    """A visible, bounded version of `value` (any object, shown via str). `note=False` cuts with
    a bare ellipsis, for tight places (plot labels) where the full name is shown elsewhere."""
    s = value if isinstance(value, str) else str(value)
    truncated = 0
    if limit is not None and len(s) > limit:
        truncated = len(s)
        s = s[:limit]
    out = []
    for ch in s:
        cp = ord(ch)
        if cp < 0x20 and ch not in "\t" or cp == 0x7F or 0x80 <= cp < 0xA0:
            out.append(_marker(cp))
        elif cp in _BIDI_CONTROLS or cp in _INVISIBLE:
            out.append(_marker(cp))
        elif 0xD800 <= cp <= 0xDFFF:   # a lone surrogate from a JSON "\ud800" escape
            out.append("\uFFFD")
        else:
            out.append(ch)
    s = "".join(out)
    if truncated:
        s += f"\u2026 [truncated: {truncated:,} characters]" if note else "\u2026"
    return s


def esc(value, limit: int | None = MAX_NAME_CHARS, note: bool = True) -> str:
    """`display_text` escaped for HTML text and attribute values (and SVG/XML)."""
    return html.escape(display_text(value, limit, note), quote=True)
