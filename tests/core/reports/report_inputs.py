"""Report inputs made by real runs where they are cheap: an ONNX model made with onnx.helper, its
`engine-studio inspect --json`, ONNX Runtime benchmarks through the bench harness, an accuracy
check through studio.core.bench.accuracy; and sidecars in the build job's format. Shared by the
report tests in tests/core/reports, tests/cli and tests/ui (loaded by path: see `load`)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "rlo": "abc\u202egnp.exe",
    "nul": "nul\x00name",
    "long": "N" * 100_000,
}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def load(name: str = "report_inputs"):
    """Import this file from another test folder (pytest runs with --import-mode=importlib)."""
    path = Path(__file__)
    spec = importlib.util.spec_from_file_location(f"_report_test_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tiny_model(path: Path, *, hostile: bool = False, scale: float = 1.0, long_len: int = 100_000) -> Path:
    """x[batch,16] -> MatMul -> Add -> Relu -> MatMul -> y[batch,4] (logits). `hostile` names the
    nodes and tensors with HOSTILE strings (TensorRT refuses names over 4096 characters, so a
    model meant for a build passes a smaller `long_len`)."""
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((16, 32)) * scale).astype(np.float32)
    b1 = rng.standard_normal(32).astype(np.float32)
    w2 = rng.standard_normal((32, 4)).astype(np.float32)
    names = (["mm1", "add1", "relu1", "mm2"] if not hostile else
             [HOSTILE["script"], HOSTILE["img"], HOSTILE["rlo"] + HOSTILE["nul"], "N" * long_len])
    x_name, y_name = ("x", "y") if not hostile else (HOSTILE["script"], HOSTILE["img"] + "N" * long_len)
    nodes = [
        helper.make_node("MatMul", [x_name, "w1"], ["h1"], name=names[0]),
        helper.make_node("Add", ["h1", "b1"], ["h2"], name=names[1]),
        helper.make_node("Relu", ["h2"], ["h3"], name=names[2]),
        helper.make_node("MatMul", ["h3", "w2"], [y_name], name=names[3]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info(y_name, TensorProto.FLOAT, ["batch", 4])],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
                     numpy_helper.from_array(w2, "w2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="report-tests")
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def inspect_json(model: Path, out: Path) -> Path:
    """The real `engine-studio inspect --json` output, run in-process."""
    from studio.cli.main import main
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["inspect", "--json", str(model)])
    assert rc == 0
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


def ort_bench(model: Path, out: Path, *, precision: str, concurrencies=(1, 2), iterations: int = 150,
              artifact: str | None = None) -> Path:
    """A real ONNX Runtime benchmark of `model` through the bench harness, saved as results JSON."""
    from studio.core.bench.harness import Bench, BenchConfig
    from studio.core.bench.inputs import SyntheticFeed
    from studio.core.bench.plan import plan
    from studio.core.bench.results import BenchResult, save
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    def factory():
        return OnnxRuntimeRunner(str(model), intra_op_threads=1)

    probe = factory().activate()
    metas = probe.input_metadata()
    probe.deactivate()
    feed = SyntheticFeed(metas, n=32)
    base = BenchConfig(batch=1, warmup_iters=10, iterations=iterations, duration_s=None)
    runs = [Bench(factory, feed, c).run() for c in plan(base, batches=[1], concurrencies=list(concurrencies))]
    res = BenchResult(model=str(model), backend="onnxruntime", precision=precision, runs=runs,
                      artifact=artifact or str(model), runner={"name": "onnxruntime", "device": "CPU"})
    save(res, out)
    return out


def ort_accuracy(model: Path, reference: Path, out: Path, *, precision: str) -> Path:
    """A real accuracy comparison of `model` against `reference`, both on ONNX Runtime."""
    from studio.core.bench.accuracy import compare
    from studio.core.bench.inputs import SyntheticFeed
    from studio.core.bench.results import save
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    build = OnnxRuntimeRunner(str(model)).activate()
    ref = OnnxRuntimeRunner(str(reference)).activate()
    try:
        feed = SyntheticFeed(ref.input_metadata(), n=64)
        labels = np.random.default_rng(1).integers(0, 4, size=64)
        res = compare(build, ref, feed, batch=16, labels=labels, build=str(model), reference=str(reference),
                      backend="onnxruntime", precision=precision)
    finally:
        build.deactivate()
        ref.deactivate()
    save(res, out)
    return out


def sidecar(artifact: Path, model: Path, *, precision: str, backend: str = "tensorrt",
            build_seconds: float = 1.25, layer_report: str | None = None) -> Path:
    """A sidecar in the shape studio.core.backends.sidecar.make_sidecar writes."""
    artifact.write_bytes(b"\0" * 4096)
    doc = {
        "schema_version": 1, "kind": "engine-studio-artifact", "studio_version": "0.1.0",
        "created_at": "2026-11-25T12:00:00+00:00", "backend": backend, "library": "tensorrt_rtx",
        "library_version": "1.7.1", "cuda_version": None, "target_compute_capabilities": [],
        "precision": precision, "recipe": None,
        "build_config": {"model": str(model), "backend": backend, "output": str(artifact),
                         "precision": precision, "workspace": None, "optimization_level": 3,
                         "profiles": [{"name": "x", "min": [1, 16], "opt": [8, 16], "max": [32, 16]}],
                         "calibration": None, "keep_fp32": [], "timing_cache": None, "options": {}},
        "input_profiles": [], "source": {"path": str(model), "sha256": "0" * 64, "size_bytes": 1},
        "artifact": {"file": artifact.name, "sha256": "1" * 64, "size_bytes": 4096},
        "build_seconds": build_seconds, "wall_seconds": build_seconds + 0.5, "started_at": None,
        "timing_cache": None, "timing_cache_hit": None, "calibration": None,
        "layer_report": layer_report, "warnings": [], "backend_details": {},
    }
    side = artifact.with_name(artifact.name + ".json")
    side.write_text(json.dumps(doc), encoding="utf-8")
    return side


def real_build(model: Path, output: Path, *, input_name: str = "x", precision: str = "fp32") -> Path:
    """A real TensorRT-RTX build (CPU, about half a second for the tiny model) through the build
    job; returns the sidecar it wrote. The layer report lands beside the engine."""
    from studio.core.backends.base import BuildConfig, ShapeProfile
    from studio.core.jobs.build_job import run_build
    res = run_build(BuildConfig(model=str(model), backend="tensorrt", output=str(output), precision=precision,
                                profiles=[ShapeProfile(input_name, (1, 16), (4, 16), (8, 16))]))
    return Path(res.sidecar)


def real_inputs(d: Path, *, hostile: bool = False) -> dict[str, Path]:
    """A model, its inspect summary, a real build, FP32 and 'FP16' benchmarks (the second is a
    second model standing in for a faster build) and an accuracy result."""
    fp32 = tiny_model(d / "model.onnx", hostile=hostile)
    cand = tiny_model(d / "model-fast.onnx", hostile=hostile, scale=1.001)
    build_model = fp32 if not hostile else tiny_model(d / "model-build.onnx", hostile=True, long_len=4000)
    return {
        "model": fp32,
        "summary": inspect_json(fp32, d / "summary.json"),
        "sidecar": real_build(build_model, d / "model-fp32.engine",
                              input_name=HOSTILE["script"] if hostile else "x"),
        "bench32": ort_bench(fp32, d / "bench-fp32.json", precision="fp32"),
        "bench16": ort_bench(cand, d / "bench-fp16.json", precision="fp16", iterations=300,
                             artifact=str(d / ("model-fp16.engine" if not hostile
                                              else HOSTILE["nul"] + HOSTILE["rlo"] + HOSTILE["img"] + ".engine"))),
        "accuracy": ort_accuracy(cand, fp32, d / "accuracy.json", precision="fp16"),
    }


# ----------------------------------------------------------------------------- rendering checks

def png_variance(path: Path) -> float:
    """Pixel variance of a PNG through Qt (no PIL here): ~0 for a blank page."""
    from PySide6.QtGui import QImage
    img = QImage(str(path))
    assert not img.isNull(), f"not an image: {path}"
    img = img.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)[:, :w]
    return float(buf.astype(np.float64).var())


def chromium(html: Path, tmp: Path, *, dump_dom: bool = False, screenshot: Path | None = None,
             print_pdf: Path | None = None, size: str = "1000,2400", timeout: float = 90) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp / 'chromium-profile'}",
            f"--window-size={size}"]
    if dump_dom:
        args.append("--dump-dom")
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    if print_pdf is not None:
        args += [f"--print-to-pdf={print_pdf}", "--no-pdf-header-footer"]
    args.append(html.resolve().as_uri())
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    for made in (screenshot, print_pdf):
        if made is not None:
            assert made.exists(), proc.stderr[-2000:]
    return proc.stdout


def need_chromium():
    import pytest
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail("chromium is required in CI (make test installs it)")
        pytest.skip("chromium is not installed")


def need_pdftoppm():
    import pytest
    if shutil.which("pdftoppm") is None:
        if IN_CI:
            pytest.fail("pdftoppm (poppler-utils) is required in CI")
        pytest.skip("pdftoppm is not installed")


PY = sys.executable
