"""The report as ONE self-contained HTML file: plots inline as SVG, no network access (no
external fonts, scripts or images), a Content-Security-Policy that forbids scripts, clean print
and a layout that reads on a phone.

Safety: every string that came from a model or a file goes through `esc` (studio.core.reports.
text), which escapes with quote=True, shows NUL/C0 controls and bidi overrides as visible
markers, and cuts absurd lengths with a note; names are also wrapped in <bdi> so right-to-left
text cannot reorder the cells around it. The only style is one <style> element whose hash is in
the CSP, so even an injected style attribute would not apply."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Callable

from studio.core.i18n import QT_TRANSLATE_NOOP, current_language, translate
from studio.core.io import write_text_atomic
from studio.core.reports import svg_plots
from studio.core.reports.files import share_mode
from studio.core.reports.report_model import AccuracyInfo, BenchInfo, BuildInfo, Report
from studio.core.reports.text import esc

# Flags the accuracy table raises: below these the change deserves a reader's attention.
TOP1_WARN = 0.99
ACC_DROP_WARN = 0.01
PATH_CHARS = 240

CSS = """
:root{--fg:#111827;--muted:#4b5563;--line:#e5e7eb;--accent:#2563eb;--bad:#b91c1c;--good:#15803d;--bg:#f9fafb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;padding:16px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:#fff;overflow-wrap:break-word}
bdi,.mono{overflow-wrap:anywhere}
main{max-width:1040px;margin:0 auto}
h1{font-size:1.6em;margin:.2em 0}
h2{font-size:1.25em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:2px solid var(--line)}
h3{font-size:1.05em;margin:1.2em 0 .4em}
.meta,.note,.muted{color:var(--muted);font-size:.9em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:.6em 0}
.card{flex:1 1 200px;border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--bg)}
.card .big{font-size:1.7em;font-weight:700;line-height:1.2}
.card .label{color:var(--muted);font-size:.85em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.9em;min-width:50%}
th,td{border-bottom:1px solid var(--line);padding:4px 10px 4px 0;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600;white-space:nowrap}
td bdi{display:inline-block;max-width:32em;min-width:9em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.flag{color:var(--bad);font-weight:600}
.ok{color:var(--good)}
.plot{margin:.5em 0 1em}
.plot svg{max-width:100%;height:auto;display:block}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
dl{margin:.4em 0}
dt{font-weight:600;margin-top:.5em}
dd{margin:0 0 0 1em;color:var(--muted)}
.build{border-left:3px solid var(--line);padding-left:12px;margin:1em 0}
@media (max-width:600px){body{padding:10px;font-size:14px}.card .big{font-size:1.35em}th,td{padding:3px 6px 3px 0}th{white-space:normal}}
@media print{
 body{padding:0;font-size:10pt;color:#000}
 main{max-width:none}
 .scroll{overflow:visible}
 h2{break-after:avoid;page-break-after:avoid}
 .card,.plot,table,.build{break-inside:avoid;page-break-inside:avoid}
 .card{background:#fff}
}
@page{margin:14mm}
""".strip()


def css_hash(css: str = CSS) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(css: str = CSS) -> str:
    # No script-src and default-src 'none': no script of any kind runs, nothing is fetched.
    return (f"default-src 'none'; style-src '{css_hash(css)}'; img-src data:; font-src 'none'; "
            f"connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
            f"base-uri 'none'; form-action 'none'")


# ----------------------------------------------------------------------------- formatting

def name(s, limit: int = 160) -> str:
    return f"<bdi>{esc(s, limit)}</bdi>"


def fnum(v, digits: int = 3, unit: str = "") -> str:
    if v is None:
        return "&ndash;"
    if isinstance(v, int) and not isinstance(v, bool):
        s = f"{v:,}"
    else:
        a = abs(v)
        s = f"{v:,.0f}" if a >= 1000 else f"{v:.{digits}g}" if a >= 1 or a == 0 else f"{v:.{digits}g}"
    return esc(s + (f" {unit}" if unit else ""))


def fbytes(n) -> str:
    if n is None:
        return "&ndash;"
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            return esc(f"{n / k:.1f} {unit}")
    return esc(f"{n} B")


def fpct(v, signed: bool = False) -> str:
    if v is None:
        return "&ndash;"
    return esc(f"{v * 100:+.2f} pp" if signed else f"{v * 100:.2f} %")


def fmoney(v) -> str:
    return "&ndash;" if v is None else esc(f"${v:,.4f}" if v < 1 else f"${v:,.2f}")


def _table(headers: list[tuple[str, bool]], rows: list[list[str]], first_width: int | None = None) -> str:
    """Headers are (text, numeric); cells are already-escaped HTML. `first_width` (percent) keeps
    a name column readable beside many numeric ones (Qt's table layout needs the hint)."""
    head = "".join(f'<th{" class=num" if num else ""}'
                   f'{f" width={first_width}%" if first_width and i == 0 else ""}>{esc(h)}</th>'
                   for i, (h, num) in enumerate(headers))
    body = []
    for r in rows:
        body.append("<tr>" + "".join(
            f'<td{" class=num" if headers[i][1] else ""}>{c}</td>' for i, c in enumerate(r)) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _kv(rows: list[tuple[str, str]]) -> str:
    return ('<div class="scroll"><table><tbody>'
            + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
            + "</tbody></table></div>")


class _Plots:
    """Where plots go: inline SVG for the browser, or <img> references for Qt's renderer
    (QTextDocument does not draw inline SVG; report_pdf registers the images)."""

    def __init__(self, ref: Callable[[str, int], str] | None):
        self.ref = ref
        self.count = 0

    def __call__(self, svg: str, alt: str) -> str:
        self.count += 1
        if self.ref is None:
            return f'<div class="plot">{svg}</div>'
        src = self.ref(svg, self.count)
        return f'<div class="plot"><img src="{esc(src, None)}" alt="{esc(alt)}" width="640"></div>'


# ----------------------------------------------------------------------------- sections

def _speedup(r: Report, plot: _Plots) -> str:
    sp = r.speedup
    out = ['<section id="speedup"><h2>' + translate("Report", "Speedup") + '</h2>']
    if sp is None:
        out.append('<p class="note">' + esc(translate("Report", "A speedup needs at least two benchmarks (a baseline "
                                                           "and a candidate); this report has {n}.").format(
            n=len(r.benchmarks))) + "</p>")
    else:
        saved = sp.p99_saved_ms
        cards = [
            (fnum(sp.throughput_ratio, 3) + "&times;", esc(translate("Report", "throughput, best vs baseline"))),
            (fnum(abs(saved), 3, "ms") if saved is not None else "&ndash;",
             esc(translate("Report", "P99 latency saved per request") if saved is None or saved >= 0
                 else translate("Report", "P99 latency added per request (best vs baseline)"))),
            (fmoney(sp.best_cost_per_million), esc(translate("Report", "per million samples (baseline {cost})"))
             .format(cost=fmoney(sp.baseline_cost_per_million))),
        ]
        out.append('<div class="cards">' + "".join(
            f'<div class="card"><div class="big">{big}</div><div class="label">{lab}</div></div>'
            for big, lab in cards) + "</div>")
        out.append(_table([("", False), (translate("Report", "Run"), False), (translate("Report", "Precision"), False), (translate("Report", "Throughput (samples/s)"), True),
                           (translate("Report", "P99 (ms)"), True), (translate("Report", "$ per million samples"), True)], [
            [translate("Report", "Baseline"), name(sp.baseline), esc(sp.baseline_precision), fnum(sp.baseline_throughput, 4),
             fnum(sp.baseline_p99_ms, 4), fmoney(sp.baseline_cost_per_million)],
            [translate("Report", "Best"), name(sp.best), esc(sp.best_precision), fnum(sp.best_throughput, 4),
             fnum(sp.best_p99_ms, 4), fmoney(sp.best_cost_per_million)],
        ]))
        out.append(f'<p class="note">{esc(sp.assumption, None)}</p>')
    runs = [b for b in r.benchmarks if b.throughput is not None]
    if runs:
        # Plot labels have ~28 characters: "int8 onnxruntime" says more there than a cut file name.
        short = [f"{b.precision or '?'} {b.backend or '?'}" for b in runs]
        if len(set(short)) < len(short):
            short = [b.label for b in runs]
        best = next((s for s, b in zip(short, runs) if r.speedup and b.label == r.speedup.best), None)
        out.append(plot(svg_plots.bar_svg(list(zip(short, (b.throughput for b in runs))),
                                          title=translate("Report", "Throughput by run"),
                                          unit=translate("Report", "samples/s"), highlight=best),
                        translate("Report", "Throughput by run")))
    out.append("</section>")
    return "".join(out)


def _sweep(r: Report, plot: _Plots) -> str:
    """The sweep over targets and the serving plan for the peak: the table a capacity decision
    is made from, and each target's Pareto front (throughput against P99)."""
    sw = r.sweep
    if sw is None:
        return ""
    out = ['<section id="sweep"><h2>' + translate("Report", "Sweep and serving plan") + '</h2>']
    plan = sw.plan
    if plan is not None:
        best = plan.cheapest
        out.append('<p>' + esc(translate("Report", "At a peak of {qps:,.0f} requests/s with P99 under {ms:g} ms:").format(
            qps=plan.peak_qps, ms=plan.p99_budget_ms)) + "</p>")
        if best is not None:
            out.append('<div class="cards"><div class="card"><div class="big">'
                       + esc(f"{best.devices} x {best.device}") + '</div><div class="label">'
                       + esc(translate("Report", "{target}, {precision}, max batch {batch}, window {delay:g} ms: "
                                                 "{hour} per hour, {million} per million requests").format(
                           target=best.target, precision=best.precision, batch=best.max_batch, delay=best.max_delay_ms,
                           hour=f"${best.cost_per_hour:,.2f}", million=f"${best.cost_per_million:,.4f}"))
                       + "</div></div></div>")
        out.append(_table([(translate("Report", "Target"), False), (translate("Report", "Billed device"), False),
                           (translate("Report", "Precision"), False), (translate("Report", "Max batch"), True),
                           (translate("Report", "Window (ms)"), True), (translate("Report", "Devices"), True),
                           (translate("Report", "P99 (ms)"), True), (translate("Report", "$ per device-hour"), True),
                           (translate("Report", "$ per million requests"), True)], [
            [("&#9733; " if p is best else "") + name(p.target), name(p.device), esc(p.precision), fnum(p.max_batch, 0),
             fnum(p.max_delay_ms, 3), fnum(p.devices, 0), fnum(p.p99_ms, 4), fmoney(p.price_per_device_hour),
             fmoney(p.cost_per_million)] for p in plan.plans]))
        for target, why in plan.unplanned.items():
            out.append('<p class="note">' + esc(translate("Report", "No plan for {target}: {why}").format(
                target=target, why=why)) + "</p>")
        if plan.plans:
            out.append('<p class="note">' + esc(translate("Report", "Assumed: {what}.").format(
                what=translate("Report", plan.plans[0].assumptions)), None) + "</p>")
    front = {id(x) for x in sw.pareto()}
    out.append(_table([(translate("Report", "Target"), False), (translate("Report", "Precision"), False),
                       (translate("Report", "Batch"), True), (translate("Report", "Clients"), True),
                       (translate("Report", "Throughput (samples/s)"), True), (translate("Report", "P50 (ms)"), True),
                       (translate("Report", "P99 (ms)"), True), (translate("Report", "Accuracy"), True),
                       (translate("Report", "Pareto"), False)], [
        [name(x.target), esc(x.precision), fnum(x.batch, 0), fnum(x.concurrency, 0), fnum(x.throughput, 4),
         fnum(x.latency_ms.get("p50"), 4), fnum(x.latency_ms.get("p99"), 4),
         fpct(x.accuracy["value"]) if x.accuracy else "&ndash;", "&#10003;" if id(x) in front else ""]
        for x in sw.runs]))
    for f in sw.failed:
        out.append('<p class="note">' + esc(translate("Report", "Failed on {target} ({precision}, {what}): {error}").format(
            target=f.target, precision=f.precision, what=f.what, error=f.error)) + "</p>")
    series = [(t, [(x.throughput, x.latency_ms.get("p99")) for x in sw.pareto() if x.target == t])
              for t in dict.fromkeys(x.target for x in sw.runs)]
    if series:
        title = translate("Report", "Pareto front per target: throughput against P99")
        out.append(plot(svg_plots.line_svg(series, title=title, x_label=translate("Report", "samples/s"),
                                           y_label=translate("Report", "P99 (ms)")), title))
    out.append("</section>")
    return "".join(out)


def _model(r: Report, plot: _Plots) -> str:
    m = r.model
    out = ['<section id="model"><h2>' + translate("Report", "Model") + '</h2>']
    if m is None:
        out.append('<p class="note">' + esc(translate("Report", "No model summary was given.")) + "</p></section>")
        return "".join(out)
    out.append(_kv([
        (translate("Report", "Name"), name(m.name)), (translate("Report", "File"), name(m.path, PATH_CHARS)),
        (translate("Report", "Parameters"), fnum(m.parameters)), (translate("Report", "Weights"), fbytes(m.parameter_bytes)),
        (translate("Report", "Nodes"), fnum(m.nodes)),
        (translate("Report", "Opsets"), esc(", ".join(f"{k} {v}" for k, v in m.opsets.items())) or "&ndash;"),
        (translate("Report", "Producer"), esc(m.producer) or "&ndash;"),
    ]))
    tensors = [[esc(translate("Report", "input")), name(t.name), esc(t.dtype), esc("[" + ", ".join(map(str, t.shape)) + "]")]
               for t in m.inputs] + \
              [[esc(translate("Report", "output")), name(t.name), esc(t.dtype), esc("[" + ", ".join(map(str, t.shape)) + "]")]
               for t in m.outputs]
    if tensors:
        out.append("<h3>" + translate("Report", "Inputs and outputs") + "</h3>")
        out.append(_table([("", False), (translate("Report", "Name"), False), (translate("Report", "Type"), False), (translate("Report", "Shape"), False)], tensors))
    if m.op_histogram:
        ops = sorted(m.op_histogram.items(), key=lambda kv: (-kv[1], kv[0]))
        top = ops[:15]
        out.append("<h3>" + translate("Report", "Operators") + "</h3>")
        out.append(plot(svg_plots.bar_svg([(k, float(v)) for k, v in top],
                                          title=translate("Report", "Most used operators ({n} types)").format(
                                              n=len(ops)), unit=translate("Report", "nodes")),
                        translate("Report", "Operator histogram")))
        rest = ops[15:]
        if rest:
            out.append('<p class="note">' + esc(translate("Report", "Also:")) + " " + ", ".join(f"{name(k, 60)} {v}" for k, v in rest[:60])
                       + (" &hellip;" if len(rest) > 60 else "") + "</p>")
    out.append("</section>")
    return "".join(out)


def _environment(r: Report) -> str:
    e = r.environment
    out = ['<section id="environment"><h2>' + translate("Report", "Environment") + '</h2>']
    if e is None:
        out.append('<p class="note">' + esc(translate("Report", "Not recorded.")) + "</p></section>")
        return "".join(out)
    rows = [(translate("Report", "CPU"), esc(e.cpu) or "&ndash;"), (translate("Report", "Cores"), fnum(e.cores)),
            (translate("Report", "GPU"), esc(e.gpu) if e.gpu else esc(translate("Report", "none found"))),
            (translate("Report", "GPU driver"), esc(e.gpu_driver) if e.gpu_driver else "&ndash;"),
            (translate("Report", "OS"), esc(e.os) or "&ndash;"), (translate("Report", "Python"), esc(e.python) or "&ndash;")]
    rows += [(k, esc(v) if v else '<span class="muted">' + esc(translate("Report", "not installed")) + "</span>")
             for k, v in e.libraries.items()]
    out.append(_kv(rows))
    out.append('<p class="note">' + esc(translate("Report", "Source:")) + f" {esc(e.source, PATH_CHARS)}</p></section>")
    return "".join(out)


def _config_value(v) -> str:
    if isinstance(v, (dict, list)):
        return f'<span class="mono">{esc(json.dumps(v, ensure_ascii=False, default=str), 400)}</span>'
    return esc(v, 400)


def _build(b: BuildInfo) -> str:
    out = [f'<div class="build"><h3>{name(b.label)}</h3>']
    rows = [(translate("Report", "Artifact"), name(b.artifact, PATH_CHARS)), (translate("Report", "Backend"), esc(b.backend) or "&ndash;"),
            (translate("Report", "Precision"), esc(b.precision) or "&ndash;"), (translate("Report", "Library"), esc(b.library) or "&ndash;"),
            (translate("Report", "Size"), fbytes(b.size_bytes)), (translate("Report", "Build time"), fnum(b.build_seconds, 3, "s")),
            (translate("Report", "Layers before / after fusion"),
             f"{fnum(b.layers_before)} &rarr; {fnum(b.layers_after)}"
             + (esc(" " + translate("Report", "({ratio:.1f}x fewer)").format(ratio=b.layers_before / b.layers_after))
                if b.layers_before and b.layers_after else ""))]
    cfg = [(k, v) for k, v in b.config.items() if v not in (None, "", [], {}) and k not in ("output",)]
    rows += [(translate("Report", "config: {key}").format(key=k), _config_value(v)) for k, v in cfg[:40]]
    out.append(_kv(rows))
    if b.fusion_patterns:
        out.append("<p><b>" + translate("Report", "Main fusion patterns") + "</b></p>")
        out.append(_table([(translate("Report", "ONNX nodes fused into one layer"), False), (translate("Report", "Layers"), True)],
                          [[name(p.pattern, 200), fnum(p.count)] for p in b.fusion_patterns[:10]]))
    if b.fused_layers:
        out.append("<p><b>" + translate("Report", "Largest fused layers") + "</b></p>")
        out.append(_table([(translate("Report", "Engine layer"), False), (translate("Report", "ONNX nodes"), True), (translate("Report", "Pattern"), False), (translate("Report", "Precision"), False)],
                          [[name(f.layer), fnum(f.nodes), name(f.pattern, 120), esc(f.precision)]
                           for f in b.fused_layers]))
    if b.precision_per_layer:
        out.append("<p><b>" + translate("Report", "Precision per layer") + "</b></p>")
        out.append(_table([(translate("Report", "Precision"), False), (translate("Report", "Layers"), True)],
                          [[esc(k), fnum(v)] for k, v in sorted(b.precision_per_layer.items(),
                                                                 key=lambda kv: -kv[1])]))
    for w in b.warnings[:20]:
        out.append('<p class="flag">' + esc(translate("Report", "Warning:")) + f" {esc(w, 400)}</p>")
    out.append("</div>")
    return "".join(out)


def _builds(r: Report) -> str:
    out = ['<section id="builds"><h2>' + translate("Report", "Builds") + '</h2>']
    if not r.builds:
        out.append('<p class="note">' + esc(translate("Report", "No build was given.")) + "</p></section>")
        return "".join(out)
    out.append(_table([(translate("Report", "Build"), False), (translate("Report", "Backend"), False), (translate("Report", "Precision"), False), (translate("Report", "Size"), True),
                       (translate("Report", "Build time (s)"), True), (translate("Report", "Layers before"), True), (translate("Report", "Layers after"), True)],
                      [[name(b.label), esc(b.backend), esc(b.precision), fbytes(b.size_bytes),
                        fnum(b.build_seconds, 3), fnum(b.layers_before), fnum(b.layers_after)]
                       for b in r.builds]))
    out.extend(_build(b) for b in r.builds)
    out.append("</section>")
    return "".join(out)


_PCTS = ("min", "p50", "p90", "p95", "p99", "max", "mean")
# trtexec's names for the parts of a request's time
_SPLIT_NAMES = {"h2d": QT_TRANSLATE_NOOP("Report", "H2D latency"),
                "compute": QT_TRANSLATE_NOOP("Report", "GPU compute time"),
                "d2h": QT_TRANSLATE_NOOP("Report", "D2H latency"), "enqueue": QT_TRANSLATE_NOOP("Report", "enqueue time"),
                "queue": QT_TRANSLATE_NOOP("Report", "queue wait (open loop)")}


def _bench(b: BenchInfo, plot: _Plots) -> str:
    out = [f'<div class="build"><h3>{name(b.label)}</h3>']
    rows = [(translate("Report", "Artifact"), name(b.artifact, PATH_CHARS)), (translate("Report", "Backend"), esc(b.backend) or "&ndash;"),
            (translate("Report", "Precision"), esc(b.precision) or "&ndash;"), (translate("Report", "Device"), esc(b.device) or "&ndash;"),
            (translate("Report", "Load"), esc(b.load_pattern) or "&ndash;"), (translate("Report", "Inputs"), esc(b.inputs) or "&ndash;"),
            (translate("Report", "Batch size"), fnum(b.batch_size)),
            (translate("Report", "Concurrency"), fnum(b.concurrency)), (translate("Report", "Requests timed"), fnum(b.requests)),
            (translate("Report", "Duration"), fnum(b.duration_s, 3, "s")),
            (translate("Report", "Throughput"), fnum(b.throughput, 4, "samples/s") + (
                " " + esc(translate("Report", "({rate} of batch {batch})")).format(
                    rate=fnum(b.requests_per_s, 4, "requests/s"), batch=b.batch_size)
                if (b.batch_size or 1) > 1 and b.requests_per_s is not None else ""))]
    rows += [(translate("Report", "Cold start: {part}").format(part=k.removesuffix("_ms").replace("_", " ")),
              fnum(v, 4, "ms")) for k, v in b.cold_start_ms.items()]
    rows += [(translate("Report", "Mean {part}").format(
        part=translate("Report", _SPLIT_NAMES[k]) if k in _SPLIT_NAMES else k.replace("_", " ")), fnum(v, 4, "ms"))
             for k, v in b.timing_split_ms.items()]
    out.append(_kv(rows))
    for w in b.warnings[:20]:
        out.append('<p class="flag">' + esc(translate("Report", "Warning:")) + f" {esc(w, 400)}</p>")
    h = b.histogram
    if h.get("counts"):
        markers = {k.upper(): b.latency_ms.get(k) for k in ("p50", "p99") if b.latency_ms.get(k) is not None}
        edges, counts, hidden = _trim_tail(h["edges_ms"], h["counts"], b.latency_ms.get("p99"))
        out.append(plot(svg_plots.histogram_svg(edges, counts,
                                                title=translate("Report", "Latency histogram: {run}").format(
                                                    run=b.label),
                                                x_label=translate("Report", "latency (ms)"), markers=markers),
                        translate("Report", "Latency histogram of {run}").format(run=b.label)))
        if hidden:
            out.append('<p class="note">' + esc(translate(
                "Report", "{n} request(s) slower than {ms} (the far tail, beyond P99) are counted but not drawn; "
                "the maximum is {max}.")).format(n=esc(hidden), ms=fnum(edges[-1], 3, "ms"),
                                                 max=fnum(b.latency_ms.get("max"), 4, "ms")) + "</p>")
    if b.curve:
        series = [(translate("Report", "P50"), [(p.throughput, p.p50_ms) for p in b.curve]),
                  (translate("Report", "P99"), [(p.throughput, p.p99_ms) for p in b.curve])]
        out.append(plot(svg_plots.line_svg(series, title=translate("Report", "Latency vs throughput: {run}").format(
                                               run=b.label),
                                           x_label=translate("Report", "throughput (samples/s)"),
                                           y_label=translate("Report", "latency (ms)")),
                        translate("Report", "Latency versus throughput of {run}").format(run=b.label)))
        out.append(_table([(translate("Report", "Load"), False), (translate("Report", "Throughput (samples/s)"), True), (translate("Report", "P50 (ms)"), True), (translate("Report", "P99 (ms)"), True)],
                          [[esc(p.label), fnum(p.throughput, 4), fnum(p.p50_ms, 4), fnum(p.p99_ms, 4)]
                           for p in b.curve]))
    out.append("</div>")
    return "".join(out)


def _trim_tail(edges: list[float], counts: list[int], p99: float | None,
               keep: float = 0.995) -> tuple[list[float], list[int], int]:
    """Drop trailing bins beyond P99 that hold the last <0.5 % of requests, so a few outliers
    do not squeeze the whole distribution into one bar. Returns (edges, counts, hidden)."""
    total = sum(counts)
    if not total or p99 is None:
        return edges, counts, 0
    run = 0
    for i, c in enumerate(counts):
        run += c
        if run >= keep * total and edges[i + 1] >= p99:
            cut = i + 1
            if cut < len(counts) and cut >= 3:
                return edges[:cut + 1], counts[:cut], total - run
            break
    return edges, counts, 0


def _benchmarks(r: Report, plot: _Plots) -> str:
    out = ['<section id="benchmarks"><h2>' + translate("Report", "Benchmarks") + '</h2>']
    if not r.benchmarks:
        out.append('<p class="note">' + esc(translate("Report", "No benchmark was given.")) + "</p></section>")
        return "".join(out)
    keys = [k for k in _PCTS if any(k in b.latency_ms for b in r.benchmarks)]
    out.append(_table([(translate("Report", "Run"), False), (translate("Report", "Precision"), False), (translate("Report", "Throughput (samples/s)"), True)]
                      + [(f"{k.upper() if k.startswith('p') else k} (ms)", True) for k in keys],
                      [[name(b.label), esc(b.precision), fnum(b.throughput, 4)]
                       + [fnum(b.latency_ms.get(k), 4) for k in keys] for b in r.benchmarks], first_width=26))
    out.extend(_bench(b, plot) for b in r.benchmarks)
    out.append("</section>")
    return "".join(out)


def accuracy_flags(a: AccuracyInfo) -> list[str]:
    """The result's own flags plus the report's thresholds, so a reader sees what to doubt."""
    flags = list(a.flags)
    if a.top1_agreement is not None and a.top1_agreement < TOP1_WARN:
        flags.append(f"top-1 agreement below {TOP1_WARN:.0%}")
    ch = a.accuracy_change
    if ch is not None and ch < -ACC_DROP_WARN:
        flags.append(f"accuracy dropped {abs(ch) * 100:.2f} points")
    return flags


def _accuracy(r: Report) -> str:
    out = ['<section id="accuracy"><h2>' + translate("Report", "Accuracy against FP32") + '</h2>']
    if not r.accuracy:
        out.append('<p class="note">' + esc(translate("Report", "No accuracy result was given.")) + "</p></section>")
        return "".join(out)
    rows = []
    for a in r.accuracy:
        flags = accuracy_flags(a)
        label = name(a.label) + (('<br><span class="note">' + esc(translate("Report", "predicted")) + "</span>")
                                 if a.prediction else "")
        rows.append([label, esc(a.precision), esc(a.reference), fnum(a.samples),
                     fnum(a.max_abs_error, 3), fnum(a.mean_abs_error, 3), fpct(a.top1_agreement),
                     fpct(a.accuracy), fpct(a.accuracy_change, signed=True),
                     ('<span class="flag">' + "; ".join(esc(f, 200) for f in flags) + "</span>") if flags
                     else '<span class="ok">' + esc(translate("Report", "none")) + "</span>"])
    out.append(_table([(translate("Report", "Build"), False), (translate("Report", "Precision"), False), (translate("Report", "Reference"), False), (translate("Report", "Samples"), True),
                       (translate("Report", "Max |error|"), True), (translate("Report", "Mean |error|"), True), (translate("Report", "Top-1 agreement"), True),
                       (translate("Report", "Accuracy"), True), (translate("Report", "Change"), True), (translate("Report", "Flags"), False)], rows, first_width=22))
    out.append('<p class="note">' + esc(translate(
        "Report", "Flags: top-1 agreement under {top1:.0%} or an accuracy drop over {points:.0f} point, "
        "besides the flags the accuracy check raised itself. Errors are over the model outputs (logits), "
        "worst output.").format(top1=TOP1_WARN, points=ACC_DROP_WARN * 100)) + "</p>")
    predicted = [a for a in r.accuracy if a.prediction]
    if predicted:
        out.append('<p class="note">' + esc(translate("Report", "Predicted:")) + " "
                   + "; ".join(f"{name(a.label)}: {esc(a.prediction, 400)}" for a in predicted) + "</p>")
    scored = [(a.label, a.inputs) for a in r.accuracy if a.inputs]
    if scored:
        out.append('<p class="note">' + esc(translate("Report", "Scored on:")) + " " + "; ".join(f"{name(lbl)}: {esc(inp, 300)}" for lbl, inp in scored)
                   + "</p>")
    out.append("</section>")
    return "".join(out)


def _definitions(r: Report) -> str:
    items = "".join(f"<dt>{esc(translate('Report', k))}</dt><dd>{esc(translate('Report', v), None)}</dd>"
                    for k, v in r.metric_definitions.items())
    return ('<section id="definitions"><h2>' + esc(translate("Report", "How the metrics are defined"))
            + f"</h2><dl>{items}</dl></section>")


def _footer(r: Report) -> str:
    out = ['<section id="sources"><h2>' + translate("Report", "Sources") + '</h2>']
    if r.notes:
        out.append("<ul>" + "".join(f"<li>{esc(n, 600)}</li>" for n in r.notes) + "</ul>")
    out.append(_table([(translate("Report", "File"), False), (translate("Report", "Read as"), False)],
                      [[name(s.path, PATH_CHARS), esc(s.kind)] for s in r.sources]))
    out.append("</section>")
    return "".join(out)


def render_html(report: Report, *, plot_ref: Callable[[str, int], str] | None = None,
                css: str = CSS) -> str:
    """The whole report as one HTML string. `plot_ref`, when given, turns each plot's SVG into an
    <img> source (for renderers without inline SVG); by default plots are inline SVG. `css`
    replaces the stylesheet (Qt's renderer reads a simpler CSS subset); the CSP hashes it."""
    plot = _Plots(plot_ref)
    r = report
    body = "".join([
        f"<header><h1>{esc(r.title, 200)}</h1>",
        '<p class="meta">' + esc(translate("Report", "Created {created} by Engine Studio {version}").format(
            created=r.created, version=r.studio_version))
        + " &middot; " + esc(translate("Report", "report schema {schema} v{version}").format(
            schema=r.schema, version=r.schema_version)) + "</p></header>",
        _speedup(r, plot), _sweep(r, plot), _model(r, plot), _builds(r), _benchmarks(r, plot), _accuracy(r),
        _environment(r), _definitions(r), _footer(r),
    ])
    return (
        f'<!DOCTYPE html>\n<html lang="{current_language().replace("_", "-")}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(css)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(r.title, 200)}</title><style>{css}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def write_html(report: Report, path) -> None:
    write_text_atomic(path, render_html(report))
    share_mode(path)
