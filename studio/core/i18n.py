"""The studio's languages, for what the core writes for people (the HTML and PDF reports).

One catalogue per language, `studio/translations/studio_<lang>.ts`: Qt's translation source,
which the window loads compiled (`.qm`, by `pyside6-lrelease`) and this module reads as XML, so
the core needs no Qt. `pyside6-lupdate` collects the strings from both: the window's `tr(...)`
and the core's `translate("Context", "text")` (the name it looks for).

The language is a context variable: `with language("zh_CN"): render_html(...)` renders one
report in Chinese without touching another thread's; the window sets the default with
`set_default_language` when the user switches."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import xml.etree.ElementTree as ET
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
SOURCE_LANGUAGE = "en"
# code -> the language's own name (a menu shows each in its own language)
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}

_default = SOURCE_LANGUAGE
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("studio_language", default=None)


def ts_path(lang: str) -> Path:
    return TRANSLATIONS / f"studio_{lang}.ts"


def qm_path(lang: str) -> Path:
    return TRANSLATIONS / f"studio_{lang}.qm"


@functools.lru_cache(maxsize=None)
def catalog(lang: str) -> dict[tuple[str, str], str]:
    """{(context, source): translation} of the finished translations in `lang`'s .ts."""
    if lang == SOURCE_LANGUAGE or not ts_path(lang).is_file():
        return {}
    out = {}
    for ctx in ET.parse(ts_path(lang)).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            if tr is None or tr.get("type") in ("unfinished", "obsolete", "vanished") or not (tr.text or ""):
                continue
            out[(name, msg.findtext("source") or "")] = tr.text
    return out


def normalize(lang: str | None) -> str:
    """A locale name (zh_CN.UTF-8, zh-Hans, zh_TW, en_US) -> a language the studio has."""
    code = (lang or "").split(".")[0].replace("-", "_")
    if code in LANGUAGES:
        return code
    if code.lower().startswith("zh"):
        return "zh_CN"
    return SOURCE_LANGUAGE


def current_language() -> str:
    return _current.get() or _default


def set_default_language(lang: str) -> None:
    global _default
    _default = normalize(lang)


@contextlib.contextmanager
def language(lang: str | None):
    """Translate in `lang` inside the block (None keeps the default)."""
    token = _current.set(normalize(lang) if lang else None)
    try:
        yield
    finally:
        _current.reset(token)


def translate(context: str, text: str) -> str:
    return catalog(current_language()).get((context, text), text)


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name lupdate looks for
    """Marks `text` for lupdate where it is defined (a table of names); `translate` it where shown."""
    return text
