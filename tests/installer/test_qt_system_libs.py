"""installer/qt-system-libs.sh, the check `make run` and the bundle's install.sh make before the
window starts: real ELF files whose dependencies really are missing (a stub library linked in,
then deleted), read by the real ldd."""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "installer" / "qt-system-libs.sh"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None or shutil.which("ldd") is None,
                                reason="needs a C compiler and ldd to make the ELF files")


def _plugin(tmp_path: Path, needs: list[str]) -> Path:
    """A shared object linked against stub libraries with the given sonames, the stubs then
    removed. The tests use versions no machine has, so they are missing even where the real
    libraries are installed; the package is found from the name, whatever the version."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    args = []
    for soname in needs:
        src = stubs / "stub.c"
        src.write_text("int stub_symbol(void) { return 0; }\n")
        subprocess.run(["cc", "-shared", "-fPIC", f"-Wl,-soname,{soname}", "-o", str(stubs / soname), str(src)],
                       check=True)
        args.append(str(stubs / soname))
    plugin = tmp_path / "libqxcb.so"
    (tmp_path / "p.c").write_text("int plugin(void) { return 1; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-Wl,--no-as-needed", "-o", str(plugin), str(tmp_path / "p.c"), *args],
                   check=True)
    shutil.rmtree(stubs)
    return plugin


def _run(*args):
    return subprocess.run(["sh", str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_nothing_missing_is_silent(tmp_path):
    r = _run(_plugin(tmp_path, []))
    assert r.returncode == 0 and r.stderr == ""


def test_every_missing_library_is_named_with_the_one_command_that_installs_them(tmp_path):
    plugin = _plugin(tmp_path, ["libxcb-cursor.so.90", "libxcb-icccm.so.94", "libxcb-keysyms.so.91"])
    r = _run(plugin)
    assert r.returncode == 1
    assert "libxcb-cursor.so.90 libxcb-icccm.so.94 libxcb-keysyms.so.91" in r.stderr
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in r.stderr


def test_a_library_without_a_known_package_is_named_and_nothing_is_installed(tmp_path):
    plugin = _plugin(tmp_path, ["libxcb-cursor.so.90", "libnot-a-real-lib.so.3"])
    r = _run("--install", plugin)   # unknown library: never half-install, say what to look for
    assert r.returncode == 1
    assert "libnot-a-real-lib.so.3" in r.stderr and "apt-file search" in r.stderr
    assert "sudo apt-get install -y libxcb-cursor0" in r.stderr


def test_a_missing_file_is_a_usage_error(tmp_path):
    r = _run(tmp_path / "nope.so")
    assert r.returncode == 2 and "no such file" in r.stderr
