"""The studio in Simplified Chinese: every string the sources mark is translated (lupdate finds
nothing new, the compiled catalogue is current), the window in Chinese shows no English word a
user reads, switching language keeps what is open, and the reports follow the language."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QDockWidget, QGroupBox, QLabel,
                               QLineEdit, QMenu, QPlainTextEdit, QTableWidget, QTabBar, QTreeWidget, QWidget)

from studio.core import i18n

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TS = i18n.ts_path("zh_CN")

# Words a Chinese UI keeps in Latin letters: names of products, formats, units, shortcuts, the
# model's own names. Anything else in Latin letters on a visible widget is an untranslated string.
KEPT = {
    "engine", "studio", "onnx", "tensorrt", "rtx", "runtime", "onnxruntime", "netron", "minilm", "hugging", "face",
    "torch", "qps", "cpu", "gpu", "fp32", "fp16", "bf16", "int8", "fp8", "csv", "jsonl", "json", "npz", "npy",
    "txt", "log", "plan", "html", "pdf", "tokenizer", "ctrl", "shift", "esc", "mib", "token", "ids", "input_ids",
    "key", "value", "option", "build", "ort_ffn_chunk_bytes", "english", "top", "poisson", "sidecar", "ffn",
    "logits", "trtexec", "dejavu", "tensorrt_rtx", "top-1",
    "gflop", "db",                              # units, as MiB
    "ray",                                      # the cluster software, a name
    "minmax", "entropy", "percentile",          # calibration methods: the values `--calib-method` takes
}


def visible_texts(root: QWidget):
    """(where, text) for every text a user reads on `root` and its children: labels, buttons,
    menus and actions, dock and group titles, placeholders, combo items, table headers, tabs."""
    def header_texts(w):
        model = w.model()
        return [str(model.headerData(i, Qt.Horizontal) or "") for i in range(model.columnCount())]

    for w in [root, *root.findChildren(QWidget)]:
        name = type(w).__name__
        if isinstance(w, QLabel):
            yield name, w.text()
        elif isinstance(w, QAbstractButton):
            yield name, w.text()
        elif isinstance(w, QLineEdit):
            yield name + " placeholder", w.placeholderText()
        elif isinstance(w, QPlainTextEdit):
            yield name + " placeholder", w.placeholderText()
        elif isinstance(w, QComboBox):
            for i in range(w.count()):
                yield name + " item", w.itemText(i)
        elif isinstance(w, QAbstractSpinBox):
            yield name + " special", w.specialValueText()
        elif isinstance(w, QDockWidget):
            yield name, w.windowTitle()
        elif isinstance(w, QGroupBox):
            yield name, w.title()
        elif isinstance(w, QMenu):
            yield name, w.title()
            for a in w.actions():
                yield "action", a.text()
        elif isinstance(w, (QTableWidget, QTreeWidget)):
            for t in header_texts(w):
                yield name + " header", t
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                yield name, w.tabText(i)


def english_words(text: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", text)                     # rich-text tags
    text = html.unescape(text)
    text = re.sub(r"'[^']*'|--\S+", " ", text)                # a tool's own term, quoted; its flags
    text = re.sub(r"\S*[/\\]\S*|\S+\.\w+", " ", text)          # paths, file names
    words = re.findall(r"[A-Za-z][A-Za-z0-9_\-]*", text)
    return [w for w in words if sum(c.isalpha() for c in w) >= 3 and w.lower() not in KEPT]


def _backend_messages(window) -> list[str]:
    """What the backends say in their own words (why a precision or a machine cannot be used):
    library messages, shown as the backend gives them."""
    out = []
    for backend, reason in window.build_panel._backends.values():
        out += [reason] if reason else []
        if backend is not None:
            caps = backend.capabilities()
            out += [m for m in (caps.can_run_here, caps.notes, *caps.precisions.values()) if m]
    return sorted(out, key=len, reverse=True)


def _lupdate(ts: Path) -> str:
    sources = subprocess.run(["git", "ls-files", "studio/*.py"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    out = subprocess.run([str(BIN / "pyside6-lupdate"), "-locations", "none", "-no-obsolete", *sources,
                          "-ts", str(ts)], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout + out.stderr


def test_every_marked_string_is_translated_and_the_catalogue_is_compiled(tmp_path):
    """A new or changed string shows up here until it has a translation (`make translations`
    collects it; the .ts then holds it unfinished until a translator fills it in)."""
    ts = tmp_path / TS.name
    shutil.copy(TS, ts)
    report = _lupdate(ts)
    assert "(0 new " in report, report
    text = ts.read_text(encoding="utf-8")
    unfinished = re.findall(r"<source>(.*?)</source>\s*<translation type=\"unfinished\"", text, re.S)
    assert not unfinished, f"untranslated: {unfinished[:10]}"
    assert text == TS.read_text(encoding="utf-8"), "the .ts is not what lupdate writes: run make translations"
    qm = tmp_path / "studio_zh_CN.qm"
    subprocess.run([str(BIN / "pyside6-lrelease"), "-nounfinished", str(TS), "-qm", str(qm)], check=True,
                   capture_output=True)
    assert qm.read_bytes() == i18n.qm_path("zh_CN").read_bytes(), "the .qm is stale: run make translations"


def test_the_window_in_chinese_shows_no_english_word(window, qtbot, open_model, tiny_model):
    open_model(window, tiny_model)
    window.set_language("zh_CN")
    try:
        kept = _backend_messages(window)
        ops = set(window.graphs.before.legend())           # the legend names the model's op types
        left = []
        for where, text in visible_texts(window):
            for m in kept:
                text = text.replace(m, " ")
            words = [w for w in english_words(text) if w not in ops]
            if words:
                left.append((where, text, words))
        assert not left, "\n".join(f"{w}: {t!r} {e}" for w, t, e in left[:20])
        assert window.menuBar().actions()[0].text() == "文件(&F)"
    finally:
        window.set_language("en")


def _english_left(widget_or_texts, kept=()) -> list:
    texts = visible_texts(widget_or_texts) if isinstance(widget_or_texts, QWidget) else widget_or_texts
    left = []
    for where, text in texts:
        for m in kept:
            text = text.replace(m, " ")
        if english_words(text):
            left.append((where, text, english_words(text)))
    return left


def test_the_dialogs_in_chinese_show_no_english_word(window, qtbot, open_model, tiny_model, tmp_path):
    """What opens over the window: the accuracy check, the precision search, an error box, the
    folded details of a log line, the About text."""
    from studio.ui.accuracy_dialog import AccuracyDialog
    from studio.ui.precision_panel import PrecisionDialog
    from studio.ui.window_menus import about_text

    open_model(window, tiny_model)
    data = tmp_path / "chats.csv"
    data.write_text("customer_message,label\nwhere is my parcel,track\n", encoding="utf-8")
    window.set_language("zh_CN")
    reporter_modal = window.errors.modal
    try:
        choices = {"val": str(data)}
        accuracy = AccuracyDialog(tiny_model, choices, window)
        precision = PrecisionDialog(tiny_model, choices, "int8", window)
        # the file's own column names are the user's words, not the studio's
        columns = ["customer_message", "label"]
        for dialog in (accuracy, precision):
            left = _english_left(dialog, kept=columns)
            assert not left, "\n".join(f"{w}: {t!r} {e}" for w, t, e in left[:20])
            assert dialog.windowTitle() and not english_words(dialog.windowTitle())
        window.errors.modal = True
        window.errors.show_text("cannot read chats.csv")
        box = window.errors._box
        qtbot.waitUntil(box.isVisible)
        assert not _english_left([("title", box.windowTitle())]) and not _english_left(
            [(type(b).__name__, b.text()) for b in box.buttons()])
        box.close()
        window.log_view.add("error: first line\nTraceback (most recent call last): ...")
        details = window.log_view.show_details()
        assert details is not None
        assert not _english_left([("title", details.windowTitle())] + [
            (type(b).__name__, b.text()) for b in details.buttons()])
        details.close()
        assert not english_words(about_text().replace("ONNX -> TensorRT / ONNX Runtime", " "))
    finally:
        window.errors.modal = reporter_modal
        window.set_language("en")


def test_switching_language_keeps_what_is_open(window, qtbot, open_model, tiny_model):
    open_model(window, tiny_model)
    window.build_panel.options.setText("num_heads=4")
    window.graphs.search.setText("Softmax")
    nodes = len(window.graphs.before.graph.nodes)
    window.set_language("zh_CN")
    assert window.model_path == tiny_model and window.graphs.before.ready
    assert len(window.graphs.before.graph.nodes) == nodes
    assert window.build_panel.options.text() == "num_heads=4" and window.graphs.search.text() == "Softmax"
    assert window.docks["Build"].windowTitle() == "构建"
    assert window.graphs.before_title.text() == f"融合前：ONNX（{nodes} 个节点）"
    assert window.settings.get("language") == "zh_CN"
    window.set_language("en")
    assert window.docks["Build"].windowTitle() == "Build"
    assert window.graphs.before_title.text() == f"Before fusion: ONNX ({nodes} nodes)"


def test_the_language_follows_the_system_unless_chosen(monkeypatch):
    from studio.ui.i18n import preferred_language
    monkeypatch.setattr("studio.ui.i18n.QLocale.system", lambda: __import__("PySide6.QtCore").QtCore.QLocale("zh_CN"))
    assert preferred_language("") == "zh_CN"
    assert preferred_language("en") == "en"
    assert i18n.normalize("zh_TW.UTF-8") == "zh_CN" and i18n.normalize("de_DE") == "en"


def test_the_html_report_follows_the_language(tmp_path):
    from studio.core.reports.html import render_html
    from studio.core.reports.report_model import Report

    with i18n.language("zh_CN"):
        zh = render_html(Report(title="报告"))
    en = render_html(Report(title="report"))
    assert '<html lang="zh-CN">' in zh and "<h2>加速</h2>" in zh and "指标定义" in zh
    assert "<h2>Speedup</h2>" in en and '<html lang="en">' in en
    body = re.sub(r"<style>.*?</style>|<head>.*?</head>", " ", zh, flags=re.S)
    left = english_words(re.sub(r"<[^>]+>", " ", body))
    assert not left, left


def test_the_sweep_and_serving_plan_in_a_chinese_report():
    """The section a capacity decision is read from, assumptions included, in Chinese (the
    figures and the machines' own names stay as they are)."""
    from studio.core.bench.serving import ServiceCurve, plan_serving
    from studio.core.bench.sweep import SweepResult, SweepRun
    from studio.core.reports.html import render_html
    from studio.core.reports.report_model import Report

    runs = [SweepRun("t4", "", "tensorrt", "int8", "m.engine", b, 1, 100.0 * b, 100.0 * b,
                     {"p50": 1.0 * b, "p90": 1.2 * b, "p99": 1.5 * b, "mean": 1.0 * b}) for b in (1, 8)]
    sweep = SweepResult(runs=runs)
    sweep.plan = plan_serving([ServiceCurve("t4", "int8", "m.engine", {1: (1.0, 1.5), 8: (8.0, 12.0)})], 500.0, 100.0,
                              {"t4": 0.35}, {"t4": "T4"}, 2.5)
    with i18n.language("zh_CN"):
        zh = render_html(Report(title="报告", sweep=sweep))
    assert "扫描与部署规划" in zh and "每个请求一行" in zh
    body = re.sub(r"<style>.*?</style>|<head>.*?</head>|<svg.*?</svg>", " ", zh, flags=re.S)
    left = english_words(re.sub(r"<[^>]+>", " ", body))
    assert not left, left
