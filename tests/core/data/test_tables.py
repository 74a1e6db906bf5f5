import tracemalloc

import pytest

from studio.core.data.tables import TextTable, read_rows
from studio.core.errors import DataError


def write(tmp_path, name, content, mode="w"):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def test_csv_rows_with_labels_and_quoted_multiline(tmp_path):
    p = write(tmp_path, "d.csv", 'text,intent\nhello,greet\n"two\nlines, with comma",other\nbye,leave\n')
    rows = read_rows(p, label_column="intent")
    assert [(r.line, r.text, r.label) for r in rows] == [(2, "hello", "greet"), (3, "two\nlines, with comma", "other"),
                                                          (5, "bye", "leave")]


def test_text_column_guessed_and_bom_stripped(tmp_path):
    p = write(tmp_path, "d.csv", "\ufeffid,Text\n1,hi there\n")
    t = TextTable(p)
    assert t.column == "Text"
    assert [r.text for r in t.rows()] == ["hi there"]


def test_ragged_row_names_file_and_line(tmp_path):
    p = write(tmp_path, "d.csv", "text,intent\nok,a\nbad,a,extra\n")
    with pytest.raises(DataError, match=r"d\.csv:3: row has 3 fields, the header has 2"):
        list(TextTable(p).rows())


def test_missing_column_lists_existing(tmp_path):
    p = write(tmp_path, "d.csv", "utterance,intent\nhi,a\n")
    with pytest.raises(DataError, match=r"no text column 'sentence'; the columns are: 'utterance', 'intent'"):
        TextTable(p, column="sentence")
    with pytest.raises(DataError, match=r"no label column 'label'"):
        TextTable(p, label_column="label")


def test_ambiguous_text_column_asks_to_choose(tmp_path):
    p = write(tmp_path, "d.csv", "a,b\nx,y\n")
    with pytest.raises(DataError, match="cannot tell which column"):
        TextTable(p)


def test_non_utf8_reports_line_and_byte_offset(tmp_path):
    p = write(tmp_path, "d.csv", b"text\nfine\ncaf\xe9 latte\n")
    with pytest.raises(DataError) as e:
        list(TextTable(p).rows())
    msg = str(e.value)
    assert f"{p}:3:" in msg and "byte 0xe9 at byte offset 13" in msg and "column 4" in msg


def test_empty_text_is_an_error(tmp_path):
    p = write(tmp_path, "d.csv", 'text,intent\nhi,a\n"  ",b\n')
    with pytest.raises(DataError, match=r"d\.csv:3: empty text"):
        list(TextTable(p).rows())


def test_nan_label_flagged(tmp_path):
    p = write(tmp_path, "d.csv", "text,label\nhi,1\nyo,NaN\n")
    with pytest.raises(DataError, match=r"d\.csv:3: label is 'NaN'"):
        read_rows(p, label_column="label")
    j = write(tmp_path, "d.jsonl", '{"text": "hi", "label": 1}\n{"text": "yo", "label": Infinity}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: label is inf"):
        read_rows(j, label_column="label")


def test_unclosed_quote_is_reported_not_swallowed(tmp_path):
    p = write(tmp_path, "d.csv", 'text\nok\n"never closed\n' + "x\n" * 10)
    with pytest.raises(DataError, match=r"d\.csv"):
        list(TextTable(p).rows())


def test_jsonl_bad_line(tmp_path):
    p = write(tmp_path, "d.jsonl", '{"text": "a"}\n\n{"text": "b",}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:3: bad JSON"):
        list(TextTable(p).rows())


def test_jsonl_non_object_and_missing_key(tmp_path):
    p = write(tmp_path, "d.jsonl", '{"text": "a"}\n[1, 2]\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: each line must be a JSON object"):
        list(TextTable(p).rows())
    q = write(tmp_path, "e.jsonl", '{"text": "a"}\n{"utterance": "b"}\n')
    with pytest.raises(DataError, match=r"e\.jsonl:2: no 'text' key in this line; its keys are: 'utterance'"):
        list(TextTable(q).rows())


def test_jsonl_non_string_text(tmp_path):
    p = write(tmp_path, "d.jsonl", '{"text": 3}\n')
    with pytest.raises(DataError, match=r"d\.jsonl:1: text in 'text' is a int"):
        list(TextTable(p).rows())


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        TextTable(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="unsupported text table"):
        TextTable(write(tmp_path, "d.parquet", "x"))
    with pytest.raises(DataError, match="empty"):
        TextTable(write(tmp_path, "e.csv", ""))


def test_shuffle_is_seeded_and_samples_whole_file(tmp_path):
    p = write(tmp_path, "d.csv", "text\n" + "".join(f"row {i}\n" for i in range(1000)))
    a = read_rows(p, limit=20, shuffle=True, seed=1)
    b = read_rows(p, limit=20, shuffle=True, seed=1)
    c = read_rows(p, limit=20, shuffle=True, seed=2)
    assert [r.text for r in a] == [r.text for r in b] != [r.text for r in c]
    assert max(r.line for r in a) > 100  # not just the head of the file


def test_large_file_is_streamed(tmp_path):
    # ~3.5 MB of rows; a seeded sample of 256 reads the whole file but must not hold it.
    p = tmp_path / "big.csv"
    line = "this is a fairly ordinary customer message about an order " * 2 + "\n"
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("text\n")
        chunk = line * 10000
        for _ in range(3):
            fh.write(chunk)
    tracemalloc.start()
    rows = read_rows(p, limit=256, shuffle=True, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(rows) == 256
    assert max(r.line for r in rows) > 20_000
    assert peak < 1_000_000  # the file is 3.5 MB


def test_txt_is_one_text_per_line(tmp_path):
    p = write(tmp_path, "d.txt", "first text\n\nsecond, with comma\n")
    rows = read_rows(p)
    assert [(r.line, r.text) for r in rows] == [(1, "first text"), (3, "second, with comma")]
    with pytest.raises(DataError, match="no label column"):
        read_rows(p, label_column="text")
