"""Jobs on a real Ray cluster on this machine: two nodes on 127.0.0.1 labelled as different
targets (ray.cluster_utils.Cluster), the executor reached as a user reaches it (its entry point)."""

import json
import threading
import time
from pathlib import Path

import pytest

from studio.cli.main import main
from studio.core.backends.base import BuildConfig
from studio.core.backends.sidecar import load_sidecar
from studio.core.errors import Cancelled, StudioError
from studio.core.jobs.executor import Job, executor_for

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
STORE = 80 * 1024 * 1024
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, connect=False,
                head_node_args={"num_cpus": 1, "resources": {"target:cpu-a": 1}, "object_store_memory": STORE,
                                "node_ip_address": "127.0.0.1", "include_dashboard": False})
    c.add_node(num_cpus=1, resources={"target:cpu-b": 1}, object_store_memory=STORE, node_ip_address="127.0.0.1")
    c.wait_for_nodes()
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def executor(cluster):
    ex = executor_for(f"ray:{cluster.address}")
    yield ex
    ex.close()


def test_every_node_says_what_it_is(executor, cluster, capsys):
    targets = {t.name: t for t in executor.targets()}
    assert set(targets) == {"cpu-a", "cpu-b"}
    for t in targets.values():
        assert t.cpu["cores"] >= 1 and "onnxruntime" in t.libraries and t.node
        assert t.can("onnxruntime", "run") and t.can("tensorrt", "build")
    assert targets["cpu-a"].node != targets["cpu-b"].node
    assert main(["targets", "--cluster", f"ray:{cluster.address}", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(t["name"] for t in doc["targets"]) == ["cpu-a", "cpu-b"]
    assert all({"name", "gpu", "backends"} <= t.keys() for t in doc["targets"])


def test_a_build_lands_on_its_target_and_comes_back_whole(executor, tmp_path):
    out = tmp_path / "engines" / "m.fp32.ort.onnx"
    events = []
    ids = {t.name: t.node for t in executor.targets()}
    before = executor.uploads
    ran = executor.run(Job.build(BuildConfig(str(MODEL), "onnxruntime", str(out))), target="cpu-b",
                       on_event=events.append)
    assert ran.target == "cpu-b" and ran.node == ids["cpu-b"]
    assert out.is_file() and ran.payload["output"] == str(out)
    sidecar = load_sidecar(out)
    assert sidecar["source"]["path"] == str(MODEL)          # the caller's model, not the node's copy
    assert any(e.kind == "progress" for e in events)
    # the model went to the cluster once: a second job that reads it ships nothing
    again = executor.run(Job.build(BuildConfig(str(MODEL), "onnxruntime", str(tmp_path / "again.ort.onnx"))),
                         target="cpu-a")
    assert again.node == ids["cpu-a"] and executor.uploads == before + 1


def test_a_target_no_node_provides_is_refused_at_once(executor, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(StudioError, match="no target 'a100'.*cpu-a, cpu-b"):
        executor.run(Job.build(BuildConfig(str(MODEL), "onnxruntime", str(tmp_path / "m.ort.onnx"))), target="a100")
    assert time.monotonic() - t0 < 5


def test_cancel_reaches_the_remote_build_and_leaves_nothing(executor, tmp_path):
    out = tmp_path / "m.engine"
    cancel = threading.Event()
    when = {}

    def on_event(ev):
        if ev.kind == "progress" and ev.phase.startswith("Building") and not cancel.is_set():
            when["t"] = time.monotonic()
            cancel.set()

    with pytest.raises(Cancelled):
        executor.run(Job.build(BuildConfig(str(MODEL), "tensorrt", str(out), precision="fp16")), target="cpu-a",
                     on_event=on_event, cancel=cancel)
    assert time.monotonic() - when["t"] < 10
    assert not out.exists()


def test_build_command_on_a_cluster_target(cluster, executor, tmp_path, capsys):
    out = tmp_path / "cli" / "m.fp32.ort.onnx"
    assert main(["build", str(MODEL), "--backend", "onnxruntime", "--cluster", f"ray:{cluster.address}",
                 "--target", "cpu-b", "-o", str(out), "-q"]) == 0
    assert "built on cpu-b" in capsys.readouterr().out and out.is_file()
    assert main(["accuracy", str(out), "--data", str(ROOT / "resources/demo/intents_validation.csv"),
                 "--data-column", "text", "--limit", "16", "--json"]) == 0   # the sidecar names the caller's model
    assert json.loads(capsys.readouterr().out)["top1_agreement"] == 1.0
    assert main(["build", str(MODEL), "--target", "cpu-b", "-o", str(tmp_path / "x.onnx")]) == 2
    assert "give --cluster too" in capsys.readouterr().err


def test_a_sweep_runs_on_every_target_in_parallel_and_plans_the_peak(cluster, executor, tmp_path, capsys):
    """Builds and benchmarks of `engine-studio sweep` are jobs on the nodes: each target's rows
    were measured on its own node, and the plan prices each target by its own device-hour."""
    ids = {t.name: t.node for t in executor.targets()}
    assert main(["sweep", str(MODEL), "--cluster", f"ray:{cluster.address}", "--targets", "all",
                 "--backend", "onnxruntime", "--precisions", "fp32", "--batch", "1,4", "--duration", "0.3",
                 "--warmup", "0.1", "--out-dir", str(tmp_path), "--peak-qps", "100", "--p99-ms", "100",
                 "--price", "cpu-a=0.1,cpu-b=0.3", "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted((r["target"], r["batch"]) for r in doc["runs"]) == [("cpu-a", 1), ("cpu-a", 4), ("cpu-b", 1),
                                                                     ("cpu-b", 4)]
    for r in doc["runs"]:
        assert r["node"] == ids[r["target"]] and r["throughput"] > 0
        assert Path(r["build"]) == tmp_path / r["target"] / "model.fp32.ort.onnx" and Path(r["build"]).is_file()
    assert {p["target"] for p in doc["plans"]} == {"cpu-a", "cpu-b"}
    # the same machine twice, each with room to spare at this peak: one device each, so the
    # cheaper device-hour wins
    assert {p["target"]: p["devices"] for p in doc["plans"]} == {"cpu-a": 1, "cpu-b": 1}
    cost = {p["target"]: p["cost_per_million"] for p in doc["plans"]}
    assert doc["plan"]["target"] == "cpu-a" and cost["cpu-a"] < cost["cpu-b"]
