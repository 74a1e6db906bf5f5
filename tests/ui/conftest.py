"""Shared fixtures for the window tests: a small real BERT-shaped ONNX model (random weights,
2 layers) with the real tokenizer beside it, a private settings file, and a window that is
closed (and its workers waited for) after each test."""

import os
import shutil

import onnx
import pytest

# The window speaks the system's language when none was chosen; these tests read its English
# texts (tests/ui/test_i18n.py switches to Chinese itself).
os.environ["LC_ALL"] = "C.UTF-8"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.weights import BertConfig, minilm_tokenizer_path, random_head, random_weights
    d = tmp_path_factory.mktemp("tiny-model")
    # vocab matches the real tokenizer so text calibration and feeds give valid ids
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=128)
    model = build_bert_onnx(cfg, random_weights(cfg), random_head(32, 3))
    path = d / "tiny.onnx"
    onnx.save(model, str(path))
    shutil.copy(minilm_tokenizer_path(), d / "tokenizer.json")
    return str(path)


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGINE_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))


@pytest.fixture
def window(qtbot, tmp_path):
    from studio.ui.errors import install_excepthook, uninstall_excepthook
    from studio.ui.main_window import MainWindow
    win = MainWindow(modal_errors=False)
    win.build_panel.output_dir = str(tmp_path / "builds")
    qtbot.addWidget(win)
    install_excepthook(win.errors)
    win.show()
    yield win
    win.close()
    uninstall_excepthook()


@pytest.fixture
def open_model(qtbot):
    def opener(win, path, timeout=30000):
        win.open_path(path)
        qtbot.waitUntil(lambda: win.model_path == path and win.graphs.before.ready, timeout=timeout)
    return opener
