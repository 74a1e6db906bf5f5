"""The machine a report describes: CPU, cores, GPU and driver (when nvidia-smi answers), and the
versions of the libraries that made the numbers. Read without importing the libraries (a
TensorRT import costs seconds and may fail on a machine without a GPU)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

from studio import __version__
from studio.core.backends.registry import installed_backends
from studio.core.machine import cpu_model
from studio.core.reports.report_model import Environment

# Report label -> distribution names to try, first found wins. Each backend adds its own
# libraries (Backend.libraries).
LIBRARIES: dict[str, tuple[str, ...]] = {
    "numpy": ("numpy",),
    "onnx": ("onnx",),
}


def _dist_version(names: tuple[str, ...]) -> str | None:
    for n in names:
        try:
            return metadata.version(n)
        except metadata.PackageNotFoundError:
            continue
    return None


def library_versions() -> dict[str, str | None]:
    libraries = dict(LIBRARIES)
    for backend in installed_backends():
        libraries.update(backend.libraries)
    out = {label: _dist_version(names) for label, names in sorted(libraries.items())}
    out["engine-studio"] = __version__
    return out


NVIDIA_SMI_QUERY = ["--query-gpu=name,driver_version", "--format=csv,noheader"]


def parse_nvidia_smi(out: str) -> tuple[str | None, str | None]:
    """(GPU names, driver version) from `nvidia-smi --query-gpu=name,driver_version
    --format=csv,noheader` output: one "name, driver" line per GPU."""
    rows = [[c.strip() for c in line.split(",")] for line in out.splitlines() if line.strip()]
    rows = [r for r in rows if r and r[0]]
    if not rows:
        return None, None
    names = [r[0] for r in rows]
    if len(names) == 1:
        gpu = names[0]
    elif len(set(names)) == 1:
        gpu = f"{len(names)} x {names[0]}"      # several identical cards
    else:
        gpu = ", ".join(names)
    driver = rows[0][1] if len(rows[0]) > 1 and rows[0][1] else None
    return gpu, driver


def gpu_info(timeout: float = 5.0) -> tuple[str | None, str | None]:
    """(GPU names, driver version) from nvidia-smi, or (None, None) without one."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return None, None
    try:
        out = subprocess.run([exe, *NVIDIA_SMI_QUERY], capture_output=True, text=True, timeout=timeout,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return parse_nvidia_smi(out)


def collect_environment() -> Environment:
    gpu, driver = gpu_info()
    return Environment(
        source="the machine that made this report",
        cpu=cpu_model(),
        cores=os.cpu_count(),
        gpu=gpu,
        gpu_driver=driver,
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        libraries=library_versions(),
    )
