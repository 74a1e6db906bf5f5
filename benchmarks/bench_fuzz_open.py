"""Fuzz the open path: N mutated ONNX files (seeded from real models) through open_graph + summary.

Each file must either open or raise ModelError; anything else is a bug, and a crashed process
(a native parser or shape inference dying) is counted separately: the files run in a child
process that is restarted after a crash, so one bad file cannot hide the rest.

    .venv/bin/python benchmarks/bench_fuzz_open.py [--count 10000] [--seed 0]

Seeds: a small encoder made with onnx.helper, plus the demo intent model's structure when it has
been generated (its weights stripped so mutations land in the graph, not in the float data).
Results go to .cache/benchmarks/fuzz_open.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "benchmarks"

CHILD = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from studio.core.errors import ModelError
from studio.core.graph.onnx_loader import open_graph
from studio.core.graph.summary import summarize
for line in sys.stdin:
    path = line.strip()
    try:
        g = open_graph(path); summarize(g); g.edges(); g.topological_order()
        out = "opened"
    except ModelError:
        out = "error"
    except Exception as e:
        out = "bug:" + type(e).__name__ + ": " + str(e)[:200]
    print(out, flush=True)
"""


def seeds() -> list[bytes]:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((16, 16)).astype(np.float32), f"w{i}") for i in range(3)]
    inits.append(numpy_helper.from_array(np.array([0, 0, 2, 8], np.int64), "split"))
    nodes = [helper.make_node("MatMul", ["x", "w0"], ["q"], name="q"),
             helper.make_node("MatMul", ["x", "w1"], ["k"], name="k"),
             helper.make_node("Reshape", ["q", "split"], ["qh"], name="qh"),
             helper.make_node("Reshape", ["k", "split"], ["kh"], name="kh"),
             helper.make_node("Transpose", ["qh"], ["qt"], perm=[0, 2, 1, 3], name="qt"),
             helper.make_node("Transpose", ["kh"], ["kt"], perm=[0, 2, 3, 1], name="kt"),
             helper.make_node("MatMul", ["qt", "kt"], ["s"], name="scores"),
             helper.make_node("Softmax", ["s"], ["p"], axis=-1, name="softmax")]
    g = helper.make_graph(nodes, "attn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence", 16])],
                          [helper.make_tensor_value_info("p", TensorProto.FLOAT, None)], inits)
    out = [helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()]
    demo = ROOT / "resources" / "demo" / "generated" / "intent-minilm.onnx"
    if demo.exists():
        from studio.core.graph.onnx_loader import load_model_proto
        m = load_model_proto(demo)  # weights-free: mutations hit structure, not floats
        for t in m.graph.initializer:
            if not (t.raw_data or t.int64_data or t.float_data):
                t.raw_data = bytes(4 * max(1, min(4, len(t.dims))))  # small, inconsistent on purpose
                del t.dims[:]
                t.dims.append(len(t.raw_data) // 4)
        out.append(m.SerializeToString())
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not b:
            b = bytearray(b"\x08")
        pos = rng.randrange(len(b))
        r = rng.random()
        if r < 0.5:
            b[pos] = rng.randrange(256)
        elif r < 0.65:
            b[pos] ^= 1 << rng.randrange(8)
        elif r < 0.8:
            del b[pos:pos + rng.randint(1, 64)]
        elif r < 0.9:
            b[pos:pos] = rng.randbytes(rng.randint(1, 16))
        else:
            b = b[:pos]  # truncation
    return bytes(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    bases = seeds()
    counts = {"opened": 0, "error": 0, "bug": 0, "crash": 0}
    bugs: list[str] = []
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        child = None
        for i in range(args.count):
            path = Path(tmp) / f"fuzz_{i % 4}.onnx"
            path.write_bytes(mutate(rng, bases[i % len(bases)]))
            if child is None or child.poll() is not None:
                child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            child.stdin.write(f"{path}\n")
            child.stdin.flush()
            line = child.stdout.readline().strip()
            if not line:  # the child died on this file
                child.wait()
                counts["crash"] += 1
                keep = CACHE / f"fuzz_crash_{i}.onnx"
                CACHE.mkdir(parents=True, exist_ok=True)
                keep.write_bytes(path.read_bytes())
                bugs.append(f"file {i}: process died with {child.returncode}; kept {keep}")
                child = None
                continue
            kind = line.split(":", 1)[0]
            counts[kind] += 1
            if kind == "bug":
                bugs.append(f"file {i}: {line}")
        if child is not None:
            child.stdin.close()
            child.wait()
    seconds = time.perf_counter() - t0
    result = {"count": args.count, "seed": args.seed, "seeds": len(bases), **counts, "seconds": seconds,
              "problems": bugs[:50]}
    print(f"{args.count} mutated files from {len(bases)} seed models in {seconds:.0f} s: "
          f"{counts['opened']} opened, {counts['error']} clean errors, {counts['bug']} other exceptions, "
          f"{counts['crash']} crashed processes")
    for b in bugs[:10]:
        print("  " + b)
    from studio.core.io import write_json_atomic
    write_json_atomic(CACHE / "fuzz_open.json", result)
    return 0 if counts["bug"] == 0 and counts["crash"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
