"""Issue 7 in the real window (offscreen, engineer G's studio/ui): hostile engine files are never
deserialized in the window's process (item 6), a truncated or garbage settings file does not stop
the studio (item 11), and the window keeps working after each refusal."""

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
