"""Text tables (CSV or JSONL) for calibration and validation: one text column, an optional
label column. Read as a stream so a 2 GB file costs memory for the rows kept, not the file;
every problem is reported as `file:line` so the user can open the file at the right place."""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from studio.core.errors import DataError

TEXT_COLUMN_GUESSES = ("text", "sentence", "utterance", "query", "input", "content")
LABEL_COLUMN_GUESSES = ("label", "intent", "labels", "class", "target")

# A CSV field larger than this is almost surely a missing closing quote swallowing the file.
_MAX_FIELD = 1 << 20


@dataclass(frozen=True)
class TextRow:
    line: int            # 1-based line where the record starts
    text: str
    label: str | None = None


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".txt":
        return "lines"   # one text per line, no header
    raise DataError(f"unsupported text table {suffix or '(no extension)'!r}; use .csv, .jsonl or .txt", where=str(path))


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line, decoding strictly so that a bad byte is reported
    where it is instead of turning into U+FFFD inside a calibration sample."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise DataError("file not found", where=str(path)) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a data file", where=str(path)) from None
    except PermissionError:
        raise DataError("permission denied", where=str(path)) from None
    offset = 0
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                bad = raw[e.start]
                raise DataError(f"not UTF-8 text: byte 0x{bad:02x} at byte offset {offset + e.start} "
                                f"(column {e.start + 1} of the line); save the file as UTF-8",
                                where=f"{path}:{lineno}") from None
            if lineno == 1 and text.startswith("\ufeff"):
                text = text[1:]
            offset += len(raw)
            yield lineno, text


def _pick(columns: list[str], wanted: str | None, guesses: tuple[str, ...], path: Path, what: str,
          required: bool) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise DataError(f"no {what} column {wanted!r}; the columns are: {', '.join(map(repr, columns)) or 'none'}",
                            where=str(path))
        return wanted
    lower = {c.lower(): c for c in columns}
    for g in guesses:
        if g in lower:
            return lower[g]
    if not required:
        return None
    if len(columns) == 1:
        return columns[0]
    raise DataError(f"cannot tell which column holds the {what}; choose one of: {', '.join(map(repr, columns))}",
                    where=str(path))


def _check_label(value, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise DataError(f"label is {value} (NaN/Inf is not a label)", where=where)
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if text.lower() in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
        raise DataError(f"label is {text!r} (NaN/Inf is not a label)", where=where)
    return text


@dataclass(frozen=True)
class TableHeader:
    """A text table's columns and the ones the studio would guess: what a column picker offers."""
    columns: tuple[str, ...]
    text_column: str | None
    label_column: str | None


def table_header(path: str | Path) -> TableHeader:
    """The columns of a CSV/JSONL/text file (reads only its header or first record)."""
    table = TextTable.__new__(TextTable)
    table.path, table.format = Path(path), _format(Path(path))
    cols = table._columns()
    lower = {c.lower(): c for c in cols}
    text = next((lower[g] for g in TEXT_COLUMN_GUESSES if g in lower), cols[0] if len(cols) == 1 else None)
    label = next((lower[g] for g in LABEL_COLUMN_GUESSES if g in lower), None)
    return TableHeader(tuple(cols), text, label)


class TextTable:
    """A CSV or JSONL file of texts. Construct cheaply (reads only the header or first record);
    iterate `rows()` to stream."""

    def __init__(self, path: str | Path, column: str | None = None, label_column: str | None = None):
        self.path = Path(path)
        self.format = _format(self.path)
        self.columns = self._columns()
        self.column = _pick(self.columns, column, TEXT_COLUMN_GUESSES, self.path, "text", True)
        self.label_column = _pick(self.columns, label_column, LABEL_COLUMN_GUESSES, self.path, "label",
                                  False) if label_column is not None else None

    # ---- header
    def _columns(self) -> list[str]:
        if self.format == "lines":
            return ["text"]
        if self.format == "csv":
            for lineno, header in self._csv_records():
                cols = [c.strip() for c in header]
                if not any(cols):
                    raise DataError("the header row is empty", where=f"{self.path}:{lineno}")
                dupes = sorted({c for c in cols if cols.count(c) > 1})
                if dupes:
                    raise DataError(f"duplicate column names {dupes}", where=f"{self.path}:{lineno}")
                return cols
            raise DataError("the file is empty (no header row)", where=str(self.path))
        for lineno, obj in self._json_records():
            return list(obj.keys())
        raise DataError("the file is empty (no JSON lines)", where=str(self.path))

    # ---- low-level record streams
    def _csv_records(self) -> Iterator[tuple[int, list[str]]]:
        delimiter = "\t" if self.path.suffix.lower() == ".tsv" else ","
        lines = _decoded_lines(self.path)
        counter = {"line": 0}

        def feed():
            for lineno, text in lines:
                counter["line"] = lineno
                yield text

        old = csv.field_size_limit()
        csv.field_size_limit(_MAX_FIELD)
        try:
            reader = csv.reader(feed(), delimiter=delimiter, strict=True)
            start = 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    raise DataError(f"malformed CSV ({e}); a quote may be missing", where=f"{self.path}:{start}") from None
                if record:  # blank lines carry no record
                    yield start, record
                start = counter["line"] + 1
        finally:
            csv.field_size_limit(old)

    def _json_records(self) -> Iterator[tuple[int, dict]]:
        for lineno, text in _decoded_lines(self.path):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                raise DataError(f"bad JSON ({e.msg} at column {e.colno})", where=f"{self.path}:{lineno}") from None
            if not isinstance(obj, dict):
                raise DataError(f"each line must be a JSON object, got {type(obj).__name__}",
                                where=f"{self.path}:{lineno}")
            yield lineno, obj

    # ---- rows
    def rows(self) -> Iterator[TextRow]:
        """Every row, validated. Empty text, ragged rows and NaN/Inf labels stop the stream with
        a DataError naming file:line."""
        if self.format == "csv":
            yield from self._csv_rows()
        elif self.format == "lines":
            if self.label_column:
                raise DataError("a .txt file has one text per line and no label column", where=str(self.path))
            for lineno, text in _decoded_lines(self.path):
                text = text.rstrip("\r\n")
                if text.strip():
                    yield TextRow(lineno, text)
        else:
            yield from self._json_rows()

    def _csv_rows(self) -> Iterator[TextRow]:
        ti = self.columns.index(self.column)
        li = self.columns.index(self.label_column) if self.label_column else None
        records = self._csv_records()
        next(records)  # header
        for lineno, rec in records:
            where = f"{self.path}:{lineno}"
            if len(rec) != len(self.columns):
                raise DataError(f"row has {len(rec)} fields, the header has {len(self.columns)} "
                                f"({', '.join(self.columns)})", where=where)
            text = rec[ti]
            if not text.strip():
                raise DataError(f"empty text in column {self.column!r}", where=where)
            label = _check_label(rec[li], where) if li is not None else None
            yield TextRow(lineno, text, label)

    def _json_rows(self) -> Iterator[TextRow]:
        for lineno, obj in self._json_records():
            where = f"{self.path}:{lineno}"
            if self.column not in obj:
                raise DataError(f"no {self.column!r} key in this line; its keys are: {', '.join(map(repr, obj))}",
                                where=where)
            text = obj[self.column]
            if isinstance(text, float) and not math.isfinite(text):
                raise DataError(f"text is {text} (NaN/Inf), not a string", where=where)
            if not isinstance(text, str):
                raise DataError(f"text in {self.column!r} is a {type(text).__name__}, not a string", where=where)
            if not text.strip():
                raise DataError(f"empty text in {self.column!r}", where=where)
            label = None
            if self.label_column:
                if self.label_column not in obj:
                    raise DataError(f"no {self.label_column!r} key in this line; its keys are: "
                                    f"{', '.join(map(repr, obj))}", where=where)
                label = _check_label(obj[self.label_column], where)
            yield TextRow(lineno, text, label)


def read_rows(path: str | Path, column: str | None = None, label_column: str | None = None,
              limit: int | None = None, shuffle: bool = False, seed: int = 0) -> list[TextRow]:
    """Up to `limit` validated rows. With `shuffle`, a seeded uniform sample of the whole file
    (reservoir sampling, so memory holds `limit` rows however long the file is), returned in a
    seeded random order; without it, the first `limit` rows in file order."""
    table = TextTable(path, column, label_column)
    if not shuffle:
        out = []
        for row in table.rows():
            if limit is not None and len(out) >= limit:
                break
            out.append(row)
        if not out:
            raise DataError("no data rows", where=str(table.path))
        return out
    rng = random.Random(seed)
    reservoir: list[TextRow] = []
    for i, row in enumerate(table.rows()):
        if limit is None or len(reservoir) < limit:
            reservoir.append(row)
        else:
            j = rng.randint(0, i)
            if j < limit:
                reservoir[j] = row
    if not reservoir:
        raise DataError("no data rows", where=str(table.path))
    rng.shuffle(reservoir)
    return reservoir
