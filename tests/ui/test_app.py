"""Starting the window: the backends' native libraries load off the UI thread, so that the first
choice of a backend does not freeze the window. Each case in a fresh process: whether a library
is loaded depends on what the process did before."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHOOSE_EVERY_BACKEND = r"""
import json, sys, threading
from studio.ui.app import get_app, make_window
from studio.ui.settings import Settings
app = get_app()
Settings().q.setValue("build/backend", "onnxruntime")   # a user whose last build was ONNX Runtime's
win = make_window(modal_errors=False)
for t in threading.enumerate():
    if t.name == "probe-backends":
        t.join(120)
loaded_on_ui_thread = []
def hook(event, args):
    if event == "import" and threading.current_thread() is threading.main_thread():
        loaded_on_ui_thread.append(str(args[0]))
sys.addaudithook(hook)
panel = win.build_panel
chosen_at_start = panel.backend.currentData()
names = [panel.backend.itemData(i) for i in range(panel.backend.count())]
for name in names:
    panel.select_backend(name)
    app.processEvents()
print(json.dumps({"backends": names, "chosen_at_start": chosen_at_start, "imported": loaded_on_ui_thread,
                  "native": sorted(m for m in sys.modules if m.startswith(("tensorrt", "onnxruntime")))}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="offscreen Qt in a child process, as CI runs it")
def test_choosing_any_backend_loads_nothing_on_the_ui_thread(tmp_path):
    # A user of their own (HOME): the window opens on the backend of their last build, and the
    # first choice of another one must not load its library on the UI thread.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", CHOOSE_EVERY_BACKEND], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"tensorrt", "onnxruntime"} <= set(got["backends"]) and got["chosen_at_start"] == "onnxruntime"
    assert any(m.startswith("tensorrt") for m in got["native"])     # TensorRT's library was loaded...
    assert got["imported"] == []                                    # ...but not on the UI thread
