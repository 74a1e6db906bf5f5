"""Write a Report in the format its file name asks for. Shared by `engine-studio report` and the
window's Export Report. PDF needs Qt, which the core must not import: the caller passes the
PDF writer (studio.ui.report_pdf.write_pdf) when it wants one."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from studio.core.errors import StudioError
from studio.core.reports.report_model import Report

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "json"}


def report_format(path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise StudioError("unknown report format; use .html, .pdf or .json", where=str(path))
    return fmt


def write_report(report: Report, path, *, pdf_writer: Callable[[Report, str], None] | None = None) -> str:
    """Atomically write `report` to `path` (.html, .json or .pdf); returns the format."""
    fmt = report_format(path)
    if fmt == "html":
        # lazy: 6 ms off this module's import
        from studio.core.reports.html import write_html
        write_html(report, path)
    elif fmt == "json":
        from studio.core.reports.json_report import save_report
        save_report(report, path)
    else:
        if pdf_writer is None:
            raise StudioError("PDF reports are written by the Qt layer (studio.ui.report_pdf)", where=str(path))
        pdf_writer(report, str(path))
    return fmt
