"""A benchmark run from the window on a target of a real Ray cluster on 127.0.0.1: the target is
offered once the Targets tab has found it, the run goes to that node, and its live samples reach
the window's plots as a local run's do."""

import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

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


def test_a_benchmark_on_a_cluster_target_streams_into_the_window(qtbot, window, open_model, cluster, tmp_path):
    model = Path(shutil.copytree(MODEL.parent, tmp_path / "user")) / MODEL.name
    open_model(window, str(model))
    window.build_panel.select_backend("onnxruntime")
    window.build_panel.select_precision("fp32")
    with qtbot.waitSignal(window.build_panel.built, timeout=120000) as built:
        window.build_panel.start_build()
    entry = built.args[0]
    window.sweep.cluster.setText(f"ray:{cluster.address}")
    with qtbot.waitSignal(window.sweep.targets_loaded, timeout=120000):
        window.sweep.load_targets()
    # the node's cache of shipped files, without this artifact: the run must ship it
    import hashlib

    from studio_ray.executor import CACHE
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
