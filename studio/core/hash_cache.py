"""sha256 of source models, remembered between runs: every build's sidecar names the hash of
the ONNX it came from, and hashing a 440 MB BERT-base again on each rebuild costs a core for
~0.4 s while the builder wants both.

    digest = source_sha256(path)

An entry is keyed by (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns). Users can set mtime
(os.utime, `touch -d`) but not ctime: any write, rename over or chmod moves ctime, so a changed
file always misses. A file changed within CTIME_SETTLE_S of now is hashed but not remembered
(the kernel's timestamp tick is coarse: a second write in the same tick would keep the key).
The cache is one small JSON file under the user's cache dir ($XDG_CACHE_HOME or ~/.cache,
then engine-studio/), replaced atomically, holding the last MAX_ENTRIES entries; a missing,
unreadable or corrupt file counts as empty and is never an error."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from studio.core.io import atomic_path, sha256_file, user_cache_dir

MAX_ENTRIES = 256
CTIME_SETTLE_S = 2.0
FILE_NAME = "source-sha256.json"
_HEX = frozenset("0123456789abcdef")


def cache_path() -> Path:
    return user_cache_dir() / FILE_NAME


def _key(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _load(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = doc.get("entries") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items()
            if isinstance(k, str) and isinstance(v, str) and len(v) == 64 and set(v) <= _HEX}


def _store(path: Path, key: str, digest: str) -> None:
    entries = _load(path)
    entries.pop(key, None)
    entries[key] = digest  # newest last: dict order is the eviction order
    keep = dict(list(entries.items())[-MAX_ENTRIES:])
    try:
        # No fsync: a cache lost to a power cut costs one rehash; a torn one reads as empty.
        with atomic_path(path, fsync=False) as tmp:
            tmp.write_text(json.dumps({"version": 1, "entries": keep}) + "\n", encoding="utf-8")
    except Exception:
        pass  # a read-only or full home must not fail a build over a cache


def source_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of the file at `path`, from the cache when the file is provably unchanged."""
    cache = cache_path()
    before = os.stat(path)
    key = _key(before)
    hit = _load(cache).get(key)
    if hit is not None:
        return hit
    digest = sha256_file(path)
    after = os.stat(path)
    # Written to while we read it, or too fresh for its ctime to tell the next write apart.
    if _key(after) == key and time.time() - after.st_ctime_ns / 1e9 >= CTIME_SETTLE_S:
        _store(cache, key, digest)
    return digest
