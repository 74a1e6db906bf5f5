"""Tiny SVG plots for reports, in pure Python: a histogram, line curves and horizontal bars.

No plotting library: a report must open anywhere and carry its plots inline, and the plots are
simple. Every label goes through `esc` (names come from models). Presentation uses SVG
attributes, never `style=`, so the report's Content-Security-Policy can forbid inline style
attributes."""

from __future__ import annotations

import math

from studio.core.reports.text import esc

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
_LABEL_CHARS = 40


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About n round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 12))
    return ticks


class _Canvas:
    def __init__(self, width: int, height: int, title: str, left=58, right=16, top=34, bottom=46):
        self.w, self.h = width, height
        self.l, self.r, self.t, self.b = left, right, top, bottom
        self.parts: list[str] = []
        self.title = title

    @property
    def pw(self):
        return self.w - self.l - self.r

    @property
    def ph(self):
        return self.h - self.t - self.b

    def add(self, s: str) -> None:
        self.parts.append(s)

    def text(self, x, y, s, size=11, anchor="start", fill="#111827", weight="normal", rotate=None):
        tr = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
                 f'fill="{fill}" font-weight="{weight}"{tr}>{esc(s, _LABEL_CHARS, note=False)}</text>')

    def axes(self, xticks, xmap, yticks, ymap, x_label, y_label, xfmt=_fmt, yfmt=_fmt):
        for v in yticks:
            y = ymap(v)
            self.add(f'<line x1="{self.l}" y1="{y:.1f}" x2="{self.l + self.pw}" y2="{y:.1f}" '
                     f'stroke="#e5e7eb" stroke-width="1"/>')
            self.text(self.l - 6, y + 4, yfmt(v), size=10, anchor="end", fill="#4b5563")
        for v in xticks:
            x = xmap(v)
            self.add(f'<line x1="{x:.1f}" y1="{self.t + self.ph}" x2="{x:.1f}" y2="{self.t + self.ph + 4}" '
                     f'stroke="#6b7280" stroke-width="1"/>')
            self.text(x, self.t + self.ph + 16, xfmt(v), size=10, anchor="middle", fill="#4b5563")
        self.add(f'<line x1="{self.l}" y1="{self.t + self.ph}" x2="{self.l + self.pw}" '
                 f'y2="{self.t + self.ph}" stroke="#6b7280" stroke-width="1"/>')
        self.add(f'<line x1="{self.l}" y1="{self.t}" x2="{self.l}" y2="{self.t + self.ph}" '
                 f'stroke="#6b7280" stroke-width="1"/>')
        if x_label:
            self.text(self.l + self.pw / 2, self.h - 8, x_label, size=11, anchor="middle", fill="#374151")
        if y_label:
            self.text(14, self.t + self.ph / 2, y_label, size=11, anchor="middle", fill="#374151", rotate=-90)

    def svg(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.w} {self.h}" '
                f'width="{self.w}" height="{self.h}" role="img" font-family="{FONT}" '
                f'preserveAspectRatio="xMidYMid meet">'
                f'<title>{esc(self.title, 200)}</title>'
                f'<rect x="0" y="0" width="{self.w}" height="{self.h}" fill="#ffffff"/>')
        title = (f'<text x="{self.l}" y="20" font-size="13" font-weight="600" fill="#111827">'
                 f'{esc(self.title, int((self.w - self.l) / 7.5), note=False)}</text>')
        return head + title + "".join(self.parts) + "</svg>"


def _empty(c: _Canvas, message: str) -> str:
    c.text(c.w / 2, c.h / 2, message, size=12, anchor="middle", fill="#6b7280")
    return c.svg()


def histogram_svg(edges: list[float], counts: list[int], *, title: str, x_label: str = "",
                  y_label: str = "requests", width: int = 640, height: int = 260,
                  markers: dict[str, float] | None = None) -> str:
    """Bars between consecutive `edges`; `markers` draws labelled vertical lines (P50, P99)."""
    c = _Canvas(width, height, title)
    if not counts or len(edges) != len(counts) + 1:
        return _empty(c, "no latency samples")
    lo, hi = edges[0], edges[-1]
    if hi <= lo:
        hi = lo + 1e-9
    ymax = max(counts) or 1
    xticks = [t for t in nice_ticks(lo, hi, 6) if lo <= t <= hi]
    yticks = nice_ticks(0, ymax, 4)
    ytop = yticks[-1] or 1

    def xmap(v):
        return c.l + (v - lo) / (hi - lo) * c.pw

    def ymap(v):
        return c.t + c.ph - v / ytop * c.ph

    c.axes(xticks, xmap, yticks, ymap, x_label, y_label)
    for i, n in enumerate(counts):
        if n <= 0:
            continue
        x0, x1 = xmap(edges[i]), xmap(edges[i + 1])
        y = ymap(n)
        c.add(f'<rect x="{x0 + 0.5:.1f}" y="{y:.1f}" width="{max(0.5, x1 - x0 - 1):.1f}" '
              f'height="{c.t + c.ph - y:.1f}" fill="{PALETTE[0]}" fill-opacity="0.85"/>')
    for k, (name, v) in enumerate((markers or {}).items()):
        if v is None or not (lo <= v <= hi):
            continue
        x = xmap(v)
        color = PALETTE[1 + k % (len(PALETTE) - 1)]
        c.add(f'<line x1="{x:.1f}" y1="{c.t}" x2="{x:.1f}" y2="{c.t + c.ph}" stroke="{color}" '
              f'stroke-width="1.5" stroke-dasharray="4 3"/>')
        c.text(x + 3, c.t + 12 + 12 * k, f"{name} {_fmt(v)}", size=10, fill=color)
    return c.svg()


def line_svg(series: list[tuple[str, list[tuple[float, float]]]], *, title: str, x_label: str = "",
             y_label: str = "", width: int = 640, height: int = 280) -> str:
    """One polyline with point markers per (label, [(x, y), ...]) and a legend."""
    c = _Canvas(width, height, title, bottom=46 + 16 * ((len(series) + 1) // 2))
    pts = [(x, y) for _, p in series for x, y in p if x is not None and y is not None
           and math.isfinite(x) and math.isfinite(y)]
    if not pts:
        return _empty(c, "no points")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    xticks = nice_ticks(min(0.0, min(xs)), max(xs), 6)
    yticks = nice_ticks(min(0.0, min(ys)), max(ys), 4)
    x0, x1, y0, y1 = xticks[0], xticks[-1], yticks[0], yticks[-1]

    def xmap(v):
        return c.l + (v - x0) / ((x1 - x0) or 1) * c.pw

    def ymap(v):
        return c.t + c.ph - (v - y0) / ((y1 - y0) or 1) * c.ph

    c.axes(xticks, xmap, yticks, ymap, x_label, y_label)
    for i, (label, points) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        good = sorted((x, y) for x, y in points if x is not None and y is not None
                      and math.isfinite(x) and math.isfinite(y))
        if len(good) > 1:
            d = " ".join(f"{xmap(x):.1f},{ymap(y):.1f}" for x, y in good)
            c.add(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in good:
            c.add(f'<circle cx="{xmap(x):.1f}" cy="{ymap(y):.1f}" r="3" fill="{color}"/>')
        lx = c.l + (i % 2) * (c.pw / 2)
        ly = c.t + c.ph + 34 + 16 * (i // 2)
        c.add(f'<rect x="{lx:.1f}" y="{ly - 9:.1f}" width="10" height="10" fill="{color}"/>')
        c.text(lx + 14, ly, label, size=10, fill="#374151")
    return c.svg()


def bar_svg(items: list[tuple[str, float]], *, title: str, unit: str = "", width: int = 640,
            highlight: str | None = None) -> str:
    """Horizontal bars, one per (label, value); long labels are cut, values printed at the end."""
    row = 24
    height = 34 + 16 + row * max(1, len(items))
    c = _Canvas(width, height, title, left=200, right=70, top=34, bottom=16)
    vals = [v for _, v in items if v is not None and math.isfinite(v)]
    if not vals:
        return _empty(c, "no values")
    vmax = max(max(vals), 0) or 1.0
    for i, (label, v) in enumerate(items):
        y = c.t + i * row
        c.add(f'<text x="{c.l - 8}" y="{y + 16}" font-size="10" text-anchor="end" fill="#111827">'
              f'{esc(label, 28, note=False)}</text>')
        if v is None or not math.isfinite(v):
            c.text(c.l + 4, y + 16, "n/a", size=10, fill="#6b7280")
            continue
        w = max(0.0, v) / vmax * c.pw
        color = PALETTE[2] if highlight is not None and label == highlight else PALETTE[0]
        c.add(f'<rect x="{c.l}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" fill="{color}"/>')
        c.text(c.l + w + 4, y + 16, f"{_fmt(v)}{(' ' + unit) if unit else ''}", size=10, fill="#374151")
    return c.svg()
