"""The window's language: Qt's translators (the studio's `.qm` and Qt's own for its standard
dialogs) and the texts bound to widgets, so that switching language re-sets every label in
place: the model, the builds and the runs stay as they are.

A widget's text is bound with `bind(setter, text)`, where `text` is a function that returns
the text translated now, e.g. `bind(button.setText, lambda: self.tr("Build"))`: lupdate finds
the `tr("...")` inside, and a switch calls the function again (with whatever state a formatted
text shows at that moment)."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Callable

import PySide6
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QLabel, QPushButton

from studio.core import i18n as core_i18n

# Widgets with bound texts, held weakly: each keeps its own list of (setter, text), so a closed
# window's widgets are collected with it.
_owners: "weakref.WeakSet" = weakref.WeakSet()
_translators: list[QTranslator] = []


def translate(context: str, text: str) -> str:
    """For module-level code without a QObject's `tr` (lupdate reads the context here)."""
    return QCoreApplication.translate(context, text)


def bind(setter: Callable, text: Callable[[], object], owner=None) -> None:
    """Set a widget's text now and again after every language switch (or a list of texts, for a
    setter that takes one: table headers). `owner` is the object
    the setter belongs to (the setter's own object when it is a bound method). Binding the same
    setter again replaces its text: a label that shows state is bound anew when the state changes."""
    owner = setter.__self__ if owner is None else owner
    setter(text())
    texts = owner.__dict__.setdefault("_bound_texts", [])
    texts[:] = [(s, t) for s, t in texts if s != setter]
    texts.append((setter, text))
    _owners.add(owner)


def label(text: Callable[[], str]) -> QLabel:
    w = QLabel()
    bind(w.setText, text)
    return w


def button(text: Callable[[], str], tip: Callable[[], str] | None = None) -> QPushButton:
    w = QPushButton()
    bind(w.setText, text)
    if tip is not None:
        bind(w.setToolTip, tip)
    return w


def bind_items(combo, texts: dict) -> None:
    """A combo box's item texts, by item data: {data: function giving its text}."""
    for data, text in texts.items():
        i = combo.findData(data)
        bind(lambda t, i=i: combo.setItemText(i, t), text, owner=combo)


def refresh() -> int:
    """Re-set every bound text. Returns how many were set."""
    n = 0
    for owner in list(_owners):
        try:
            for setter, text in owner.__dict__.get("_bound_texts", ()):
                setter(text())
                n += 1
        except RuntimeError:       # the C++ object is gone (a closed window's widget)
            _owners.discard(owner)
    return n


def preferred_language(saved: str | None) -> str:
    """The saved choice, else the system's locale."""
    return core_i18n.normalize(saved) if saved else core_i18n.normalize(QLocale.system().name())


def _qt_translations() -> Path:
    path = Path(QLibraryInfo.path(QLibraryInfo.TranslationsPath))
    return path if path.is_dir() else Path(PySide6.__file__).parent / "Qt" / "translations"


def install(lang: str) -> str:
    """Make `lang` the language of the window and of the reports it writes; re-set bound texts.
    Returns the language installed (English when the catalogue is missing)."""
    app = QCoreApplication.instance()
    lang = core_i18n.normalize(lang)
    for t in _translators:
        app.removeTranslator(t)
    _translators.clear()
    if lang != core_i18n.SOURCE_LANGUAGE:
        studio = QTranslator(app)
        if not studio.load(str(core_i18n.qm_path(lang))):
            lang = core_i18n.SOURCE_LANGUAGE
        else:
            _translators.append(studio)
            qt = QTranslator(app)       # Qt's own dialogs (file chooser, message boxes)
            if qt.load(f"qtbase_{lang}", str(_qt_translations())):
                _translators.append(qt)
    for t in _translators:
        app.installTranslator(t)
    core_i18n.set_default_language(lang)
    refresh()
    return lang
