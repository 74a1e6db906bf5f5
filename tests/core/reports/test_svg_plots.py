"""The SVG plots: well-formed XML, escaped labels, geometry that follows the data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from studio.core.reports.svg_plots import bar_svg, histogram_svg, line_svg, nice_ticks

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "a\u202eb", "n\x00l", "L" * 100_000]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)     # raises on anything that is not well-formed XML
    assert root.tag == NS + "svg"
    return root


def texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(NS + "text")]


def test_histogram_bars_follow_counts():
    edges = [0, 1, 2, 3, 4]
    counts = [10, 40, 0, 20]
    root = parse(histogram_svg(edges, counts, title="lat", x_label="ms", markers={"P99": 3.5}))
    rects = [r for r in root.iter(NS + "rect") if r.get("fill-opacity")]
    assert len(rects) == 3                       # the empty bin draws nothing
    heights = [float(r.get("height")) for r in rects]
    assert heights[1] == pytest.approx(2 * heights[2], rel=0.02)   # 40 vs 20
    assert any("P99" in t for t in texts(root))


def test_line_plot_orders_points_and_has_legend():
    root = parse(line_svg([("P50", [(300, 2.0), (100, 1.0), (200, 1.5)]), ("P99", [(100, 3), (300, 9)])],
                          title="curve", x_label="req/s", y_label="ms"))
    lines = list(root.iter(NS + "polyline"))
    assert len(lines) == 2
    xs = [float(p.split(",")[0]) for p in lines[0].get("points").split()]
    assert xs == sorted(xs)
    assert {"P50", "P99"} <= set(texts(root))


def test_bar_plot_longest_bar_is_largest_value():
    root = parse(bar_svg([("a", 1.0), ("b", 4.0), ("c", 2.0)], title="t", unit="req/s", highlight="b"))
    bars = [r for r in root.iter(NS + "rect") if r.get("height") == "16"]
    widths = [float(r.get("width")) for r in bars]
    assert widths.index(max(widths)) == 1 and widths[1] == pytest.approx(4 * widths[0], rel=0.02)
    assert bars[1].get("fill") != bars[0].get("fill")       # the best run stands out


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_labels_are_text(name):
    for svg in (bar_svg([(name, 1.0)], title=name),
                line_svg([(name, [(1, 1), (2, 2)])], title=name),
                histogram_svg([0, 1], [3], title=name, x_label=name, y_label=name)):
        root = parse(svg)
        assert not any(el.tag.endswith(("script", "img", "foreignObject")) for el in root.iter())
        assert not any(k.lower().startswith("on") for el in root.iter() for k in el.attrib)
        assert "\x00" not in svg and "\u202e" not in svg
        assert len(svg) < 20_000                 # a 100,000-character name is cut
        assert "style=" not in svg               # the CSP forbids style attributes


def test_empty_inputs_draw_a_message():
    assert "no latency samples" in histogram_svg([], [], title="t")
    assert "no points" in line_svg([("a", [])], title="t")
    assert "no values" in bar_svg([], title="t")
    parse(line_svg([("a", [(float("nan"), 1.0)])], title="t"))


def test_nice_ticks_cover_the_range():
    t = nice_ticks(0.13, 9.7, 5)
    assert t[0] <= 0.13 and t[-1] >= 9.7 and len(t) <= 12
    steps = {round(b - a, 9) for a, b in zip(t, t[1:])}
    assert len(steps) == 1
    assert nice_ticks(5, 5) and re.match(r"^\d", str(nice_ticks(0, 1e-7)[1]))
