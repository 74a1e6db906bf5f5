import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})


def test_window_with_a_missing_file_is_a_one_line_error():
    r = _cli("window", "no/such/model.onnx")
    assert r.returncode == 2
    assert r.stderr.strip() == "engine-studio: error: no/such/model.onnx: no such file"


def test_demo_rejects_a_bad_duration():
    r = _cli("demo", "--bench-seconds", "0")
    assert r.returncode == 2 and "--bench-seconds must be more than 0" in r.stderr


def test_cli_modules_do_not_import_qt_until_run():
    code = ("import sys; import studio.cli.main as m; m.make_parser(); "
            "print(any(k.startswith('PySide6') for k in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stdout.strip() == "False", r.stderr
