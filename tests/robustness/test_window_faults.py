"""Hostile input in the real window (offscreen): hostile engine files are never
deserialized in the window's process, a truncated or garbage settings file does not stop
the studio, and the window keeps working after each refusal."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


@pytest.fixture
def runtime_spy(monkeypatch):
    """Record any TensorRT Runtime made in this (the window's) process."""
    from plugins.studio_tensorrt.library import library_or_reason
    lib, _why = library_or_reason()
    if lib is None:
        pytest.skip("no TensorRT library here")
    made = []
    real = lib.module.Runtime

    def spy(*a, **k):
        made.append(a)
        return real(*a, **k)
    monkeypatch.setattr(lib.module, "Runtime", spy)
    return made


@pytest.fixture
def win(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGINE_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    from studio.ui.main_window import MainWindow
    w = MainWindow(modal_errors=False)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def _one_error(qtbot, w, n, name):
    qtbot.waitUntil(lambda: len(w.errors.history) >= n, timeout=20000)
    msg = w.errors.history[n - 1]
    assert name in msg and "\n" not in msg and "Traceback" not in msg, msg
    return msg


@pytest.mark.slow
def test_hostile_engine_files_are_refused_without_deserializing_here(qtbot, win, tmp_path, runtime_spy):
    from .conftest import mlp
    garbage = tmp_path / "garbage.engine"
    garbage.write_bytes(b"\x00ftrt" + bytes(range(256)) * 40)
    win.open_path(str(garbage))
    _one_error(qtbot, win, 1, "garbage.engine")
    # a plan-looking header, truncated, with a sidecar claiming another library version
    fake = tmp_path / "other.engine"
    fake.write_bytes(b"ptrt" + b"\x00" * 60)
    (tmp_path / "other.engine.json").write_text('{"schema": "engine-studio.sidecar", "version": 1, '
                                                '"backend": "tensorrt", "library": "tensorrt", "library_version": "8.0"}')
    win.open_path(str(fake))
    _one_error(qtbot, win, 2, "other.engine")
    assert runtime_spy == []  # nothing was deserialized in the window's process
    # and the window still opens a model
    model = mlp(tmp_path / "ok.onnx")
    win.open_path(str(model))
    qtbot.waitUntil(lambda: win.model_path == str(model) and win.graphs.before.ready, timeout=30000)


@pytest.mark.parametrize("content", [
    b"[General]\nschema_version=2\ntheme=da",            # truncated mid-value
    b"[Gene",                                            # truncated mid-section
    b"\xff\xfe\x00garbage\x00\x01" * 50,                 # not text at all
])
def test_truncated_or_garbage_settings_do_not_stop_the_studio(qtbot, tmp_path, content):
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings
    path = tmp_path / "s.ini"
    path.write_bytes(content)
    w = MainWindow(settings=Settings(path), modal_errors=False)
    qtbot.addWidget(w)
    assert w.settings.get("theme") in ("light", "dark")
    w.set_theme("dark")
    w.close()
    assert Settings(path).get("theme") == "dark"  # a good file was written back


@pytest.mark.slow
def test_closing_the_window_mid_benchmark_stops_and_waits(tmp_path):
    """Closing mid-run, for a benchmark (closing mid-build is tested with the window): a real ONNX Runtime build, a
    60 s benchmark started, the window closed 1 s in. Run in a fresh interpreter so a 'QThread
    destroyed while running' abort or a crash at exit shows as its exit status."""
    import subprocess
    import sys

    from .conftest import ROOT, mlp
    model = mlp(tmp_path / "m.onnx", d=64)
    script = tmp_path / "close_mid_bench.py"
    script.write_text(f"""
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from studio.ui.main_window import MainWindow
from studio.ui.settings import Settings
win = MainWindow(settings=Settings({str(tmp_path / 's.ini')!r}), modal_errors=False)
win.build_panel.output_dir = {str(tmp_path / 'builds')!r}
win.show()
def wait(cond, limit):
    t0 = time.time()
    while not cond() and time.time() - t0 < limit:
        app.processEvents(); time.sleep(0.01)
    return cond()
win.open_path({str(model)!r})
assert wait(lambda: win.graphs.before.ready, 60), "model did not open"
win.build_panel.select_backend("onnxruntime")
built = []
win.build_panel.built.connect(built.append)
win.build_panel.start_build()
assert wait(lambda: built and win.builds.entries, 120), "ORT build did not finish"
win.bench.duration.setValue(60)
win.bench.check([e.key for e in win.builds.entries])
task = win.bench.start()
assert task is not None
# closed once the benchmark is measuring (its first samples drawn), not at a fixed time
assert wait(lambda: any(s.lat.n for s in win.bench.live.series.values()), 60), "no sample arrived"
assert task.running, "the benchmark should still be running"
t0 = time.time()
win.close()
closed_in = time.time() - t0
assert not task.running, "the benchmark outlived the window"
print("closed in", round(closed_in, 2), flush=True)
app.processEvents()
del win
""")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240, cwd=ROOT,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr[-3000:]
    assert "QThread: Destroyed while thread is still running" not in r.stderr
    closed_in = float(r.stdout.split("closed in")[1])
    assert closed_in < 10, closed_in


def test_export_never_writes_outside_the_chosen_folder(tmp_path):
    """A link in the chosen folder named like the engine cannot redirect the copy."""
    import os

    from studio.core.backends.base import BuildConfig, BuildResult
    from studio.core.errors import StudioError
    from studio.core.jobs.build_job import BuildEntry
    from studio.core.session import Session
    src = tmp_path / "build" / "m.engine"
    src.parent.mkdir()
    src.write_bytes(b"engine bytes")
    session = Session()
    session.add_build(BuildEntry(BuildResult(str(src), str(src) + ".json", "tensorrt", "fp16", 1.0, 12),
                                 BuildConfig(model=str(tmp_path / "m.onnx"), backend="tensorrt", output=str(src))))
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    folder = tmp_path / "export"
    folder.mkdir()
    os.symlink(outside, folder / "m.engine")
    with pytest.raises(StudioError, match="refusing to write outside the chosen folder"):
        session.export(str(src), str(folder))
    assert outside.read_text() == "keep me"
    os.unlink(folder / "m.engine")
    assert session.export(str(src), str(folder)) == [str((folder / "m.engine").resolve())]


def test_settings_that_cannot_be_saved_are_told_and_the_old_file_stays(qtbot, tmp_path):
    """The window's settings: a read-only folder (a tmpfs remounted read-only; root
    ignores chmod) makes the save fail: the user is told in the log and status bar, the previous
    settings file is untouched and still loads."""
    import os
    import subprocess

    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)]).returncode:
        pytest.skip("needs root to mount a tmpfs")
    try:
        path = mnt / "s.ini"
        w = MainWindow(settings=Settings(path), modal_errors=False)
        qtbot.addWidget(w)
        w.set_theme("dark")
        w.save_settings()
        before = path.read_bytes()
        assert subprocess.run(["mount", "-o", "remount,ro", str(mnt)]).returncode == 0
        w.set_theme("light")
        w.save_settings()
        assert "settings could not be saved" in w.log_view.toPlainText()
        assert "settings could not be saved" in w.statusBar().currentMessage()
        w.close()
        # (a new Settings in this process would see QSettings' shared in-memory cache, so read the file)
        assert path.read_bytes() == before and b"theme=dark" in before
    finally:
        subprocess.run(["umount", "-l", str(mnt)])
