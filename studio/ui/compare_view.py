"""The stakeholder view: baseline vs best build in big numbers (throughput x, P99, engine size,
accuracy change, cost per million samples at a price per device-hour the user enters), and the
export actions. The numbers are the session's comparison (studio.core.session.Session.compare,
over the results it holds), the same figures `engine-studio report` prints."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDoubleSpinBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.core.session import Session
from studio.ui.i18n import bind, button, label


class BigNumber(QFrame):
    def __init__(self, title, parent=None):
        """`title` gives the translated title (studio.ui.i18n.bind)."""
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        self.title = label(title)
        _style(self.title, 10, muted=True)
        self.value = QLabel("-")
        _style(self.value, 24, bold=True)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        _style(self.detail, 9)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.value)
        lay.addWidget(self.detail)

    def set(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)


def _style(label: QLabel, points: float, bold: bool = False, muted: bool = False) -> None:
    """Font and role rather than a style sheet, so the label follows the theme."""
    f = label.font()
    f.setPointSizeF(points)
    f.setBold(bold)
    label.setFont(f)
    if muted:
        label.setForegroundRole(QPalette.PlaceholderText)


def _fmt(v, digits=2, unit="") -> str:
    return "-" if v is None else f"{v:,.{digits}f}{unit}"


class CompareView(QWidget):
    export_engine_requested = Signal()
    export_report_requested = Signal()
    price_changed = Signal(float)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        for event in (session.events.build, session.events.run, session.events.accuracy):
            event.connect(self.recompute)
        self.speedup = None
        self.notes: list[str] = []
        self.headline = QLabel()
        _style(self.headline, 13, bold=True)
        self.headline.setWordWrap(True)
        self.price = QDoubleSpinBox()
        self.price.setRange(0.0, 1000.0)
        self.price.setDecimals(2)
        self.price.setPrefix("$ ")
        bind(self.price.setSuffix, lambda: self.tr(" per device-hour"))
        self.price.setValue(2.5)
        self.price.valueChanged.connect(lambda v: (self.price_changed.emit(v), self.recompute()))
        self.cards = {k: BigNumber(t) for k, t in (
            ("tp", lambda: self.tr("Throughput")), ("p99", lambda: self.tr("P99 latency")),
            ("mem", lambda: self.tr("Engine size")), ("acc", lambda: self.tr("Accuracy change")),
            ("cost", lambda: self.tr("Cost per million samples")))}
        grid = QGridLayout()
        for i, k in enumerate(("tp", "p99", "cost", "mem", "acc")):
            grid.addWidget(self.cards[k], i // 3, i % 3)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        _style(self.note, 9, muted=True)
        self.export_engine_btn = button(lambda: self.tr("Export engine + sidecar..."))
        self.export_report_btn = button(lambda: self.tr("Export report..."))
        self.export_engine_btn.clicked.connect(self.export_engine_requested)
        self.export_report_btn.clicked.connect(self.export_report_requested)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.price)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_engine_btn)
        buttons.addWidget(self.export_report_btn)
        root = QVBoxLayout(self)
        root.addLayout(top)
        root.addLayout(grid)
        root.addWidget(self.note)
        root.addStretch(1)
        root.addLayout(buttons)
        self.recompute()

    def recompute(self, _changed=None) -> None:
        comparison = self.session.compare(float(self.price.value()))
        infos, acc = comparison.benchmarks, comparison.accuracy
        sp, notes = comparison.speedup, comparison.notes
        self.speedup, self.notes = sp, notes
        if sp is None:
            self.headline.setText(self.tr("Benchmark at least two builds to compare them."))
            for c in self.cards.values():
                c.set("-")
            return
        base = next(b for b in infos if b.label == sp.baseline)
        best = next(b for b in infos if b.label == sp.best)
        self.headline.setText(self.tr("{best} ({best_backend}) vs {base} ({base_backend}) baseline").format(
            best=best.precision.upper(), best_backend=best.backend, base=base.precision.upper(),
            base_backend=base.backend))
        self.cards["tp"].set(f"{sp.throughput_ratio:.2f}x",
                             self.tr("{best} vs {base} samples/s").format(best=_fmt(sp.best_throughput, 1),
                                                                          base=_fmt(sp.baseline_throughput, 1)))
        self.cards["p99"].set(f"{_fmt(sp.best_p99_ms, 2)} ms",
                              self.tr("baseline {ms} ms").format(ms=_fmt(sp.baseline_p99_ms, 2))
                              + (self.tr(", {ms:+.2f} ms saved").format(ms=sp.p99_saved_ms)
                                 if sp.p99_saved_ms is not None else ""))
        self.cards["cost"].set(f"${_fmt(sp.best_cost_per_million, 2)}",
                               self.tr("baseline ${cost} per million samples").format(
                                   cost=_fmt(sp.baseline_cost_per_million, 2)))
        sb, sn = comparison.sizes.get(base.artifact), comparison.sizes.get(best.artifact)
        self.cards["mem"].set(_fmt(sn / 1e6 if sn else None, 1, " MB"),
                              self.tr("baseline {size}").format(size=_fmt(sb / 1e6 if sb else None, 1, " MB")))
        a = acc.get(best.artifact)
        # A build that cannot run here is scored from its typed model on the CPU: say so.
        said = self.tr("predicted on the CPU") + " · " if a is not None and a.prediction else ""
        if a is not None and a.accuracy_change is not None:
            self.cards["acc"].set(self.tr("{pts:+.2f} pts").format(pts=a.accuracy_change * 100),
                                  said + self.tr("{acc:.1f}% vs {ref:.1f}% (FP32 reference)").format(
                                      acc=a.accuracy * 100, ref=a.reference_accuracy * 100))
        elif a is not None and a.top1_agreement is not None:
            self.cards["acc"].set(f"{a.top1_agreement * 100:.1f}%",
                                  said + self.tr("top-1 agreement with the FP32 reference"))
        else:
            self.cards["acc"].set("-", self.tr("run an accuracy check to fill this"))
        self.note.setText(" ".join([sp.assumption] + notes))

    def figures(self) -> dict:
        """What the cards say, as data (tests, demo summary)."""
        return {k: c.value.text() for k, c in self.cards.items()}
