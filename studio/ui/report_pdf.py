"""The report as PDF, made natively by Qt: the same HTML the browser gets (studio.core.reports.
html), laid out by QTextDocument and printed through QPdfWriter. QTextDocument does not draw
inline SVG, so each plot is rendered by QSvgRenderer into an image resource that the HTML
references by name. The core never imports this module; the CLI imports it only for .pdf."""

from __future__ import annotations

import os

from studio.core.errors import StudioError
from studio.core.io import atomic_path
from studio.core.reports.files import share_mode
from studio.core.reports.html import render_html
from studio.core.reports.report_model import Report
from studio.core.reports.text import display_text

# QTextDocument reads a CSS 2 subset: no variables, flexbox or media queries.
QT_CSS = """
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#111827;font-size:9pt}
h1{font-size:17pt;margin:0 0 4px 0}
h2{font-size:13pt;margin:16px 0 6px 0;color:#111827}
h3{font-size:10.5pt;margin:10px 0 4px 0}
.meta,.note,.muted{color:#4b5563;font-size:8pt}
.cards{margin:6px 0}
.card{border:1px solid #e5e7eb;padding:6px;margin:0 0 6px 0;background-color:#f9fafb}
.big{font-size:15pt;font-weight:bold}
.label{color:#4b5563;font-size:8pt}
table{border-collapse:collapse;margin:2px 0 8px 0}
th{color:#4b5563;font-weight:bold;text-align:left;padding:2px 8px 2px 0}
td{padding:2px 8px 2px 0;vertical-align:top}
td.num,th.num{text-align:right}
.flag{color:#b91c1c;font-weight:bold}
.ok{color:#15803d}
.mono{font-family:'DejaVu Sans Mono',monospace;font-size:7.5pt}
dt{font-weight:bold;margin-top:4px}
dd{margin-left:12px;color:#4b5563}
""".strip()

PLOT_WIDTH_PT = 480          # plot width on the page, in document units
PLOT_SCALE = 2               # raster scale of the SVG: ~190 dpi at the printed width

_app = None


def _ensure_app():
    """QTextDocument needs a QGuiApplication for fonts; the CLI has none, and no display. A
    QApplication (widgets) it is: the process may open a window later, and Qt allows one
    application object per process, which a plain QGuiApplication would then make abort."""
    global _app
    # lazy: 91 ms off this module's import
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _app = app = QApplication(["engine-studio-report"])
    return app


def _svg_image(svg: str):
    # lazy: 72 ms off this module's import
    from PySide6.QtCore import QByteArray, QSize
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise StudioError("internal: a report plot is not valid SVG")
    size: QSize = renderer.defaultSize()
    w, h = max(1, size.width()) * PLOT_SCALE, max(1, size.height()) * PLOT_SCALE
    img = QImage(w, h, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    renderer.render(p)
    p.end()
    return img, size


def build_document(report: Report):
    """A QTextDocument holding the whole report, plots as image resources."""
    # lazy: 90 ms off this module's import
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFont, QTextDocument

    _ensure_app()
    doc = QTextDocument()
    doc.setDefaultFont(QFont("DejaVu Sans", 9))
    images = []

    def ref(svg: str, n: int) -> str:
        name = f"report-plot-{n}.png"
        images.append((name, _svg_image(svg)))
        return name

    html = render_html(report, plot_ref=ref, css=QT_CSS)
    for name, (img, size) in images:
        # The image is drawn at the size the <img> asks for; scale the <img> to fit the page.
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), img)
    # Size the images relative to their SVG size, preserving aspect ratio.
    for name, (img, size) in images:
        hgt = int(PLOT_WIDTH_PT * size.height() / max(1, size.width()))
        html = html.replace(f'<img src="{name}"', f'<img src="{name}" height="{hgt}"', 1)
    html = html.replace('width="640"></div>', f'width="{PLOT_WIDTH_PT}"></div>')
    doc.setHtml(html)
    return doc


def write_pdf(report: Report, path) -> None:
    """Write the report as PDF, atomically (a failed print leaves no half-written file)."""
    # lazy: 57 ms off this module's import
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

    doc = build_document(report)
    with atomic_path(path) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(QMarginsF(14, 14, 14, 14), QPageLayout.Unit.Millimeter)
        writer.setResolution(300)
        writer.setTitle(display_text(report.title, 200))   # PDF metadata: visible, bounded
        writer.setCreator(f"Engine Studio {report.studio_version}")
        doc.print_(writer)
        del writer   # flushes and closes the file before the rename
        if os.path.getsize(tmp) == 0:
            raise StudioError("Qt wrote an empty PDF", where=str(path))
    share_mode(path)
