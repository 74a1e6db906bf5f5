"""The backend registry: a third party's backend registers through the entry-point group exactly
as the built-ins do, and the remembered name -> entry table follows installs and removals.
Each case runs in a fresh interpreter with its own cache dir and a real *.dist-info folder."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PLUGIN = '''
from studio.core.backends.base import Capabilities, PrecisionTarget
from studio.core.graph.plan_sources import RawPlan


class EchoLayers:
    """Its own artifact format: `ECHO` then one `layer <- node, node` line per layer."""

    FORMAT = "echo_layers"

    @staticmethod
    def match(src):
        return src.text is not None and src.text.startswith("ECHO")

    @staticmethod
    def parse(src, original=None):
        layers = []
        for line in src.text.splitlines()[1:]:
            name, _, nodes = line.partition(" <- ")
            layers.append({"Name": name, "LayerType": "echo",
                           "Metadata": "\\x1f".join(f"[ONNX Layer: {n.strip()}]" for n in nodes.split(","))})
        return RawPlan("echo_layers", layers, source_path=src.path_str)


class EchoBackend:
    name = "echo"
    display_name = "Echo"
    artifact_suffix = ".echo"
    version_bound = False
    libraries = {"echo": ("echo_plugin",)}

    def capabilities(self):
        return Capabilities(precisions={"fp32": None}, build_needs_gpu=False, run_needs_gpu=False,
                            layer_profiling=False, library="echo 1.0")

    def build(self, config, state):
        raise NotImplementedError

    def open_runner(self, artifact, *, threads=None, **options):
        raise NotImplementedError

    def recognizes(self, path, head):
        return head.startswith(b"ECHO")

    def plan_readers(self):
        return (EchoLayers,)

    def layer_report(self, artifact, sidecar):
        return artifact

    def inspect_artifact(self, artifact, sidecar, trusted):
        return {"reasons": ["echo artifacts only echo"], "facts": {"echo": True}}

    def precision_target(self):
        return PrecisionTarget(int8_recipes=())
'''

PROBE = """
import json, sys
from studio.core.backends.registry import backend_entry, backend_names, get_backend
names = backend_names()
print(json.dumps({"names": names, "echo": backend_entry("echo"),
                  "echo_library": get_backend("echo").capabilities().library if "echo" in names else None,
                  "scanned": "importlib.metadata" in sys.modules}))
"""


def _install(site: Path, dist: str, group_lines: str) -> None:
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[engine_studio.backends]\n{group_lines}\n")


def _probe(site: Path, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), str(ROOT / "plugins")]),
           "XDG_CACHE_HOME": str(cache)}
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_third_party_backend_registers_like_the_built_ins_and_the_table_is_remembered(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    (site / "echo_plugin.py").write_text(PLUGIN)
    _install(site, "echo_plugin", "echo = echo_plugin:EchoBackend")
    first = _probe(site, cache)
    assert {"echo", "tensorrt", "onnxruntime"} <= set(first["names"])
    assert first["echo"] == "echo_plugin:EchoBackend" and first["echo_library"] == "echo 1.0"
    assert first["scanned"]
    (cached,) = (cache / "engine-studio").glob("backends-*.json")
    assert json.loads(cached.read_text())["entries"]["echo"] == "echo_plugin:EchoBackend"
    second = _probe(site, cache)
    assert second == {**first, "scanned": False}  # from the cache, without importlib.metadata


def test_installing_or_removing_a_backend_is_seen_at_once(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    assert _probe(site, cache)["echo"] is None
    time.sleep(0.01)  # a new mtime even on a coarse clock
    (site / "echo_plugin.py").write_text(PLUGIN)
    _install(site, "echo_plugin", "echo = echo_plugin:EchoBackend")
    after_install = _probe(site, cache)
    assert after_install["scanned"] and after_install["echo"] == "echo_plugin:EchoBackend"
    time.sleep(0.01)
    for f in (site / "echo_plugin-0.1.dist-info").iterdir():
        f.unlink()
    (site / "echo_plugin-0.1.dist-info").rmdir()
    after_removal = _probe(site, cache)
    assert after_removal["scanned"] and after_removal["echo"] is None


def test_a_corrupt_or_unwritable_cache_is_no_error(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    assert "tensorrt" in _probe(site, cache)["names"]
    (cached,) = (cache / "engine-studio").glob("backends-*.json")
    cached.write_text("{not json")
    assert "tensorrt" in _probe(site, cache)["names"]
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    assert "tensorrt" in _probe(site, blocker)["names"]


FORMAT_PROBE = """
import json, sys
from studio.core.backends.check import check_artifact
from studio.core.backends.layer_reports import detect, load_plan
from studio.core.reports.environment import library_versions
art = sys.argv[1]
plan = load_plan(art)
check = check_artifact(art)
print(json.dumps({"format": plan.source_format, "layers": [[l.name, list(l.onnx_nodes)] for l in plan.layers],
                  "detect": detect(open(art).read()), "check_backend": check.backend,
                  "reasons": check.reasons, "facts": check.facts,
                  "libraries": sorted(library_versions())}))
"""


def test_a_third_party_backend_brings_its_own_artifact_format(tmp_path):
    """Recognizing the artifact, reading its layers into a Plan, checking it and listing its
    library: all through the plugin, with no change to the core."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    (site / "echo_plugin.py").write_text(PLUGIN)
    _install(site, "echo_plugin", "echo = echo_plugin:EchoBackend")
    art = tmp_path / "model.echo"
    art.write_text("ECHO\nfused_ab <- a, b\nc <- c\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), str(ROOT / "plugins")]),
           "XDG_CACHE_HOME": str(cache)}
    r = subprocess.run([sys.executable, "-c", FORMAT_PROBE, str(art)], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["format"] == got["detect"] == "echo_layers"
    assert got["layers"] == [["fused_ab", ["a", "b"]], ["c", ["c"]]]
    assert got["check_backend"] == "echo"
    assert got["reasons"] == ["echo artifacts only echo"] and got["facts"] == {"echo": True}
    assert {"echo", "onnxruntime", "tensorrt", "numpy"} <= set(got["libraries"])
