"""ONNX external data, checked before anything is opened.

An ONNX file names its weight files itself, so a hostile model could point at `../../etc/shadow`,
at `/dev/zero`, or through a symlink or hard link at a file outside the folder the user chose.
Every location is therefore checked with lstat() only (no open) before any data file is read:
relative, no `..`, every component inside the model's folder and not a link, a regular file with
a single hard link, offset and length plain non-negative integers inside the file. Reading then
walks the path with O_NOFOLLOW and re-checks that the opened file is the one that was checked.

We never hand these entries to `onnx.external_data_helper`: it does setattr() for every key in
the file, so a `__class__` or `basepath` key would reach into the loader itself.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass

from studio.core.errors import ModelError
from studio.core.graph.dtypes import dtype_bits

KNOWN_KEYS = frozenset({"location", "offset", "length", "checksum"})
# Keys that steer onnx's own Python loader (it setattr()s every key) are refused outright.
REFUSED_KEYS = frozenset({"basepath"})
_DIGITS = re.compile(r"[0-9]{1,19}\Z")  # at most 19 digits: no int64 overflow downstream


@dataclass(frozen=True)
class ExternalRef:
    """A checked external-data location: read `length` bytes at `offset` of `path`."""
    tensor: str
    location: str          # as written in the model
    path: str              # absolute path inside the model's folder
    offset: int
    length: int
    checksum: str | None
    st_dev: int
    st_ino: int


def _fail(tensor: str, problem: str, model_file: str) -> ModelError:
    return ModelError(f"external data of tensor '{tensor}': {problem}", where=model_file)


def _parse_int(tensor: str, key: str, text: str, model_file: str) -> int:
    if not _DIGITS.match(text):
        raise _fail(tensor, f"{key} {text!r} is not a non-negative integer", model_file)
    return int(text)


def check_external_data(tensor: str, entries: list[tuple[str, str]], model_file: str | os.PathLike,
                        expected_nbytes: int | None, warnings: list[str]) -> ExternalRef:
    """Validate one tensor's external_data entries; return where to read it.

    `expected_nbytes` is what the tensor's shape and dtype need (None when unknown); a length
    that disagrees is refused so nothing larger than the declared tensor is ever read."""
    model_file = os.path.abspath(os.fspath(model_file))
    folder = os.path.dirname(model_file)
    values: dict[str, str] = {}
    for key, value in entries:
        if key in values:
            raise _fail(tensor, f"key {key!r} is given twice", model_file)
        if key.startswith("_") or key in REFUSED_KEYS:
            raise _fail(tensor, f"refusing key {key!r} (not an ONNX external-data key)", model_file)
        if key not in KNOWN_KEYS:
            warnings.append(f"{model_file}: external data of tensor '{tensor}': ignoring unknown key {key!r}")
            continue
        values[key] = value

    location = values.get("location", "")
    if not location:
        raise _fail(tensor, "no location given", model_file)
    if "\x00" in location:
        raise _fail(tensor, "location contains a NUL byte", model_file)
    # Windows separators and drive letters count too: the same file may be opened there.
    parts = location.replace("\\", "/").split("/")
    if location.startswith(("/", "\\")) or os.path.isabs(location) or re.match(r"[A-Za-z]:", location):
        raise _fail(tensor, f"location {location!r} is an absolute path; it must be relative to the "
                            "model's folder", model_file)
    if ".." in parts:
        raise _fail(tensor, f"location {location!r} leaves the model's folder ('..' is not allowed)",
                    model_file)
    parts = [p for p in parts if p not in ("", ".")]
    if not parts:
        raise _fail(tensor, f"location {location!r} names no file", model_file)

    # lstat each component: nothing is opened and no link is followed.
    current = folder
    st = None
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            raise _fail(tensor, f"data file {location!r} not found", model_file) from None
        except OSError as e:
            raise _fail(tensor, f"cannot stat {location!r}: {e.strerror}", model_file) from None
        if stat.S_ISLNK(st.st_mode):
            raise _fail(tensor, f"location {location!r} goes through a symbolic link ({part!r}); "
                                "links are refused because they can point outside the model's folder",
                        model_file)
        if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
            raise _fail(tensor, f"data file {location!r} not found", model_file)
    assert st is not None
    if not stat.S_ISREG(st.st_mode):
        raise _fail(tensor, f"location {location!r} is not a regular file", model_file)
    if st.st_nlink > 1:
        raise _fail(tensor, f"data file {location!r} has {st.st_nlink} hard links; refused because "
                            "another name for it may live outside the model's folder", model_file)
    real_folder = os.path.realpath(folder)
    real = os.path.realpath(current)
    if os.path.commonpath([real_folder, real]) != real_folder:
        raise _fail(tensor, f"location {location!r} leaves the model's folder", model_file)

    offset = _parse_int(tensor, "offset", values["offset"], model_file) if "offset" in values else 0
    size = st.st_size
    if offset > size:
        raise _fail(tensor, f"offset {offset} is past the end of {location!r} ({size} bytes)", model_file)
    if "length" in values:
        length = _parse_int(tensor, "length", values["length"], model_file)
    else:
        length = size - offset
    if offset + length > size:
        raise _fail(tensor, f"{location!r} is truncated: {length} bytes at offset {offset} needed, "
                            f"the file has {size}", model_file)
    if expected_nbytes is not None and length != expected_nbytes:
        raise _fail(tensor, f"holds {length} bytes but its shape and dtype need {expected_nbytes}",
                    model_file)
    return ExternalRef(tensor, location, current, offset, length, values.get("checksum"),
                       st.st_dev, st.st_ino)


def read_external(ref: ExternalRef, model_file: str) -> bytes:
    """Read the checked bytes: walk the path without following links, and make sure the opened
    file is the very inode that was checked (nothing swapped in between)."""
    folder = os.path.dirname(os.path.abspath(model_file))
    parts = [p for p in ref.location.replace("\\", "/").split("/") if p not in ("", ".")]
    flags_dir = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    flags_file = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fds: list[int] = []
    try:
        try:
            fds.append(os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)))
            for part in parts[:-1]:
                fds.append(os.open(part, flags_dir, dir_fd=fds[-1]))
            fd = os.open(parts[-1], flags_file, dir_fd=fds[-1])
        except OSError as e:
            raise _fail(ref.tensor, f"cannot open {ref.location!r}: {e.strerror}", model_file) from None
        fds.append(fd)
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (ref.st_dev, ref.st_ino) or not stat.S_ISREG(st.st_mode) \
                or st.st_nlink > 1:
            raise _fail(ref.tensor, f"{ref.location!r} changed after it was checked", model_file)
        if st.st_size < ref.offset + ref.length:
            raise _fail(ref.tensor, f"{ref.location!r} is truncated: {ref.length} bytes at offset "
                                    f"{ref.offset} needed, the file has {st.st_size}", model_file)
        chunks = []
        got = 0
        while got < ref.length:
            chunk = os.pread(fd, min(ref.length - got, 1 << 26), ref.offset + got)
            if not chunk:
                raise _fail(ref.tensor, f"{ref.location!r} is truncated (read {got} of {ref.length} bytes)",
                            model_file)
            chunks.append(chunk)
            got += len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        for f in reversed(fds):
            os.close(f)


def tensor_nbytes(data_type: int, dims: list[int] | tuple[int, ...]) -> int | None:
    """Bytes a dense tensor of this type and shape takes as raw_data (None for strings/unknown)."""
    bits = dtype_bits(data_type)
    if bits is None:
        return None
    n = 1
    for d in dims:
        n *= d
    return (n * bits + 7) // 8
