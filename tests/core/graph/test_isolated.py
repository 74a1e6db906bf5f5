"""Opening a model in a child process: the same Graph or the same ModelError as in-process,
and a real native crash of the parser becomes "the parser crashed on this file"."""

import pytest

from studio.core.errors import ModelError
from studio.core.graph.isolated import FAULT_ENV, open_graph_isolated
from studio.core.graph.onnx_loader import open_graph


def test_same_graph_as_in_process(small_bert):
    g = open_graph_isolated(str(small_bert))
    assert g == open_graph(str(small_bert))
    assert g.node(g.nodes[0].name).op_type == g.nodes[0].op_type
    init = next(iter(g.initializers.values()))
    with pytest.raises(ModelError, match="no data to load"):  # weights stay with the opener
        init.load()


def test_same_error_as_in_process(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x0f\xff not a model")
    with pytest.raises(ModelError) as inproc:
        open_graph(str(bad))
    with pytest.raises(ModelError) as child:
        open_graph_isolated(str(bad))
    assert str(child.value) == str(inproc.value)


def test_a_parser_crash_is_reported_and_the_caller_lives(small_bert, monkeypatch):
    monkeypatch.setenv(FAULT_ENV, "segv")
    with pytest.raises(ModelError, match=r"the parser crashed on this file \(SIGSEGV\)") as e:
        open_graph_isolated(str(small_bert))
    assert e.value.where == str(small_bert)
