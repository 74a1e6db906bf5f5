"""studio.core.io: atomic writes give the replaced file's page cache back before writing."""

from __future__ import annotations

import os

import pytest

from studio.core import io


@pytest.fixture
def fadvise_calls(monkeypatch):
    """Record posix_fadvise calls (path of the fd, advice) while still making them."""
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise on this platform")
    calls = []
    real = os.posix_fadvise

    def record(fd, offset, length, advice):
        calls.append((os.readlink(f"/proc/self/fd/{fd}"), advice))
        return real(fd, offset, length, advice)

    monkeypatch.setattr(io.os, "posix_fadvise", record)
    return calls


def test_replacing_a_file_drops_the_old_files_cached_pages_and_keeps_it_until_the_rename(tmp_path, fadvise_calls):
    dest = tmp_path / "model.engine"
    dest.write_bytes(b"old" * 1000)
    with io.atomic_path(dest, fsync=False) as tmp:
        assert fadvise_calls == [(str(dest), os.POSIX_FADV_DONTNEED)]
        assert dest.read_bytes() == b"old" * 1000  # still whole and readable while the new one is written
        tmp.write_bytes(b"new")
    assert dest.read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, fadvise_calls):
    dest = tmp_path / "model.engine"
    dest.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(dest) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("builder died")
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.engine"]


def test_new_files_links_and_fifos_are_left_alone(tmp_path, fadvise_calls):
    io.write_text_atomic(tmp_path / "new.txt", "x")
    target = tmp_path / "target.txt"
    target.write_text("t")
    (tmp_path / "link.txt").symlink_to(target)
    io.write_text_atomic(tmp_path / "link.txt", "replaced the link, not its target")
    os.mkfifo(tmp_path / "fifo")
    io.write_text_atomic(tmp_path / "fifo", "a fifo is not opened for reading (that would block)")
    assert fadvise_calls == []
    assert target.read_text() == "t"


def test_move_atomic_renames_on_one_file_system_with_open_permissions(tmp_path, fadvise_calls):
    src, dest = tmp_path / "work" / "optimized.onnx", tmp_path / "out" / "model.onnx"
    src.parent.mkdir()
    src.write_bytes(b"new")
    src.chmod(0o600)  # as mkstemp leaves a file
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    inode = src.stat().st_ino
    io.move_atomic(src, dest)
    assert not src.exists() and dest.read_bytes() == b"new"
    assert dest.stat().st_ino == inode  # renamed, not copied
    assert dest.stat().st_mode & 0o777 == io._default_mode()
    assert fadvise_calls == [(str(dest), os.POSIX_FADV_DONTNEED)]


def test_move_atomic_copies_across_file_systems(tmp_path):
    import tempfile
    from pathlib import Path

    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second file system (/dev/shm) for the rename to fail")
    with tempfile.TemporaryDirectory(dir=shm) as work:
        src = Path(work) / "optimized.onnx"
        src.write_bytes(b"model bytes")
        io.move_atomic(src, tmp_path / "out.onnx")  # EXDEV: copied through atomic_path
        assert not src.exists()
    assert (tmp_path / "out.onnx").read_bytes() == b"model bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["out.onnx"]  # no temp file left


def test_move_atomic_onto_a_folder_is_a_clear_error_and_keeps_the_source(tmp_path):
    src = tmp_path / "optimized.onnx"
    src.write_bytes(b"x")
    dest = tmp_path / "model.onnx"
    dest.mkdir()  # a folder where the output should go
    (dest / "keep").write_text("mine")
    with pytest.raises(io.StudioError, match="cannot save") as e:
        io.move_atomic(src, dest)
    assert e.value.where == str(dest)
    assert src.read_bytes() == b"x" and (dest / "keep").read_text() == "mine"
