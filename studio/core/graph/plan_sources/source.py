"""One read of the user's file, shared by every reader's match() and parse()."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.errors import StudioError

# Reports are text; a demo-model report is ~150 KB, a BERT-large one a few MB.
MAX_TEXT_BYTES = 256 * 1024 * 1024


@dataclass
class SourceInput:
    path: Path | None
    text: str | None                    # None for binary files (an .onnx, an engine)
    _json: object = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "<text>"

    @property
    def path_str(self) -> str | None:
        return str(self.path) if self.path else None

    @property
    def json(self):
        """The parsed JSON document, or None when the text is not JSON."""
        if not self._json_done:
            self._json_done = True
            if self.text is not None and self.text.lstrip()[:1] in ("{", "["):
                try:
                    self._json = json.loads(self.text)
                except ValueError:
                    self._json = None
        return self._json


def as_source(source) -> SourceInput:
    """A path (str/PathLike naming an existing file), a SourceInput, or report text."""
    if isinstance(source, SourceInput):
        return source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                            and len(source) < 4096 and os.path.exists(source)):
        return read_source(Path(source))
    if isinstance(source, str):
        return SourceInput(None, source)
    raise TypeError(f"expected a path or report text, got {type(source).__name__}")


def read_source(path: Path) -> SourceInput:
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            return SourceInput(path, None)
        data = path.read_bytes()
    except FileNotFoundError:
        raise StudioError("no such file", str(path)) from None
    except IsADirectoryError:
        raise StudioError("is a directory, expected a layer report or an engine", str(path)) from None
    except OSError as e:
        raise StudioError(f"cannot read: {e.strerror or e}", str(path)) from None
    if b"\x00" in data[:4096]:
        return SourceInput(path, None)
    try:
        return SourceInput(path, data.decode("utf-8"))
    except UnicodeDecodeError:
        return SourceInput(path, None)
