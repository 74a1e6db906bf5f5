"""The HTML report: one self-contained file, a CSP that forbids scripts, every model string shown
as literal text. Headless Chromium renders it (not blank, no script ran, hostile names as text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import pytest

from studio.core.reports.html import CSS, css_hash, render_html, write_html
from studio.core.reports.inputs import assemble_report
from studio.core.reports.report_model import Report
from studio.core.reports.text import display_text, esc

_spec = spec_from_file_location("_ri_html", Path(__file__).with_name("report_inputs.py"))
ri = module_from_spec(_spec)
_spec.loader.exec_module(ri)
H = ri.HOSTILE


class Dom(HTMLParser):
    """Tags, attributes and text of an HTML document."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._in_title = False
        self.title = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)

    def handlers(self) -> list[str]:
        return [k for _, a in self.tags for k in a if k.lower().startswith("on")]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    real = ri.real_inputs(d, hostile=True)
    rep = assemble_report([str(p) for k, p in real.items() if k != "model"],
                          title="Report " + H["script"] + H["rlo"])
    out = d / "report.html"
    write_html(rep, out)
    return rep, out


def test_hostile_names_are_literal_text(hostile):
    rep, out = hostile
    html = out.read_text(encoding="utf-8")
    dom = Dom(html)
    assert dom.count("script") == 0 and dom.count("img") == 0 and dom.handlers() == []
    text = "".join(dom.text)
    assert H["script"] in text                      # shown, as text
    assert '"><img src=x onerror=alert(1)>' in text
    assert "\x00" not in html and "\u202e" not in html
    assert "[U+202E]" in text and "[U+0000]" in text  # the override and NUL made visible
    assert "truncated: 100,030 characters" in text  # the long output name, cut with a note
    assert len(html) < 250_000
    assert "<bdi>" in html


def test_self_contained_with_csp(hostile):
    _, out = hostile
    html = out.read_text(encoding="utf-8")
    head = html[: html.index("</head>")]
    assert head.index('http-equiv="Content-Security-Policy"') < head.index("<title>")
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', head).group(1)
    assert "default-src 'none'" in csp and "script-src" not in csp and "img-src data:" in csp
    assert f"style-src '{css_hash()}'" in csp
    dom = Dom(html)
    assert dom.count("style") == 1 and dom.count("link") == 0 and dom.count("iframe") == 0
    assert not any("style" in a for _, a in dom.tags)          # no style attributes (the hash forbids them)
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+", html))
    assert urls <= {"http://www.w3.org"}                       # only the SVG namespace, never fetched
    assert dom.count("svg") >= 3                                 # plots inline
    assert "@media print" in CSS and "max-width:600px" in CSS
    assert 'name="viewport"' in head


def test_all_sections_render(hostile):
    rep, out = hostile
    text = "".join(Dom(out.read_text(encoding="utf-8")).text)
    for heading in ("Speedup", "Model", "Builds", "Benchmarks", "Accuracy against FP32", "Environment",
                    "How the metrics are defined", "Sources"):
        assert heading in text
    assert "Latency histogram" in out.read_text() and "Latency vs throughput" in out.read_text()
    assert "MatMul+Add" in text and "GPU compute time" in text
    assert f"{rep.speedup.throughput_ratio:.3g}" in text


def test_report_without_results_renders():
    html = render_html(Report(title="empty"))
    text = "".join(Dom(html).text)
    assert "No build was given" in text and "No benchmark was given" in text
    assert "A speedup needs at least two benchmarks" in text


@pytest.mark.parametrize("value,shown", [
    ("a\x00b", "a[U+0000]b"), ("x\x1by", "x[U+001B]y"), ("d\x7f", "d[U+007F]"), ("r\u202el", "r[U+202E]l"), ("\u2066i\u2069", "[U+2066]i[U+2069]"),
    ("z\u200bw", "z[U+200B]w"), ("tab\tok", "tab\tok"), ("\ud800", "\ufffd"),
])
def test_display_text_makes_controls_visible(value, shown):
    assert display_text(value) == shown


def test_esc_escapes_quotes_and_cuts():
    assert esc('"\'<>&') == "&quot;&#x27;&lt;&gt;&amp;"
    s = esc("x" * 1000, 10)
    assert s.startswith("x" * 10) and "truncated: 1,000 characters" in s


# ----------------------------------------------------------------------------- in a real browser

@pytest.mark.slow
def test_chromium_renders_hostile_report_and_runs_no_script(hostile, tmp_path):
    ri.need_chromium()
    rep, out = hostile
    dom_text = ri.chromium(out, tmp_path, dump_dom=True)
    dom = Dom(dom_text)
    assert dom.count("main") == 1, dom_text[:500]
    assert dom.count("script") == 0 and dom.count("img") == 0 and dom.handlers() == []
    assert H["script"] in "".join(dom.text)
    assert dom.title.startswith("Report " + H["script"])
    shot = tmp_path / "report.png"
    ri.chromium(out, tmp_path, screenshot=shot, size="1000,2400")
    assert ri.png_variance(shot) > 100, "the page rendered blank"
    phone = tmp_path / "phone.png"
    ri.chromium(out, tmp_path, screenshot=phone, size="390,1600")
    assert ri.png_variance(phone) > 100


@pytest.mark.slow
def test_csp_blocks_a_script_that_got_in(tmp_path):
    """Even if escaping failed, the CSP stops it: a page whose only script changes the title
    keeps its title. Without the CSP the same page's script runs (the check can fail)."""
    ri.need_chromium()
    html = render_html(Report(title="Original title"))
    inject = ("<script>document.title='PWNED'</script>"
              "<img src=x onerror=\"document.title='PWNED-IMG'\">"
              "<svg onload=\"document.title='PWNED-SVG'\"></svg>")
    page = tmp_path / "injected.html"
    page.write_text(html.replace("<main>", "<main>" + inject), encoding="utf-8")
    assert Dom(ri.chromium(page, tmp_path, dump_dom=True)).title == "Original title"
    bare = tmp_path / "no-csp.html"
    bare.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                           html.replace("<main>", "<main><script>document.title='PWNED'</script>")),
                    encoding="utf-8")
    assert Dom(ri.chromium(bare, tmp_path, dump_dom=True)).title == "PWNED"


@pytest.mark.slow
def test_chromium_prints_the_report(hostile, tmp_path):
    """@media print: the browser's own print gives several non-blank pages."""
    ri.need_chromium()
    ri.need_pdftoppm()
    import subprocess
    _, out = hostile
    pdf = tmp_path / "printed.pdf"
    ri.chromium(out, tmp_path, print_pdf=pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "pp")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("pp*.png"))
    assert len(pages) >= 2
    assert all(ri.png_variance(p) > 20 for p in pages[:-1])
