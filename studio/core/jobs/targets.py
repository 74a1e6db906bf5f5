"""What a machine is, as a place to build and run engines: its GPU (name, compute capability,
driver, or none), the inference libraries installed, its CPU, and which backends can build and
run there. A cluster node answers with the same facts about itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import metadata

from studio.core.backends.registry import installed_backends
from studio.core.machine import cpu_model
from studio.core.serde import Record

@dataclass
class Target(Record):
    name: str
    gpu: dict | None                                  # {"name", "compute_capability", "driver"}; None: no GPU
    libraries: dict[str, str] = field(default_factory=dict)   # distribution -> version
    cpu: dict = field(default_factory=dict)           # {"model", "cores"}
    backends: list[dict] = field(default_factory=list)  # [{"name", "build", "run", "why_not"}]
    node: str = ""                                    # the cluster's id for the machine, if any

    def can(self, backend: str, what: str) -> bool:
        return any(b["name"] == backend and b[what] for b in self.backends)


def _gpu() -> dict | None:
    """The first GPU nvidia-smi reports, or None (no driver, no GPU)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not out:
        return None
    name, cc, driver = (p.strip() for p in (out.splitlines()[0].split(",") + ["", ""])[:3])
    return {"name": name, "compute_capability": cc, "driver": driver}


def _cpu() -> dict:
    return {"model": cpu_model(), "cores": os.cpu_count() or 1}


def _libraries(backends) -> dict[str, str]:
    """Library -> version, for the libraries the installed backends say they build and run with."""
    out = {}
    for backend in backends:
        for library, dists in backend.libraries.items():
            for dist in dists:
                try:
                    out[library] = metadata.version(dist)
                    break
                except metadata.PackageNotFoundError:
                    continue
    return out


def this_machine(name: str, node: str = "") -> Target:
    """The facts of the machine this runs on, named `name`."""
    gpu = _gpu()
    installed = installed_backends()
    backends = []
    for backend in installed:
        caps = backend.capabilities()
        builds = gpu is not None or not caps.build_needs_gpu
        why = caps.can_run_here or (None if builds else "building needs an NVIDIA GPU")
        backends.append({"name": backend.name, "build": builds, "run": not caps.can_run_here, "why_not": why})
    return Target(name=name, gpu=gpu, libraries=_libraries(installed), cpu=_cpu(), backends=backends, node=node)
