"""A build and a benchmark run from the window on a target of a real Ray cluster on 127.0.0.1:
the target is offered once the Targets tab has found it, the jobs go to that node, the engine
comes back, and the benchmark's live samples reach the window's plots as a local run's do."""

import hashlib
import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from studio_ray.executor import CACHE  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, connect=False,
                head_node_args={"num_cpus": 1, "object_store_memory": 80 << 20, "node_ip_address": "127.0.0.1",
                                "include_dashboard": False})
    c.add_node(num_cpus=1, resources={"target:cpu-r": 1}, object_store_memory=80 << 20, node_ip_address="127.0.0.1")
    c.wait_for_nodes()
    yield c
    ray.shutdown()
    c.shutdown()


def test_a_build_and_a_benchmark_on_a_cluster_target_from_the_window(qtbot, window, open_model, cluster, tmp_path):
    model = Path(shutil.copytree(MODEL.parent, tmp_path / "user")) / MODEL.name
    open_model(window, str(model))
    window.sweep.cluster.setText(f"ray:{cluster.address}")
    with qtbot.waitSignal(window.sweep.targets_loaded, timeout=120000):
        window.sweep.load_targets()
    panel = window.build_panel
    names = [panel.where.itemText(i) for i in range(panel.where.count())]
    assert "cpu-r" in names
    panel.where.setCurrentIndex(names.index("cpu-r"))
    panel.select_backend("onnxruntime")
    panel.select_precision("fp32")
    # the node's cache of shipped files, without this model: the build must ship it there
    shipped_model = CACHE / "files" / hashlib.sha256(model.read_bytes()).hexdigest()
    shutil.rmtree(shipped_model, ignore_errors=True)
    with qtbot.waitSignal(panel.built, timeout=120000) as built:
        panel.start_build()
    entry = built.args[0]
    assert (shipped_model / model.name).is_file()                   # built on the node
    assert Path(entry.result.output).is_file() and Path(entry.result.output + ".json").is_file()   # came back
    # and without the build: the benchmark must ship it
    cached = CACHE / "files" / hashlib.sha256(Path(entry.result.output).read_bytes()).hexdigest()
    shutil.rmtree(cached, ignore_errors=True)
    bench = window.bench
    names = [bench.where.itemText(i) for i in range(bench.where.count())]
    assert "cpu-r" in names
    bench.where.setCurrentIndex(names.index("cpu-r"))
    bench.check([entry.key])
    bench.batches.setText("2")
    bench.duration.setValue(0.5)
    with qtbot.waitSignal(bench.finished, timeout=120000) as done:
        assert bench.start() is not None
    [(ran_entry, run)] = done.args[0]
    assert ran_entry.key == entry.key and run.batch == 2
    assert (cached / Path(entry.result.output).name).is_file()      # the build went to the node
    [series] = bench.live.series.values()
    # every request the node measured reached the plots, once
    assert series.lat.n == run.requests and series.result is run
    assert not window.errors.history
