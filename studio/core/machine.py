"""This machine's CPU as Linux describes it in /proc/cpuinfo: its model name (for reports and
targets) and its feature flags (for recipes that depend on them). One reader; elsewhere the
platform module's answer stands in."""

from __future__ import annotations

import platform

CPUINFO = "/proc/cpuinfo"


def _first(field: str, cpuinfo: str) -> str | None:
    """The value of the first `field` line of `cpuinfo`, or None where it cannot be read."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip().lower() == field:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_model(cpuinfo: str = CPUINFO) -> str:
    return _first("model name", cpuinfo) or platform.processor() or platform.machine()


def cpu_flags(cpuinfo: str = CPUINFO) -> set[str] | None:
    """The CPU's feature flags (e.g. avx2, avx512_vnni); None where `cpuinfo` does not say."""
    flags = _first("flags", cpuinfo)
    return None if flags is None else set(flags.split())
