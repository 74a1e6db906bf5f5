"""Smoke test of the frozen bundle (`make installer-test`, after `make installer`): the bundled
binary runs the same commands as the installed package with no Python environment on PATH,
and install.sh / uninstall.sh put it under a home folder and take away exactly that."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = sorted((ROOT / "dist").glob("engine-studio-*-linux-x86_64"))

pytestmark = pytest.mark.skipif(not STAGES, reason="no bundle: run `make installer` first")


@pytest.fixture(scope="module")
def stage() -> Path:
    return STAGES[-1]


@pytest.fixture()
def clean_env(tmp_path):
    # No venv, no project on PATH or PYTHONPATH: only what the bundle carries.
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen",
            "LANG": "C.UTF-8"}


def run(binary, *args, env, timeout=300):
    return subprocess.run([str(binary), *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=env["HOME"] if os.path.isdir(env["HOME"]) else None)


def test_bundle_runs_the_commands(stage, clean_env, tmp_path):
    exe = stage / "engine-studio" / "engine-studio"
    r = run(exe, "--version", env=clean_env)
    assert r.returncode == 0 and r.stdout.startswith("engine-studio "), r.stderr

    model = tmp_path / "intent.onnx"
    r = run(exe, "demo-model", "-o", model, env=clean_env)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "tokenizer.json").exists() and (tmp_path / "labels.txt").exists()

    r = run(exe, "inspect", model, "--json", env=clean_env)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert [i["name"] for i in summary["inputs"]] == ["input_ids", "attention_mask"]

    engine = tmp_path / "intent.engine"
    r = run(exe, "build", model, "--backend", "tensorrt", "--precision", "fp32",
            "--shapes", "input_ids:1x8,4x32,8x64", "--shapes", "attention_mask:1x8,4x32,8x64",
            "-o", engine, "--json", env=clean_env)
    assert r.returncode == 0, r.stderr[-3000:]
    built = json.loads(r.stdout)
    assert built["backend"] == "tensorrt" and engine.stat().st_size > 1_000_000

    results = tmp_path / "bench.json"
    r = run(exe, "bench", model, "--backend", "onnxruntime", "--batch", "1", "--concurrency", "1",
            "--duration", "1", "--json", "-o", results, env=clean_env)
    assert r.returncode == 0, r.stderr[-3000:]
    runs = json.loads(r.stdout)["runs"]
    assert runs and runs[0]["throughput"] > 0

    for out in (tmp_path / "report.html", tmp_path / "report.pdf"):   # the PDF goes through Qt
        r = run(exe, "report", engine, results, "-o", out, env=clean_env)
        assert r.returncode == 0, r.stderr[-3000:]
        assert out.stat().st_size > 10_000

    r = run(exe, "inspect", tmp_path / "missing.onnx", env=clean_env)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_install_and_uninstall_touch_only_their_files(stage, clean_env):
    home = Path(clean_env["HOME"])
    (home / ".local" / "share" / "applications").mkdir(parents=True)
    keep = home / ".local" / "share" / "applications" / "other.desktop"
    keep.write_text("[Desktop Entry]\n")
    r = subprocess.run(["sh", str(stage / "install.sh")], env=clean_env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    launcher = home / ".local" / "bin" / "engine-studio"
    desktop = home / ".local" / "share" / "applications" / "engine-studio.desktop"
    assert launcher.exists() and desktop.exists()
    assert "Exec=" + str(home / ".local/share/engine-studio/bundle/engine-studio") in desktop.read_text()
    r = subprocess.run([str(launcher), "--version"], env=clean_env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    r = subprocess.run(["sh", str(home / ".local/share/engine-studio/uninstall.sh")], env=clean_env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not launcher.exists() and not launcher.is_symlink()
    assert not desktop.exists() and not (home / ".local/share/engine-studio").exists()
    assert keep.exists()


def test_bundle_opens_the_window_on_the_demo_model(stage, clean_env):
    Path(clean_env["HOME"]).mkdir(parents=True, exist_ok=True)
    r = run(stage / "engine-studio" / "engine-studio", "window", "--sample", "--exit-when-ready", env=clean_env, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "window ready" in r.stdout
