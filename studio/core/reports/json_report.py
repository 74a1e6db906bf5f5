"""The report as schema-versioned JSON, for CI and other tools: `save_report` writes it
atomically after checking it against report.schema.json; `load_report` reads it back into an
equal Report (load(save(x)) == x), refusing another schema or a newer version."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.io import write_text_atomic
from studio.core.reports import schema_check
from studio.core.reports.files import share_mode
from studio.core.reports.report_model import REPORT_SCHEMA, REPORT_SCHEMA_VERSION, Report

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


@lru_cache(maxsize=1)
def report_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(data: dict, where: str | None = None) -> None:
    errs = schema_check.errors(data, report_schema())
    if errs:
        more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
        raise StudioError(f"report does not match its schema: {errs[0]}{more}", where=where)


def dumps(report: Report) -> str:
    data = report.to_dict()
    validate(data)
    try:
        # allow_nan=False: NaN/Infinity are not JSON, and a reader in another language chokes.
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    except ValueError as e:
        raise StudioError(f"report holds a value JSON cannot carry ({e})") from None


def loads(text: str, where: str | None = None) -> Report:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise StudioError(f"not a report: invalid JSON at line {e.lineno} ({e.msg})", where=where) from None
    return report_from_dict(data, where)


def report_from_dict(data, where: str | None = None) -> Report:
    """A parsed report document -> Report, after the schema tag, version and schema check."""
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise StudioError(f"not a report: schema is not {REPORT_SCHEMA!r}", where=where)
    version = data.get("schema_version")
    if not isinstance(version, int) or version > REPORT_SCHEMA_VERSION:
        raise StudioError(f"report schema version {version!r} is newer than this studio reads "
                          f"({REPORT_SCHEMA_VERSION})", where=where)
    if version == 1:
        data = _from_version_1(data)
    validate(data, where)
    return Report.from_dict(data)


def _from_version_1(data: dict) -> dict:
    """Version 1 priced a "GPU-hour" whatever the device was; version 2 prices a device-hour and
    names the device, and may hold a sweep with its serving plan."""
    data = dict(data, schema_version=2)
    if "price_per_gpu_hour" in data:
        data["price_per_device_hour"] = data.pop("price_per_gpu_hour")
    speedup = data.get("speedup")
    if isinstance(speedup, dict):
        speedup = dict(speedup)
        if "price_per_gpu_hour" in speedup:
            speedup["price_per_device_hour"] = speedup.pop("price_per_gpu_hour")
        speedup.setdefault("priced_device", "")
        data["speedup"] = speedup
    data.setdefault("sweep", None)
    return data


def save_report(report: Report, path) -> None:
    write_text_atomic(path, dumps(report))
    share_mode(path)


def load_report(path) -> Report:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudioError("no such file", where=str(p)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise StudioError(f"cannot read report ({e})", where=str(p)) from None
    return loads(text, where=str(p))
