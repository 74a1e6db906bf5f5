"""Save faults (kill -9 during a save, disk full, read-only folder, truncated
files). The previous file stays intact and loadable; the user is told in one line.

Disk full and read-only use a real tiny tmpfs (mounted when we are root, as in CI's container);
without root, disk full falls back to RLIMIT_FSIZE in a child and read-only is skipped."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, assert_refused, mlp, run_cli


def _mount_tmpfs(path: Path, opts: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.fixture
def tiny_fs(tmp_path):
    mnt = tmp_path / "tiny"
    if not _mount_tmpfs(mnt, "size=128k"):
        yield None
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


@pytest.mark.slow
def test_kill_9_during_save_leaves_the_previous_file(tmp_path):
    """A child saves 40 MB atomically over and over; kill -9 lands mid-write: the file is still
    one whole version (old or new), never a mix or a prefix."""
    dest = tmp_path / "results.json"
    old = json.dumps({"version": "old", "pad": "o" * 1000})
    dest.write_text(old)
    code = ("import sys, json; from studio.core.io import write_text_atomic\n"
            "doc = json.dumps({'version': 'new', 'pad': 'n' * (40 << 20)})\n"
            "print('go', flush=True)\n"
            "while True: write_text_atomic(sys.argv[1], doc)")
    for delay in (0.05, 0.2):
        dest.write_text(old)
        p = subprocess.Popen([sys.executable, "-c", code, str(dest)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert p.stdout.readline().strip() == "go"
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        doc = json.loads(dest.read_text())  # loadable: whole old or whole new
        assert doc["version"] in ("old", "new")
        assert len(doc["pad"]) in (1000, 40 << 20)
        # a killed writer cannot clean up after itself: its temp file is a hidden .part beside it,
        # never the user's file
        for leftover in tmp_path.glob(".results.json.*.part"):
            leftover.unlink()


@pytest.mark.slow
def test_disk_full_keeps_the_previous_report_and_says_so(tmp_path, tiny_fs):
    model = mlp(tmp_path / "m.onnx")
    if tiny_fs is None:  # not root: a per-process file size limit stands in for a full disk
        out = tmp_path / "r.json"
        assert run_cli("report", model, "-o", out).returncode == 0
        before = out.read_bytes()
        limit = len(before) // 2

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        r = run_cli("report", model, "--title", "x" * 5000, "-o", out, preexec_fn=small_files)
    else:
        out = tiny_fs / "r.json"
        assert run_cli("report", model, "-o", out).returncode == 0
        before = out.read_bytes()
        free = os.statvfs(tiny_fs).f_bavail * os.statvfs(tiny_fs).f_frsize
        (tiny_fs / "filler").write_bytes(b"\0" * (free - 1024))
        r = run_cli("report", model, "--title", "x" * 5000, "-o", out)
    assert_refused(r, str(out))
    assert out.read_bytes() == before and json.loads(before)
    assert not list(out.parent.glob(".*.part"))


@pytest.mark.slow
def test_read_only_folder_is_a_clear_error(tmp_path, tiny_fs):
    if tiny_fs is None:
        pytest.skip("needs root to mount a read-only tmpfs (chmod does not stop root)")
    model = mlp(tmp_path / "m.onnx")
    out = tiny_fs / "r.json"
    assert run_cli("report", model, "-o", out).returncode == 0
    before = out.read_bytes()
    assert subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)]).returncode == 0
    r = run_cli("report", model, "-o", out)
    assert_refused(r, str(out))
    assert out.read_bytes() == before
    # the same for a build's engine: refused in one line, nothing half-written
    r = run_cli("build", model, "-o", tiny_fs / "m.engine", "--quiet")
    assert_refused(r, "m.engine")
    assert not (tiny_fs / "m.engine").exists()


@pytest.mark.slow
def test_truncated_results_file_is_named_not_crashed_on(tmp_path):
    model = mlp(tmp_path / "m.onnx")
    out = tmp_path / "summary.json"
    r = run_cli("inspect", model, "--json")
    full = r.stdout
    out.write_text(full[: len(full) // 2])
    r = run_cli("report", out, "-o", tmp_path / "r.html")
    assert_refused(r, str(out))
    assert not (tmp_path / "r.html").exists()
