import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from studio.core.data.arrays import load_arrays, read_headers
from studio.core.errors import DataError


def npy_bytes_with_header(shape, dtype="<f4", payload=b""):
    """A .npy whose header declares `shape` while the payload is whatever is given."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def test_npz_by_name_and_nonfinite_counted(tmp_path):
    p = tmp_path / "c.npz"
    np.savez(p, input_ids=np.ones((4, 8), np.int64), scores=np.array([1.0, np.nan, np.inf], np.float32))
    data = load_arrays(p)
    assert data.arrays["input_ids"].shape == (4, 8)
    assert data.nonfinite == {"scores": 2}
    with pytest.raises(DataError, match="tensor 'scores' holds 2 NaN/Inf"):
        data.check_finite()


def test_npy_named_after_file(tmp_path):
    p = tmp_path / "attention_mask.npy"
    np.save(p, np.ones((2, 3), np.int64))
    assert list(load_arrays(p).arrays) == ["attention_mask"]
    assert read_headers(p)[0].shape == (2, 3)


def test_object_arrays_refused(tmp_path):
    p = tmp_path / "o.npz"
    np.savez(p, input_ids=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(DataError, match="array 'input_ids' holds Python objects"):
        load_arrays(p)
    q = tmp_path / "o.npy"
    np.save(q, np.array(["x", 1], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="no pickle"):
        load_arrays(q)


def test_absurd_declared_shape_refused_before_allocation(tmp_path):
    p = tmp_path / "huge.npy"
    p.write_bytes(npy_bytes_with_header((1 << 30, 1 << 30), payload=b"\0" * 64))
    tracemalloc.start()
    with pytest.raises(DataError, match=r"declares shape \(1073741824, 1073741824\).*over the 4 GiB limit"):
        load_arrays(p)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000


def test_shape_larger_than_file_refused(tmp_path):
    p = tmp_path / "lies.npy"
    p.write_bytes(npy_bytes_with_header((1000, 1000), payload=b"\0" * 128))  # claims 4 MB, holds 128 B
    with pytest.raises(DataError, match="only 128 bytes follow"):
        load_arrays(p)


def test_npz_member_lying_about_shape(tmp_path):
    p = tmp_path / "lies.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("input_ids.npy", npy_bytes_with_header((1 << 20, 1 << 12), "<i8", b"\0" * 64))
    tracemalloc.start()
    with pytest.raises(DataError, match="array 'input_ids' declares shape"):
        load_arrays(p)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000


def test_not_a_zip_and_bad_header(tmp_path):
    p = tmp_path / "x.npz"
    p.write_bytes(b"hello")
    with pytest.raises(DataError, match="not an .npz file"):
        load_arrays(p)
    q = tmp_path / "x.npy"
    q.write_bytes(b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(DataError, match="bad .npy header"):
        load_arrays(q)
    with pytest.raises(DataError, match="unsupported array file"):
        load_arrays(tmp_path / "x.pkl")
