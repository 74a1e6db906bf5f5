"""Which TensorRT this machine has, and which GPU.

Full TensorRT (`tensorrt`, 10 or 11) is used when importable, else TensorRT-RTX (`tensorrt_rtx`).
The choice is a value (`TrtLibrary`) handed to whoever builds, never a process-wide switch, so
a test or a tool can hold both at once. GPU detection goes through the CUDA driver lazily: on a
machine without a driver it answers "no GPU" instead of failing at import time."""

from __future__ import annotations

import ctypes
import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from studio.core.errors import CapabilityError
from studio.core.serde import Record

MODULES = ("tensorrt", "tensorrt_rtx")

# TensorRT-RTX engines run on these (docs: "8.0, 8.6, 8.9, 12.0 and later"; 9.0 is refused).
RTX_RUNNABLE_MAJOR_MINOR = ((8, 0), (8, 6), (8, 9))
RTX_DEFAULT_TARGETS = ("8.0", "8.6", "8.9", "12.0", "12.1")


@dataclass(frozen=True)
class TrtLibrary:
    module: ModuleType = field(repr=False, compare=False)
    name: str            # "tensorrt" | "tensorrt_rtx"
    version: str

    @property
    def is_rtx(self) -> bool:
        return self.name == "tensorrt_rtx"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.version.split(".")[:3] if p.isdigit())

    def describe(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def cuda_version(self) -> str | None:
        """The CUDA major the wheel was built for, from its distribution name (tensorrt_rtx_cu13)."""
        prefix = f"{self.name}_cu"
        # the meta-package requires e.g. tensorrt_rtx_cu13==1.7.1.116
        reqs = _requires_beside_module(self.module, self.name, self.version)
        if reqs is None:
            from importlib import metadata  # ~30 ms of imports, in every build child: last resort
            try:
                reqs = metadata.requires(self.name) or []
            except metadata.PackageNotFoundError:
                return None
        for req in reqs:
            head = req.replace("-", "_").lower().split("=")[0].split(";")[0].strip().rstrip("<>!~ ")
            if head.startswith(prefix) and head[len(prefix):].isdigit():
                return head[len(prefix):]
        return None

    def runs_on(self, cc: tuple[int, int]) -> bool:
        if self.is_rtx:
            return cc in RTX_RUNNABLE_MAJOR_MINOR or cc[0] >= 12
        return cc >= (7, 5)

    def run_requirement(self) -> str:
        if self.is_rtx:
            return "TensorRT-RTX engines need compute capability 8.0, 8.6, 8.9 or 12.x"
        return "TensorRT engines need compute capability 7.5 or later"


def _requires_beside_module(module: ModuleType, name: str, version: str) -> list[str] | None:
    """Requires-Dist lines of `name`'s wheel, read from the .dist-info next to the installed
    package (where pip puts it); None when it is not there, and importlib.metadata must look."""
    try:
        site = Path(module.__file__).resolve().parent.parent
        text = (site / f"{name}-{version}.dist-info" / "METADATA").read_text(encoding="utf-8", errors="replace")
    except (OSError, TypeError, AttributeError):
        return None
    head = text.split("\n\n", 1)[0]  # the headers; the long description follows the blank line
    return [ln.split(":", 1)[1].strip() for ln in head.splitlines() if ln.startswith("Requires-Dist:")]


def _import(name: str) -> tuple[TrtLibrary | None, str | None]:
    """The library, or None and why: no reason when it is simply not installed, else what
    went wrong loading an installed one (a broken install, or its 200 MB of native code not
    fitting in the memory left: the loader then says "cannot open shared object file")."""
    try:
        mod = importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name == name:
            return None, None
        return None, f"{name} is installed but could not be loaded ({e})"
    except Exception as e:
        return None, f"{name} is installed but could not be loaded ({type(e).__name__}: {e})"
    return TrtLibrary(mod, name, str(getattr(mod, "__version__", "unknown"))), None


@lru_cache(maxsize=None)
def load_library(prefer: str | None = None) -> TrtLibrary:
    """Full TensorRT if importable, else TensorRT-RTX; `prefer` forces one of them."""
    names = (prefer,) if prefer else MODULES
    problems = []
    for name in names:
        if name not in MODULES:
            raise CapabilityError(f"unknown TensorRT library {name!r}; choose one of {', '.join(MODULES)}")
        lib, why = _import(name)
        if lib is not None:
            return lib
        if why:
            problems.append(why)
    if problems:
        raise CapabilityError("; ".join(problems))
    raise CapabilityError("neither tensorrt nor tensorrt_rtx is importable; `pip install tensorrt-rtx`")


def library_or_reason(prefer: str | None = None) -> tuple[TrtLibrary | None, str | None]:
    try:
        return load_library(prefer), None
    except CapabilityError as e:
        return None, e.message


@dataclass(frozen=True)
class GpuInfo(Record):
    present: bool
    name: str = ""
    compute_capability: tuple[int, int] | None = None
    driver_version: str | None = None
    reason: str = ""      # why there is no GPU, when there is none

    @property
    def cc_text(self) -> str | None:
        return None if self.compute_capability is None else "%d.%d" % self.compute_capability

    def to_dict(self) -> dict:
        return {**super().to_dict(), "compute_capability": self.cc_text}   # "8.9", as nvidia-smi says it


def _gpu_via_cuda_python() -> GpuInfo | None:
    # cuda-python is an optional dependency: absent, the GPU is found another way
    try:  # cuda-python >= 12.x spells it cuda.bindings; older releases `from cuda import cuda`
        try:
            from cuda.bindings import driver as cu  # type: ignore
        except ImportError:
            from cuda import cuda as cu  # type: ignore
    except Exception:
        return None
    err, = cu.cuInit(0)[:1]
    if int(err) != 0:
        return GpuInfo(False, reason=f"no CUDA driver (cuInit error {int(err)})")
    err, count = cu.cuDeviceGetCount()
    if int(err) != 0 or count == 0:
        return GpuInfo(False, reason="no NVIDIA GPU")
    err, dev = cu.cuDeviceGet(0)
    attr = cu.CUdevice_attribute
    _, major = cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)
    _, minor = cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)
    _, raw = cu.cuDeviceGetName(64, dev)
    _, drv = cu.cuDriverGetVersion()
    name = raw.split(b"\0", 1)[0].decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return GpuInfo(True, name, (int(major), int(minor)), f"{drv // 1000}.{drv % 1000 // 10}")


def _gpu_via_driver_library() -> GpuInfo:
    """The CUDA driver API through ctypes: needs no Python package, only libcuda."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        try:
            cuda = ctypes.CDLL("nvcuda.dll")  # Windows
        except OSError:
            return GpuInfo(False, reason="no NVIDIA GPU (no CUDA driver library)")
    if cuda.cuInit(0) != 0:
        return GpuInfo(False, reason="no NVIDIA GPU (the CUDA driver found no device)")
    count = ctypes.c_int(0)
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return GpuInfo(False, reason="no NVIDIA GPU")
    dev = ctypes.c_int(0)
    cuda.cuDeviceGet(ctypes.byref(dev), 0)
    major, minor, drv = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
    cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, dev)  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, dev)  # ..._MINOR
    name = ctypes.create_string_buffer(128)
    cuda.cuDeviceGetName(name, 128, dev)
    cuda.cuDriverGetVersion(ctypes.byref(drv))
    return GpuInfo(True, name.value.decode(errors="replace"), (major.value, minor.value),
                   f"{drv.value // 1000}.{drv.value % 1000 // 10}")


@lru_cache(maxsize=1)
def detect_gpu() -> GpuInfo:
    """The first CUDA device, or why there is none. Never raises."""
    try:
        info = _gpu_via_cuda_python()
        return info if info is not None else _gpu_via_driver_library()
    except Exception as e:
        return GpuInfo(False, reason=f"no usable NVIDIA GPU ({type(e).__name__}: {e})")
