"""Build the Linux x86-64 desktop bundle: `make installer`.

PyInstaller was chosen because it is the well-kept freezer with maintained hooks for PySide6
and ONNX Runtime, produces a one-folder bundle that starts without unpacking (a one-file
build unpacks ~600 MB to /tmp on every start), and needs no compiler (Nuitka compiles the
whole dependency tree: far slower builds for no gain at run time in a numpy/native-library app).

Output: dist/engine-studio-<version>-linux-x86_64/ (bundle + install/uninstall scripts,
.desktop entry, icon) and the same as a .tar.gz beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYINSTALLER = "pyinstaller>=6.10,<7"


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from studio import __version__

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", PYINSTALLER], check=True)
    work = ROOT / "build" / "installer"
    name = f"engine-studio-{__version__}-linux-x86_64"
    dist = ROOT / "dist"
    stage = dist / name
    t0 = time.monotonic()
    env = dict(os.environ, ENGINE_STUDIO_ROOT=str(ROOT), QT_QPA_PLATFORM="offscreen")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(work / "dist"), "--workpath", str(work / "work"),
                    str(ROOT / "installer" / "engine_studio.spec")], check=True, env=env, cwd=ROOT)
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.move(str(work / "dist" / "engine-studio"), stage / "engine-studio")
    for f in ["install.sh", "uninstall.sh", "qt-system-libs.sh", "engine-studio.desktop"]:
        shutil.copy2(ROOT / "installer" / f, stage / f)
    shutil.copy2(ROOT / "resources" / "icons" / "engine-studio.svg", stage / "engine-studio.svg")
    build_s = time.monotonic() - t0
    tarball = dist / f"{name}.tar.gz"
    tmp = tarball.with_suffix(".gz.part")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=name)
    os.replace(tmp, tarball)
    info = {"bundle": str(stage), "tarball": str(tarball), "bundle_bytes": _dir_size(stage),
            "tarball_bytes": tarball.stat().st_size, "build_seconds": round(build_s, 1)}
    (dist / "installer.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
