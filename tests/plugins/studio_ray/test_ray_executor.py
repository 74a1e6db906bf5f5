"""Jobs on a real Ray cluster on this machine: two nodes on 127.0.0.1 labelled as different
targets (ray.cluster_utils.Cluster), the executor reached as a user reaches it (its entry point)."""

import json
import threading
import time
from pathlib import Path

import onnx
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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    client_port = _free_port()       # Ray Client's server on the head, as `ray start --head` runs one
    c = Cluster(initialize_head=True, connect=False,
                head_node_args={"num_cpus": 1, "resources": {"target:cpu-a": 1}, "object_store_memory": STORE,
                                "node_ip_address": "127.0.0.1", "include_dashboard": False,
                                "ray_client_server_port": client_port})
    c.client_port = client_port
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
    # A model no other test ships (its own doc string): the upload count below is this test's alone,
    # whatever order the module's tests run in.
    model = onnx.load(str(MODEL))
    model.doc_string = f"shipped once by {tmp_path.name}"
    mine = tmp_path / "model.onnx"
    onnx.save(model, str(mine))
    out = tmp_path / "engines" / "m.fp32.ort.onnx"
    events = []
    ids = {t.name: t.node for t in executor.targets()}
    before = executor.uploads
    ran = executor.run(Job.build(BuildConfig(str(mine), "onnxruntime", str(out))), target="cpu-b",
                       on_event=events.append)
    assert ran.target == "cpu-b" and ran.node == ids["cpu-b"]
    assert out.is_file() and ran.payload["output"] == str(out)
    sidecar = load_sidecar(out)
    assert sidecar["source"]["path"] == str(mine)           # the caller's model, not the node's copy
    assert any(e.kind == "progress" for e in events)
    # the model went to the cluster once: a second job that reads it ships nothing
    again = executor.run(Job.build(BuildConfig(str(mine), "onnxruntime", str(tmp_path / "again.ort.onnx"))),
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
    assert main(["sweep", str(MODEL), "--cluster", f"ray:{cluster.address}", "--targets", "cpu-a,cpu-b",
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


def test_a_node_that_dies_mid_job_costs_a_rerun_on_another_node_of_its_target(cluster, executor, tmp_path):
    """Two nodes give target cpu-c; the one running a build is removed mid-build: the build runs
    again on the other and comes back once. With no node of the target left, the job fails
    saying which node died, and nothing partial is left."""
    added = [cluster.add_node(num_cpus=1, resources={"target:cpu-c": 1}, object_store_memory=STORE,
                              node_ip_address="127.0.0.1") for _ in range(2)]
    cluster.wait_for_nodes()
    removers: list[threading.Thread] = []
    try:
        _survive_node_deaths(cluster, executor, added, removers, tmp_path)
    finally:                      # the other tests see the two targets they expect
        for r in removers:
            r.join(60)
        for n in added:
            if n in cluster.worker_nodes:
                cluster.remove_node(n)


def _remove_soon(cluster, node, removers):
    """Remove `node` from another thread: the job's event callback must return for the executor
    to notice."""
    removers.append(threading.Thread(target=cluster.remove_node, args=(node,), daemon=True))
    removers[-1].start()


def _survive_node_deaths(cluster, executor, added, removers, tmp_path):
    by_id = {n.node_id: n for n in added}
    out = tmp_path / "m.engine"
    killed = []

    def kill_its_node(ev):
        if ev.kind == "progress" and ev.phase.startswith("Building") and not killed:
            running = executor._node_for("cpu-c", avoid=[])["NodeID"]
            killed.append(running)
            _remove_soon(cluster, by_id[running], removers)

    t0 = time.monotonic()
    ran = executor.run(Job.build(BuildConfig(str(MODEL), "tensorrt", str(out), precision="fp16")), target="cpu-c",
                       on_event=kill_its_node)
    assert killed and ran.node != killed[0] and ran.target == "cpu-c"
    assert any("died" in n and "ran again" in n for n in ran.notes), ran.notes
    assert out.is_file() and load_sidecar(out)["precision"] == "fp16"
    assert time.monotonic() - t0 < 240
    # the last node of the target dies too: a clear failure, nothing written
    last = next(n for n in added if n.node_id != killed[0])
    lost = tmp_path / "lost.engine"
    killed.clear()

    def kill_last(ev):
        if ev.kind == "progress" and ev.phase.startswith("Building") and not killed:
            killed.append(last.node_id)
            _remove_soon(cluster, last, removers)

    with pytest.raises(StudioError, match=r"the build was lost: node \w+ of target cpu-c died .*no other node of "
                                          r"cpu-c is left"):
        executor.run(Job.build(BuildConfig(str(MODEL), "tensorrt", str(lost), precision="fp16")), target="cpu-c",
                     on_event=kill_last)
    assert not lost.exists() and not lost.with_name(lost.name + ".json").exists()


def test_a_client_of_another_ray_version_is_refused_naming_both(cluster, tmp_path):
    """What a desktop with another Ray than the cluster's sees: one line with both versions, and
    the command fails (exit 2) instead of half-working."""
    import os
    import subprocess
    import sys

    script = ("import sys, ray; ray.__version__ = '2.0.0'; from studio.cli.main import main; "
              f"sys.exit(main(['targets', '--cluster', 'ray:{cluster.address}']))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}, cwd=str(ROOT))
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert f"the cluster runs Ray {ray.__version__} on Python" in line and "this machine Ray 2.0.0" in line, line
    assert "Traceback" not in out.stderr


def test_the_compatibility_matrix_checks_each_engine_on_each_target(cluster, executor, mlp_path, tmp_path, capsys):
    """A TensorRT engine and an ONNX Runtime build, checked on each node: the optimized model runs
    on both CPU nodes, the engine on neither, with the node's own reason."""
    engine, ort = tmp_path / "mlp.engine", tmp_path / "mlp.fp32.ort.onnx"
    assert main(["build", str(mlp_path), "--backend", "tensorrt", "-o", str(engine), "-q"]) == 0
    assert main(["build", str(mlp_path), "--backend", "onnxruntime", "-o", str(ort), "-q"]) == 0
    capsys.readouterr()
    assert main(["check", str(engine), str(ort), "--cluster", f"ray:{cluster.address}", "--targets", "cpu-a,cpu-b",
                 "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["targets"] == ["cpu-a", "cpu-b"]
    cells = {(Path(c["artifact"]).name, c["target"]): c for c in doc["matrix"]}
    assert len(cells) == 4
    for target in ("cpu-a", "cpu-b"):
        assert cells[("mlp.fp32.ort.onnx", target)]["runs"] and not cells[("mlp.fp32.ort.onnx", target)]["reasons"]
        why = cells[("mlp.engine", target)]
        assert not why["runs"] and why["reasons"] and "not checked" not in why["reasons"][0]
    assert all(c["artifact"] in (str(engine), str(ort)) for c in doc["matrix"])   # the caller's paths
    assert main(["check", str(engine), "--targets", "cpu-a"]) == 2
    assert "give --cluster too" in capsys.readouterr().err


def test_a_precision_search_spreads_its_probes_over_the_targets(cluster, tmp_path, capsys):
    """The sensitivity scan (one probe model per quantizable node) split between the two nodes:
    every node probed once, and the same sensitivities as the scan made here."""
    val = ROOT / "resources" / "demo" / "intents_validation.csv"
    calib = ROOT / "resources" / "demo" / "intents_calibration.csv"
    quick = [str(MODEL), "--target", "int8", "--data", str(val), "--data-column", "text", "--calib", str(calib),
             "--calib-column", "text", "--calib-samples", "16", "--limit", "16", "--threads", "1",
             "--sensitivity-samples", "8", "--budget", "100", "--budget-metric", "cosine", "--json", "-q"]
    assert main(["precision", *quick, "-o", str(tmp_path / "here.json")]) == 0
    here = json.loads(capsys.readouterr().out)
    assert main(["precision", *quick, "-o", str(tmp_path / "there.json"), "--cluster", f"ray:{cluster.address}",
                 "--targets", "cpu-a,cpu-b"]) == 0
    there = json.loads(capsys.readouterr().out)
    drift = {s["node"]: s["score"] for s in here["sensitivity"]}
    assert sorted(s["node"] for s in there["sensitivity"]) == sorted(drift)           # each node once
    for s in there["sensitivity"]:
        assert s["score"] == pytest.approx(drift[s["node"]], rel=1e-3, abs=1e-4)
    assert there["kept"] == here["kept"]


def test_an_unreachable_cluster_is_one_line_in_seconds(tmp_path):
    """Nothing listens at the address: the command says so at once (Ray alone retries for
    minutes), and a malformed address says how to write one."""
    import os
    import subprocess
    import sys

    for address, needle in (("ray:127.0.0.1:9", "cannot reach the Ray cluster at ray:127.0.0.1:9"),
                            ("ray:nohost", "write ray:HOST:PORT")):
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "studio.cli.main", "targets", "--cluster", address],
                             capture_output=True, text=True, timeout=120, cwd=str(ROOT),
                             env={**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"})
        assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert time.monotonic() - t0 < 60


def test_bench_command_on_a_cluster_target(cluster, mlp_path, tmp_path, capsys):
    ort = tmp_path / "mlp.fp32.ort.onnx"
    assert main(["build", str(mlp_path), "--backend", "onnxruntime", "-o", str(ort), "-q"]) == 0
    capsys.readouterr()
    assert main(["bench", str(ort), "--cluster", f"ray:{cluster.address}", "--target", "cpu-b", "--batch", "1,2",
                 "--duration", "0.3", "--warmup", "0.1", "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["batch"] for r in doc["runs"]] == [1, 2] and all(r["throughput"] > 0 for r in doc["runs"])
    assert doc["runner"]["target"] == "cpu-b" and doc["inputs"]["kind"] == "synthetic"
    # the P99 search's runs go there too (a budget no rate meets: the start rate, then 4 below it)
    assert main(["bench", str(ort), "--cluster", f"ray:{cluster.address}", "--target", "cpu-b", "--p99-budget",
                 "0.000001", "--qps", "400", "--duration", "0.5", "--warmup", "0", "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    [search] = [n["p99_budget_search"] for n in doc["notes"]]
    assert search["max_rate"] is None and [t["rate"] for t in search["tried"]] == [400, 200, 100, 50, 25]
    assert len(doc["runs"]) == 1 + 5 and doc["runner"]["target"] == "cpu-b"   # the --qps run, then the search


def test_accuracy_command_on_a_cluster_target(cluster, tmp_path, capsys):
    """The check runs on the node with what this machine finds beside the build (its sidecar, the
    FP32 source, the tokenizer): the same figures as the check made here."""
    ort = tmp_path / "m.fp32.ort.onnx"
    assert main(["build", str(MODEL), "--backend", "onnxruntime", "-o", str(ort), "-q"]) == 0
    val = ["--data", str(ROOT / "resources/demo/intents_validation.csv"), "--data-column", "text", "--limit", "16",
           "--json"]
    capsys.readouterr()
    assert main(["accuracy", str(ort), *val]) == 0
    here = json.loads(capsys.readouterr().out)
    assert main(["accuracy", str(ort), *val, "--cluster", f"ray:{cluster.address}", "--target", "cpu-a"]) == 0
    there = json.loads(capsys.readouterr().out)
    assert there["build"] == str(ort) and there["reference"] == here["reference"]    # the caller's paths
    assert there["precision"] == "fp32" and there["samples"] == here["samples"] == 16
    assert there["top1_agreement"] == here["top1_agreement"] == 1.0


def test_a_desktop_reaches_the_cluster_through_ray_client(cluster, tmp_path):
    """`ray://HEAD:PORT`: the desktop is not a node of the cluster (a separate process here, as
    this one is already the cluster's driver); targets are listed and a build lands on its target."""
    import os
    import subprocess
    import sys

    address = f"ray://127.0.0.1:{cluster.client_port}"
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    out = subprocess.run([sys.executable, "-m", "studio.cli.main", "targets", "--cluster", address, "--json"],
                         capture_output=True, text=True, timeout=240, cwd=str(ROOT), env=env)
    assert out.returncode == 0, out.stderr
    assert sorted(t["name"] for t in json.loads(out.stdout)["targets"]) == ["cpu-a", "cpu-b"]
    built = tmp_path / "m.fp32.ort.onnx"
    out = subprocess.run([sys.executable, "-m", "studio.cli.main", "build", str(MODEL), "--backend", "onnxruntime",
                          "--cluster", address, "--target", "cpu-b", "-o", str(built), "-q"],
                         capture_output=True, text=True, timeout=240, cwd=str(ROOT), env=env)
    assert out.returncode == 0, out.stderr
    assert "built on cpu-b" in out.stdout and built.is_file() and load_sidecar(built)["source"]["path"] == str(MODEL)


def test_ray_client_tries_again_when_the_head_could_not_start_its_server(monkeypatch):
    """Ray Client's head starts a server process per connection; on a busy head that start can
    fail at once (seen in CI). A new connection gets a new one: tried three times in all, and
    the error then says what the head said, not only Ray's "Initialization failure from server:"."""
    from studio_ray import executor as ex

    failure = ConnectionAbortedError("Initialization failure from server:\nTraceback (most recent call last):\n"
                                     "  File \"proxier.py\", line 770, in Datapath\n"
                                     "RuntimeError: Starting Ray client server failed.")
    monkeypatch.setattr(ex.ray, "shutdown", lambda: None)
    calls = []

    def fails_twice():
        calls.append(1)
        if len(calls) < 3:
            raise failure

    ex._init_with_retries(fails_twice, wait_s=0)
    assert len(calls) == 3

    calls.clear()

    def always_fails():
        calls.append(1)
        raise failure

    with pytest.raises(ConnectionAbortedError):
        ex._init_with_retries(always_fails, wait_s=0)
    assert len(calls) == ex.CLIENT_START_ATTEMPTS
    assert ex.connect_error(failure).startswith("the head could not start a Ray Client server for this connection: "
                                                "RuntimeError: Starting Ray client server failed. (this machine: Ray ")

    calls.clear()

    def refused():
        calls.append(1)
        raise ConnectionAbortedError("Version mismatch: the cluster runs another Ray")

    with pytest.raises(ConnectionAbortedError):
        ex._init_with_retries(refused, wait_s=0)
    assert len(calls) == 1          # anything else is final at once
