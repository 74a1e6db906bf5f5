"""Window settings that persist (QSettings), with a schema version and migrations in napari's
spirit: a settings file written by an older studio is upgraded, one written by a newer or broken
one is reset rather than crashing the window."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

SCHEMA_VERSION = 3
MAX_RECENT = 10

DEFAULTS = {
    "theme": "light",
    "language": "",            # empty: the system locale
    "color_mode": "type",
    "graph_mode": "side",          # before | after | side
    "price_per_device_hour": 2.50,
    "build/backend": "tensorrt",
    "build/precision": "fp16",
    "build/workspace_mib": 0,             # 0: the backend's default, as the command line leaves it
    "bench/duration_s": 5.0,
    "bench/passes": 0,                    # 0: runs last the duration
    "bench/pattern": "closed",
    "bench/batch_sizes": "1,8",
    "bench/qps": "200",
    "recent": [],
}


def _migrate_1_to_2(s: QSettings) -> None:
    # v1 kept the price under a top-level key with cents
    cents = s.value("price_cents")
    if cents is not None:
        try:
            s.setValue("price_per_device_hour", float(cents) / 100.0)
        except (TypeError, ValueError):
            pass
        s.remove("price_cents")


def _migrate_2_to_3(s: QSettings) -> None:
    # v2 named the price per GPU-hour, although a CPU run is priced the same way
    price = s.value("price_per_gpu_hour")
    if price is not None:
        s.setValue("price_per_device_hour", price)
        s.remove("price_per_gpu_hour")


MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3}


def _model_key(model: str) -> str:
    """A settings key for a model's path (QSettings keys cannot hold slashes as data)."""
    # lazy: 3 ms off this module's import
    import hashlib

    return hashlib.sha256(str(Path(model).resolve()).encode()).hexdigest()[:16]


class Settings:
    def __init__(self, path: str | os.PathLike | None = None):
        path = path or os.environ.get("ENGINE_STUDIO_SETTINGS")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.q = QSettings(str(path), QSettings.IniFormat)
        else:
            self.q = QSettings(QSettings.IniFormat, QSettings.UserScope, "EngineStudio", "engine-studio")
        self.notice = ""
        self._upgrade()

    def _upgrade(self) -> None:
        q = self.q
        if q.status() != QSettings.NoError:
            self.notice = f"settings file {q.fileName()} was unreadable; defaults are used"
            q.clear()
        try:
            version = int(q.value("schema_version", 0) or 0)
        except (TypeError, ValueError):
            version = -1
        if version == 0 and not q.allKeys():
            version = SCHEMA_VERSION  # fresh file
        if version < 0 or version > SCHEMA_VERSION:
            self.notice = f"settings file {q.fileName()} is from another version; defaults are used"
            q.clear()
            version = SCHEMA_VERSION
        while version < SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step:
                step(q)
            version += 1
        q.setValue("schema_version", SCHEMA_VERSION)

    def get(self, key: str):
        default = DEFAULTS.get(key)
        v = self.q.value(key, default)
        if v is None:
            return default
        # INI files give back strings; coerce to the default's type, fall back if it won't
        try:
            if isinstance(default, bool):
                return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
            if isinstance(default, int):
                return int(v)
            if isinstance(default, float):
                return float(v)
            if isinstance(default, list):
                if isinstance(v, str):
                    return [v] if v else []
                return list(v)
        except (TypeError, ValueError):
            return default
        return v

    def set(self, key: str, value) -> None:
        self.q.setValue(key, value)

    def recent(self) -> list[str]:
        return [p for p in self.get("recent") if p]

    def add_recent(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        items = [path] + [p for p in self.recent() if p != path]
        self.set("recent", items[:MAX_RECENT])
        return self.recent()

    def model_choices(self, model: str) -> dict:
        """The data chosen for this model before (tokenizer, calibration and validation files,
        columns), as the panels' apply_choices take it; {} for a model never used."""
        # lazy: 2 ms off this module's import
        import json

        raw = self.q.value(f"models/{_model_key(model)}")
        try:
            got = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            return {}
        return got if isinstance(got, dict) else {}

    def remember_choices(self, model: str, choices: dict) -> None:
        # lazy: 2 ms off this module's import
        import json

        merged = {**self.model_choices(model), **{k: v for k, v in choices.items() if v not in (None, "")}}
        self.q.setValue(f"models/{_model_key(model)}", json.dumps(merged))

    def sync(self) -> str | None:
        """Write to disk; return a one-line problem when that failed (a full disk or a read-only
        folder must be told to the user; QSettings writes through a temp file and rename, so the
        previous file stays as it was)."""
        self.q.sync()
        if self.q.status() == QSettings.NoError:
            return None
        why = "no access or no space" if self.q.status() == QSettings.AccessError else "format error"
        return f"settings could not be saved to {self.q.fileName()} ({why}); the previous file is unchanged"
