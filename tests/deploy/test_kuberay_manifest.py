"""The KubeRay example in deploy/: a RayCluster whose every GPU worker group names its target the
way the Ray executor reads it (a `target:NAME` custom resource), asks for one GPU per pod, and
runs the Ray version the tests run (a client of another version is refused)."""

import json
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
ray = pytest.importorskip("ray")

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "kuberay" / "engine-studio-raycluster.yaml"


def test_every_worker_group_is_a_gpu_target():
    doc = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert doc["kind"] == "RayCluster" and doc["apiVersion"] == "ray.io/v1"
    assert doc["spec"]["rayVersion"] == ray.__version__
    targets = []
    for group in doc["spec"]["workerGroupSpecs"]:
        # rayStartParams values are strings handed to `ray start`: the resources are JSON in quotes
        resources = json.loads(json.loads(group["rayStartParams"]["resources"]))
        [name] = [k.split(":", 1)[1] for k in resources if k.startswith("target:")]
        targets.append(name)
        [container] = group["template"]["spec"]["containers"]
        assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
        assert ray.__version__ in container["image"]
    assert targets == ["t4", "l4"]
    assert doc["spec"]["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
