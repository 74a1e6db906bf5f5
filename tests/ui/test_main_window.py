import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def _painted_colours(widget) -> int:
    img = widget.grab().toImage()
    w, h = img.width(), img.height()
    seen = set()
    for x in range(0, w, 7):
        for y in range(0, h, 7):
            seen.add(img.pixel(x, y))
    return len(seen)


def test_window_opens_a_model_and_renders_its_graph(qtbot, window, tiny_model, open_model):
    open_model(window, tiny_model)
    canvas = window.graphs.before
    assert len(canvas.graph.nodes) == len(window.onnx_graph.nodes) + 2 + 2  # + graph inputs/outputs
    assert canvas.layout_result is not None and len(canvas.layout_result.ids) == len(canvas.graph.nodes)
    # the canvas really painted boxes of several colours, not a blank view
    assert _painted_colours(canvas.viewport()) > 5
    assert "tiny.onnx" in window.windowTitle()
    assert window.settings.recent()[0].endswith("tiny.onnx")
    # the build panel was prefilled from the model's dynamic inputs
    assert "input_ids:" in window.build_panel.profiles.toPlainText()
    assert "CPU only: engines are built here and run on a GPU" in window.status.device_label.text()


def test_search_selects_and_details_show_attributes_and_shapes(qtbot, window, tiny_model, open_model):
    open_model(window, tiny_model)
    panel = window.graphs
    panel.search.setText("Softmax")
    panel.find_next()
    sel = panel.before.selected_id()
    assert "Softmax" in sel
    rows = window.details.rows()
    assert rows["Op type"] == "Softmax"
    assert "Attributes" in rows and "Outputs" in rows
    # clicking on empty canvas clears the selection
    panel.before.select(None)
    assert panel.before.selected_id() == ""


def test_click_on_a_node_selects_it(qtbot, window, tiny_model, open_model):
    open_model(window, tiny_model)
    canvas = window.graphs.before
    lay = canvas.layout_result
    i = 3
    nid = lay.ids[i]
    canvas.centerOn(lay.x[i], lay.y[i])
    pos = canvas.mapFromScene(QPointF(lay.x[i], lay.y[i]))
    with qtbot.waitSignal(canvas.nodeSelected) as sig:
        qtbot.mouseClick(canvas.viewport(), Qt.LeftButton, pos=pos)
    assert sig.args == [nid]


def test_bad_file_is_one_line_error_and_window_keeps_working(qtbot, window, tmp_path, tiny_model, open_model):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07garbage-not-a-model" * 10)
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: len(window.errors.history) == 1, timeout=10000)
    msg = window.errors.history[0]
    assert "broken.onnx" in msg and "\n" not in msg and "Traceback" not in msg
    open_model(window, tiny_model)   # and the window still works


def test_a_parser_crash_is_an_error_not_a_dead_window(qtbot, window, tiny_model, open_model, monkeypatch):
    from studio.core.graph.isolated import FAULT_ENV

    monkeypatch.setenv(FAULT_ENV, "segv")   # the real child segfaults while opening
    window.open_path(tiny_model)
    qtbot.waitUntil(lambda: len(window.errors.history) == 1, timeout=20000)
    assert "the parser crashed on this file (SIGSEGV)" in window.errors.history[0]
    monkeypatch.delenv(FAULT_ENV)
    open_model(window, tiny_model)   # and the window still works


def test_drop_a_model_opens_it(qtbot, window, tiny_model):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(tiny_model)])
    ev = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(ev)
    qtbot.waitUntil(lambda: window.model_path == tiny_model and window.graphs.before.ready, timeout=30000)


def test_theme_and_settings_persist(qtbot, tmp_path, tiny_model):
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings
    path = tmp_path / "s.ini"
    win = MainWindow(settings=Settings(path), modal_errors=False)
    qtbot.addWidget(win)
    win.set_theme("dark")
    win.graphs.set_color_mode("precision")
    win.compare.price.setValue(4.2)
    win.close()
    win2 = MainWindow(settings=Settings(path), modal_errors=False)
    qtbot.addWidget(win2)
    assert win2.settings.get("theme") == "dark"
    assert win2.graphs.color.currentData() == "precision"
    assert win2.compare.price.value() == pytest.approx(4.2)
    win2.set_theme("light")
    win2.close()


def test_settings_from_a_newer_studio_are_reset_not_fatal(tmp_path):
    from studio.ui.settings import SCHEMA_VERSION, Settings
    path = tmp_path / "s.ini"
    path.write_text(f"[General]\nschema_version={SCHEMA_VERSION + 5}\ntheme=purple\n")
    s = Settings(path)
    assert "another version" in s.notice
    assert s.get("theme") == "light"
    old = tmp_path / "old.ini"
    old.write_text("[General]\nschema_version=1\nprice_cents=350\n")
    s = Settings(old)
    assert s.get("price_per_device_hour") == pytest.approx(3.5)
    v2 = tmp_path / "v2.ini"
    v2.write_text("[General]\nschema_version=2\nprice_per_gpu_hour=0.35\n")
    s = Settings(v2)
    assert s.get("price_per_device_hour") == pytest.approx(0.35)
    assert s.q.value("price_per_gpu_hour") is None


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_is_shown_and_the_app_keeps_working(qtbot, window, tiny_model, open_model):
    from PySide6.QtWidgets import QPushButton

    def boom():
        raise RuntimeError("injected failure in a slot")
    btn = QPushButton("boom", window)
    btn.clicked.connect(boom)
    qtbot.mouseClick(btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: any("injected failure" in m for m in window.errors.history), timeout=5000)
    assert window.errors.history[-1] == "internal error: RuntimeError: injected failure in a slot"
    open_model(window, tiny_model)


def test_exception_in_a_worker_is_shown_and_logged(qtbot, window):
    from studio.ui.workers import Task

    def work(cancel, emit):
        raise ValueError("injected failure in a worker")
    task = Task(work, name="inject", parent=window)
    task.failed.connect(window.errors.show_text)
    with qtbot.waitSignal(task.failed, timeout=5000) as sig:
        window.tasks.start(task)
    assert sig.args == ["internal error: ValueError: injected failure in a worker"]
    qtbot.waitUntil(lambda: "injected failure in a worker" in window.log_view.toPlainText(), timeout=5000)
    assert window.errors.history[-1].endswith("injected failure in a worker")


def test_a_garbage_settings_file_gives_defaults_and_a_notice(tmp_path):
    from studio.ui.settings import Settings
    path = tmp_path / "s.ini"
    path.write_bytes(b"[General\x00\xff\xfe\nschema_version=\x00\x01garbage\n[[[")
    s = Settings(path)
    assert s.get("theme") == "light" and s.get("recent") == []
    s.add_recent(str(tmp_path / "m.onnx"))
    s.sync()
    assert Settings(path).recent() == [str((tmp_path / "m.onnx").resolve())]


def test_a_new_graph_cancels_the_layout_still_running(qtbot, window):
    from studio.ui.view_model import ViewGraph, ViewNode
    big = ViewGraph("onnx", "big", [ViewNode(f"n{i}", "Add") for i in range(6000)],
                    [(f"n{i}", f"n{i + 1}", "t") for i in range(5999)])
    small = ViewGraph("onnx", "small", [ViewNode("a", "MatMul"), ViewNode("b", "Add")], [("a", "b", "t")])
    canvas = window.graphs.before
    canvas.set_graph(big)
    first = canvas._task
    canvas.set_graph(small)
    qtbot.waitUntil(lambda: canvas.ready and not first.running, timeout=20000)
    assert first.cancel_event.is_set()
    assert canvas.graph is small and canvas.layout_result.ids == ["a", "b"]
    assert window.errors.history == []


def test_a_garbage_engine_is_refused_without_deserializing(qtbot, window, tmp_path):
    bad = tmp_path / "model.engine"
    bad.write_bytes(b"\x00ftrt" + bytes(range(256)) * 40)
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: len(window.errors.history) == 1, timeout=10000)
    msg = window.errors.history[0]
    assert "model.engine" in msg and "\n" not in msg
    assert window.builds.entries == [] and not window.graphs.after.ready


def test_garbage_is_collected_in_the_ui_thread_only(qtbot, window):
    """A worker thread that allocates past the collector's threshold must not collect (Qt
    objects in the garbage would be destroyed off the UI thread); the UI thread's timer does."""
    import gc
    import threading

    assert not gc.isenabled()
    collected_in = []

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            collected_in.append(threading.current_thread() is threading.main_thread())

    kept = []

    def worker():
        Cycle()
        # Enough new objects, kept alive, to pass the first generation's threshold: automatic
        # collection would have run here, in this thread; the UI thread's timer will now.
        kept.extend([] for _ in range(3 * gc.get_threshold()[0]))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert collected_in == []
    qtbot.waitUntil(lambda: bool(collected_in), timeout=5000)
    assert collected_in == [True]


def test_the_window_fits_a_laptop_screen_and_the_graph_gets_the_most_room(window, qtbot):
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 40   # a taskbar's room below
    window.fit_screen(1366, 768)
    qtbot.waitUntil(lambda: window.size().width() == 1366 and window.size().height() == 768, timeout=5000)
    central = window.centralWidget().size()
    area = central.width() * central.height()
    assert area >= 0.4 * 1366 * 768
    for dock in window.docks.values():
        if dock.isVisible():
            assert dock.width() * dock.height() < area
    bar = window.statusBar()
    assert bar.isVisible() and bar.geometry().bottom() <= window.height()


def test_the_window_starts_on_a_start_page_not_inside_the_sample(qtbot, tmp_path):
    from studio.ui.app import make_window

    win = make_window(modal_errors=False)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.center.currentWidget() is win.start_page and win.model_path is None
        assert win.start_page.sample_btn.text() == "Try the sample intent model"
        with qtbot.waitSignal(win.model_opened, timeout=120000):
            win.start_page.sample_btn.click()
        assert win.center.currentWidget() is win.graphs
        assert any("sample intent model" in line for line in win.log_view.lines())
    finally:
        win.close()


def test_the_log_folds_a_traceback_into_one_line(window):
    window.log_view.add("build failed: something broke\nTraceback (most recent call last):\n  File x\nValueError: y")
    last = window.log_view.lines()[-1]
    assert last.endswith("build failed: something broke  [3 more lines: right-click > Show details]")
    assert "Traceback" not in window.log_view.toPlainText()
    box = window.log_view.show_details()
    assert "ValueError: y" in box.detailedText()
    box.close()
