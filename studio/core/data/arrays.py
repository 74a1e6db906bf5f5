""".npz / .npy tensors keyed by model input name. Never unpickles (allow_pickle=False, object
arrays refused) and reads each array's declared shape from its header first, so a file that
claims 2^60 elements is refused before a byte is allocated."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.core.errors import DataError

# Calibration/validation tensors beyond this are a mistake or an attack, not data.
MAX_ARRAY_BYTES = 4 << 30


@dataclass(frozen=True)
class ArrayHeader:
    name: str
    shape: tuple[int, ...]
    dtype: str
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n * np.dtype(self.dtype).itemsize


@dataclass
class ArrayData:
    path: str
    arrays: dict[str, np.ndarray]
    nonfinite: dict[str, int] = field(default_factory=dict)   # name -> count of NaN/Inf values

    def check_finite(self) -> None:
        bad = {k: v for k, v in self.nonfinite.items() if v}
        if bad:
            name, count = next(iter(bad.items()))
            raise DataError(f"tensor {name!r} holds {count} NaN/Inf value(s)", where=self.path)


def _read_header(fh, name: str, where: str, available: int | None) -> ArrayHeader:
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unknown .npy version {version}")
    except ValueError as e:
        msg = str(e)
        if "allow_pickle" in msg or "object" in msg.lower():
            raise DataError(f"array {name!r} holds Python objects; only numeric arrays are read (no pickle)",
                            where=where) from None
        raise DataError(f"array {name!r} has a bad .npy header ({msg})", where=where) from None
    if dtype.hasobject:
        raise DataError(f"array {name!r} holds Python objects (dtype {dtype}); only numeric arrays are read (no pickle)",
                        where=where)
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise DataError(f"array {name!r} declares an invalid shape {shape}", where=where)
    header = ArrayHeader(name, tuple(int(d) for d in shape), dtype.str, bool(fortran))
    if header.nbytes > MAX_ARRAY_BYTES:
        raise DataError(f"array {name!r} declares shape {header.shape} ({header.nbytes:,} bytes), over the "
                        f"{MAX_ARRAY_BYTES >> 30} GiB limit for data files", where=where)
    if available is not None and header.nbytes > available:
        raise DataError(f"array {name!r} declares shape {header.shape} ({header.nbytes:,} bytes) but only "
                        f"{available:,} bytes follow; the file is truncated or lies", where=where)
    return header


def _load_npy(fh, name: str, where: str, available_total: int | None) -> np.ndarray:
    start = fh.tell()
    header = _read_header(fh, name, where, None)
    if available_total is not None:
        available = available_total - (fh.tell() - start)
        if header.nbytes > available:
            raise DataError(f"array {name!r} declares shape {header.shape} ({header.nbytes:,} bytes) but only "
                            f"{max(available, 0):,} bytes follow; the file is truncated or lies", where=where)
    fh.seek(start)
    try:
        return np.load(fh, allow_pickle=False)
    except ValueError as e:
        raise DataError(f"array {name!r} cannot be read ({e})", where=where) from None


def read_headers(path: str | Path) -> list[ArrayHeader]:
    """Names, shapes and dtypes without reading any data."""
    path = Path(path)
    where = str(path)
    if path.suffix.lower() == ".npy":
        with _open(path) as fh:
            return [_read_header(fh, path.stem, where, None)]
    with _zip(path) as zf:
        out = []
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with zf.open(info) as fh:
                out.append(_read_header(fh, info.filename[:-4], where, None))
        return out


def _open(path: Path):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DataError("file not found", where=str(path)) from None
    except (IsADirectoryError, PermissionError) as e:
        raise DataError(f"cannot open ({e.strerror})", where=str(path)) from None


def _zip(path: Path) -> zipfile.ZipFile:
    fh = _open(path)
    try:
        return zipfile.ZipFile(fh)
    except zipfile.BadZipFile:
        fh.close()
        raise DataError("not an .npz file (not a zip archive)", where=str(path)) from None


def load_arrays(path: str | Path) -> ArrayData:
    """All arrays of a .npy (named after the file stem) or .npz (named by key)."""
    path = Path(path)
    where = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz"):
        raise DataError(f"unsupported array file {suffix or '(no extension)'!r}; use .npz or .npy", where=where)
    arrays: dict[str, np.ndarray] = {}
    if suffix == ".npy":
        size = path.stat().st_size if path.exists() else None
        with _open(path) as fh:
            arrays[path.stem] = _load_npy(fh, path.stem, where, size)
    else:
        with _zip(path) as zf:
            members = [i for i in zf.infolist() if i.filename.endswith(".npy")]
            if not members:
                raise DataError("the .npz holds no arrays", where=where)
            for info in members:
                name = info.filename[:-4]
                with zf.open(info) as fh:
                    # The zip's declared size bounds what np.load may read: check before it allocates.
                    try:
                        arrays[name] = _load_npy(fh, name, where, info.file_size)
                    except zipfile.BadZipFile as e:
                        raise DataError(f"array {name!r} is corrupt ({e})", where=where) from None
    nonfinite = {}
    for name, a in arrays.items():
        if a.dtype.kind in "fc":
            nonfinite[name] = int(a.size - np.count_nonzero(np.isfinite(a)))
        elif a.dtype.kind not in "biu":
            raise DataError(f"array {name!r} has dtype {a.dtype}; numeric arrays only", where=where)
    return ArrayData(where, arrays, nonfinite)

