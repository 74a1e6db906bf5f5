"""Light and dark themes: a Fusion palette, so every widget (and pyqtgraph's plots, which take
their colours from the palette we hand them) follow one choice."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

LIGHT = {
    QPalette.Window: "#f3f3f3", QPalette.WindowText: "#1e1e1e", QPalette.Base: "#ffffff",
    QPalette.AlternateBase: "#f0f2f5", QPalette.Text: "#1e1e1e", QPalette.Button: "#eaeaea",
    QPalette.ButtonText: "#1e1e1e", QPalette.Highlight: "#2f6fd6", QPalette.HighlightedText: "#ffffff",
    QPalette.ToolTipBase: "#ffffe8", QPalette.ToolTipText: "#1e1e1e", QPalette.PlaceholderText: "#8a8a8a",
    QPalette.Mid: "#c8c8c8", QPalette.Link: "#2f6fd6",
}
DARK = {
    QPalette.Window: "#25272b", QPalette.WindowText: "#e6e6e6", QPalette.Base: "#1c1d20",
    QPalette.AlternateBase: "#2a2c31", QPalette.Text: "#e6e6e6", QPalette.Button: "#33363c",
    QPalette.ButtonText: "#e6e6e6", QPalette.Highlight: "#4d8ae8", QPalette.HighlightedText: "#ffffff",
    QPalette.ToolTipBase: "#33363c", QPalette.ToolTipText: "#e6e6e6", QPalette.PlaceholderText: "#8d9096",
    QPalette.Mid: "#4a4d54", QPalette.Link: "#7aa7f0",
}
THEMES = {"light": LIGHT, "dark": DARK}


def apply_theme(app: QApplication, name: str) -> str:
    name = name if name in THEMES else "light"
    app.setStyle(QStyleFactory.create("Fusion"))
    pal = QPalette()
    for role, color in THEMES[name].items():
        pal.setColor(role, QColor(color))
    disabled = QColor(THEMES[name][QPalette.PlaceholderText])
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        pal.setColor(QPalette.Disabled, role, disabled)
    app.setPalette(pal)
    app.setProperty("studio_theme", name)
    return name


def plot_colors(name: str) -> tuple[str, str]:
    """(background, foreground) for pyqtgraph."""
    t = THEMES.get(name, LIGHT)
    return t[QPalette.Base], t[QPalette.Text]


SERIES = ["#2f6fd6", "#2e9a5a", "#d0791d", "#b5396b", "#7a5fa8", "#0f8f8f", "#8a6d3b"]
