import hashlib
import json
import os
import time

import pytest

from studio.core import hash_cache
from studio.core.hash_cache import cache_path, source_sha256


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    # Files made by the test are seconds old at most: let them be remembered.
    monkeypatch.setattr(hash_cache, "CTIME_SETTLE_S", 0.0)
    return tmp_path


def _write(path, data: bytes):
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _entries():
    return json.loads(cache_path().read_text())["entries"]


def test_cache_lives_under_xdg_cache_home(cache_home):
    assert cache_path() == cache_home / "xdg" / "engine-studio" / "source-sha256.json"


def test_second_call_is_served_from_the_cache(cache_home):
    f = cache_home / "m.onnx"
    want = _write(f, b"model bytes" * 1000)
    assert source_sha256(f) == want
    assert list(_entries().values()) == [want]
    # Prove the second answer comes from the cache: plant a different digest under the key.
    key = next(iter(_entries()))
    cache_path().write_text(json.dumps({"version": 1, "entries": {key: "ab" * 32}}))
    assert source_sha256(f) == "ab" * 32


def test_modified_file_misses_even_with_same_size_and_mtime_restored(cache_home):
    f = cache_home / "m.onnx"
    _write(f, b"a" * 4096)
    st = os.stat(f)
    assert source_sha256(f) == hashlib.sha256(b"a" * 4096).hexdigest()
    time.sleep(0.05)  # past the kernel's timestamp tick (the racy case CTIME_SETTLE_S guards)
    want = _write(f, b"b" * 4096)  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime
    assert os.stat(f).st_mtime_ns == st.st_mtime_ns and os.stat(f).st_size == st.st_size
    assert os.stat(f).st_ctime_ns != st.st_ctime_ns
    assert source_sha256(f) == want


def test_corrupt_or_foreign_cache_file_is_ignored(cache_home):
    f = cache_home / "m.onnx"
    want = _write(f, b"x" * 100)
    cache_path().parent.mkdir(parents=True)
    for junk in (b"\x00\xffnot json", b"[1, 2]", b'{"entries": {"k": 5}}', b'{"entries": []}'):
        cache_path().write_bytes(junk)
        assert source_sha256(f) == want
    assert list(_entries().values()) == [want]  # and replaced by a good one


def test_bad_digest_in_cache_is_not_trusted(cache_home):
    f = cache_home / "m.onnx"
    want = _write(f, b"y" * 100)
    source_sha256(f)
    key = next(iter(_entries()))
    cache_path().write_text(json.dumps({"entries": {key: "not-a-sha256"}}))
    assert source_sha256(f) == want


def test_fresh_file_is_hashed_but_not_remembered(cache_home, monkeypatch):
    monkeypatch.setattr(hash_cache, "CTIME_SETTLE_S", 3600.0)
    f = cache_home / "m.onnx"
    want = _write(f, b"z" * 100)
    assert source_sha256(f) == want
    assert not cache_path().exists()


def test_cache_is_bounded(cache_home, monkeypatch):
    monkeypatch.setattr(hash_cache, "MAX_ENTRIES", 3)
    files = []
    for i in range(5):
        f = cache_home / f"m{i}.onnx"
        _write(f, bytes([i]) * 10)
        source_sha256(f)
        files.append(f)
    kept = _entries()
    assert len(kept) == 3
    assert list(kept.values()) == [hashlib.sha256(bytes([i]) * 10).hexdigest() for i in (2, 3, 4)]


def test_unwritable_cache_dir_does_not_fail(cache_home, monkeypatch):
    blocker = cache_home / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    f = cache_home / "m.onnx"
    want = _write(f, b"q" * 10)
    assert source_sha256(f) == want
