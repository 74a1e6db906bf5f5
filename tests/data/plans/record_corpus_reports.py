"""Re-record the TensorRT-RTX `Layers:` reports of the model corpus (tests/data/corpus), as the
studio's own builds write them (`<engine>.layers.txt`), into corpus/ beside this script:

    .venv/bin/python tests/data/plans/record_corpus_reports.py

Each corpus model is built in FP32, FP16 and INT8 (INT8 calibrated on the demo's texts with the
model's own tokenizer, or on random images for the CNN); about a minute in all on 2 cores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


def main() -> int:
    models = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["models"]
    out_dir = HERE / "corpus"
    out_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for entry in models:
            if entry["kind"] == "cnn":
                spec = entry["inputs"][0]
                data = tmp / f"{entry['name']}.npz"
                shape = [16 if not isinstance(d, int) else d for d in spec["shape"]]
                np.savez(data, **{spec["name"]: np.random.default_rng(0).standard_normal(shape).astype(np.float32)})
                calib = ["--calib", str(data)]
            else:
                calib = ["--calib", str(CALIB), "--calib-column", "text", "--tokenizer", str(CORPUS / entry["tokenizer"])]
            for precision in ("fp32", "fp16", "int8"):
                engine = tmp / f"{entry['name']}.{precision}.engine"
                argv = [sys.executable, "-m", "studio", "build", str(CORPUS / entry["path"]), "--backend", "tensorrt",
                        "--precision", precision, "-o", str(engine), "--quiet"]
                subprocess.run(argv + (calib if precision == "int8" else []), check=True, cwd=ROOT)
                target = out_dir / f"{entry['name']}.{precision}.layers.txt"
                shutil.copyfile(engine.with_name(engine.name + ".layers.txt"), target)
                print(f"{target.name}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
