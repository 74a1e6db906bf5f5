"""Bad calibration data stops a real build (in its child process) with the
file:line, and leaves no artifact."""

import pytest

from studio.core.backends.base import BuildConfig, CalibrationSpec
from studio.core.backends.registry import get_backend
from studio.core.errors import DataError


@pytest.fixture
def tok():
    from studio.core.demo.weights import minilm_tokenizer_path

    return str(minilm_tokenizer_path())


@pytest.fixture
def small_bert_path(small_bert):
    return small_bert


@pytest.mark.parametrize("content,expected", [
    (b"text,intent\nhello,a\nbad,row,here\n", r"calib\.csv:3: row has 3 fields"),
    (b"text,intent\nhello,a\ncaf\xe9,b\n", r"calib\.csv:3: not UTF-8 text: byte 0xe9"),
    (b"utterance,intent\nhello,a\n", r"no text column 'text'; the columns are: 'utterance', 'intent'"),
])
def test_tensorrt_int8_build_refuses_bad_calibration(tmp_path, small_bert_path, tok, content, expected):
    from studio.core.jobs.build_job import run_build

    calib = tmp_path / "calib.csv"
    calib.write_bytes(content)
    out = tmp_path / "out" / "m.engine"
    cfg = BuildConfig(model=str(small_bert_path), backend="tensorrt", output=str(out), precision="int8",
                      calibration=CalibrationSpec(str(calib), column="text", tokenizer=tok, samples=8))
    with pytest.raises(DataError, match=expected):
        run_build(cfg)
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_bad_jsonl_line_refused_by_prepare(tmp_path, small_bert_path, tok):
    from studio.core.progress import TaskState
    from studio.core.precision.prepare import prepare_precision

    calib = tmp_path / "calib.jsonl"
    calib.write_text('{"text": "fine"}\n{"text": "broken"\n', encoding="utf-8")
    cfg = BuildConfig(model=str(small_bert_path), backend="tensorrt", output=str(tmp_path / "m.engine"),
                      precision="int8", calibration=CalibrationSpec(str(calib), tokenizer=tok))
    with pytest.raises(DataError, match=r"calib\.jsonl:2: bad JSON"):
        prepare_precision(cfg, get_backend("tensorrt").precision_target(), tmp_path / "w", TaskState())
