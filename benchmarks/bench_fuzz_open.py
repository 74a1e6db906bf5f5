"""Fuzz the open path: N mutated ONNX files through studio.core.graph.onnx_loader.open_graph (and
`engine-studio inspect` in a child process for a sample), counting opened / clean error / bug /
crash / hang.

    .venv/bin/python benchmarks/bench_fuzz_open.py --count 10000          # the full run (~minutes)
    .venv/bin/python benchmarks/bench_fuzz_open.py --count 300 --seed 7   # what tests/robustness runs

Seeds are real models: small onnx.helper graphs (an MLP, a BERT-style encoder layer, an If with
subgraphs, a Constant-node model, a model with external data beside it) and, when present, the
demo model resources/demo/generated/intent-minilm.onnx. Mutations are byte-level (bit flips, random
bytes, truncation, a length prefix rewritten, a huge varint inserted, a chunk duplicated or
deleted, a splice of two seeds) and protobuf-level (bogus external-data entries, absurd or negative
dims, huge attributes, unknown ops and opsets, dangling inputs, cycles).

Each file is opened in a worker process (the studio's own open path, in-process there, exactly
as the window and the CLI call it), so a native crash of the parser shows up as a dead worker
here instead of killing the fuzzer; the worker is restarted and the file counted as a crash. The
oracle: a file either opens (and summarizes, and every external-data location it kept lies inside
its folder) or raises a ModelError naming the file. Anything else is a bug (Python exception other
than ModelError), a crash (worker died by a signal) or a hang (no answer within --timeout s).
Counts and seconds go to stdout and .cache/benchmarks/fuzz_open.json; failing files are copied to
.cache/fuzz_failures/ for replay.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "resources" / "demo" / "generated" / "intent-minilm.onnx"
OUTCOMES = ("opened", "error", "bug", "crash", "hang")

# ---------------------------------------------------------------------------------------------
# seeds


def _mlp(seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(rng.standard_normal((16, 32)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.standard_normal(32).astype(np.float32), "b1"),
             numpy_helper.from_array(rng.standard_normal((32, 4)).astype(np.float32), "w2"),
             numpy_helper.from_array(np.array([0, -1], np.int64), "shape")]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
             helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
             helper.make_node("Relu", ["hb"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "w2"], ["g"], name="fc2", transB=0, alpha=1.0),
             helper.make_node("Reshape", ["g", "shape"], ["y"], name="flat"),
             helper.make_node("Softmax", ["y"], ["p"], name="softmax", axis=-1)]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
                          [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["batch", 4])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="fuzz-seed")


def _encoder() -> onnx.ModelProto:
    """One BERT-style attention block: Gather embeddings, Q/K/V MatMul+Add, Reshape/Transpose,
    scores, mask, Softmax, context, LayerNormalization."""
    rng = np.random.default_rng(1)
    H, heads = 16, 2
    inits = []

    def w(name, *shape, dtype=np.float32):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.02).astype(dtype), name))
        return name

    def c(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    c("split", np.array([0, 0, heads, H // heads], np.int64))
    c("merge", np.array([0, 0, H], np.int64))
    c("scale", np.array(0.35, np.float32))
    c("axes", np.array([1, 2], np.int64))
    nodes = [helper.make_node("Gather", [w("emb", 40, H), "input_ids"], ["x"], name="embed"),
             helper.make_node("Cast", ["attention_mask"], ["mf"], name="mask_cast", to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["mf", "axes"], ["m4"], name="mask_4d")]
    for part, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        nodes += [helper.make_node("MatMul", ["x", w(part + "_w", H, H)], [part + "_mm"], name=part + "_proj"),
                  helper.make_node("Add", [part + "_mm", w(part + "_b", H)], [part + "_a"], name=part + "_bias"),
                  helper.make_node("Reshape", [part + "_a", "split"], [part + "_r"], name=part + "_split"),
                  helper.make_node("Transpose", [part + "_r"], [part + "_t"], name=part + "_perm", perm=perm)]
    nodes += [helper.make_node("MatMul", ["q_t", "k_t"], ["s"], name="scores"),
              helper.make_node("Mul", ["s", "scale"], ["ss"], name="scale_scores"),
              helper.make_node("Add", ["ss", "m4"], ["sm"], name="mask_add"),
              helper.make_node("Softmax", ["sm"], ["p"], name="softmax", axis=-1),
              helper.make_node("MatMul", ["p", "v_t"], ["ctx"], name="context"),
              helper.make_node("Transpose", ["ctx"], ["ctx_t"], name="ctx_perm", perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["ctx_t", "merge"], ["ctx_m"], name="merge_heads"),
              helper.make_node("LayerNormalization", ["ctx_m", w("ln_g", H), w("ln_b", H)], ["out"],
                               name="ln", axis=-1, epsilon=1e-12)]
    ins = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
           helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])]
    outs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "sequence", H])]
    return helper.make_model(helper.make_graph(nodes, "encoder", ins, outs, inits),
                             opset_imports=[helper.make_opsetid("", 17)], producer_name="fuzz-seed")


def _if_model() -> onnx.ModelProto:
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t"], name="then_relu")], "then", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 3])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"], name="else_neg")], "else", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2, 3])])
    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], name="sum", keepdims=0),
             helper.make_node("Greater", ["s", "zero"], ["cond"], name="gt"),
             helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g, else_branch=else_g)]
    g = helper.make_graph(nodes, "if", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
                          [numpy_helper.from_array(np.array(0.0, np.float32), "zero")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _constant_model() -> onnx.ModelProto:
    big = numpy_helper.from_array(np.arange(600, dtype=np.float32).reshape(20, 30), "k")
    nodes = [helper.make_node("Constant", [], ["c"], name="const", value=big),
             helper.make_node("MatMul", ["x", "c"], ["y"], name="mm"),
             helper.make_node("Concat", ["y", "y"], ["z"], name="cat", axis=1)]
    g = helper.make_graph(nodes, "const", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 20])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", 60])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


EXT_FILE = "weights.bin"


def _external_model(folder: Path) -> onnx.ModelProto:
    """The MLP with its weights in `folder/weights.bin`; returns the proto that points there."""
    m = _mlp(3)
    onnx.save(m, folder / "ext_seed.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location=EXT_FILE, size_threshold=0)
    return onnx.load(folder / "ext_seed.onnx", load_external_data=False)


def make_seeds(folder: Path, with_demo: bool) -> list[tuple[str, bytes, onnx.ModelProto | None]]:
    """(name, bytes, parsed proto) per seed. The demo model's proto is parsed lazily (90 MB)."""
    seeds = []
    for name, m in (("mlp", _mlp()), ("encoder", _encoder()), ("if", _if_model()), ("constant", _constant_model()),
                    ("external", _external_model(folder))):
        if name != "external":  # its data lives beside it; the checker would want a base path
            onnx.checker.check_model(m)
        seeds.append((name, m.SerializeToString(), m))
    if with_demo and DEMO.is_file():
        seeds.append(("demo", DEMO.read_bytes(), None))
    return seeds


# ---------------------------------------------------------------------------------------------
# mutations

def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


HUGE = [2 ** 31, 2 ** 32 - 1, 2 ** 60, 2 ** 63 - 1, 2 ** 64 - 1, -1 & (2 ** 64 - 1)]


def _pos(rng: random.Random, b: bytearray, demo: bool) -> int:
    # For the demo model most bytes are weights that nothing parses: aim at the structure (the
    # graph's nodes come after the initializers; the header is at the start) most of the time.
    if demo and rng.random() < 0.8:
        return rng.choice([rng.randrange(min(len(b), 4096)), len(b) - 1 - rng.randrange(min(len(b), 200_000))])
    return rng.randrange(len(b))


def mutate_bytes(rng: random.Random, data: bytes, other: bytes, demo: bool) -> tuple[str, bytes]:
    b = bytearray(data)
    kind = rng.choice(["flip", "bytes", "truncate", "length", "huge_varint", "duplicate", "delete", "splice"])
    for _ in range(1 if kind in ("truncate", "splice") else rng.randint(1, 4)):
        if not b:
            break
        p = _pos(rng, b, demo)
        if kind == "flip":
            b[p] ^= 1 << rng.randrange(8)
        elif kind == "bytes":
            b[p:p + 1] = rng.randbytes(rng.randint(1, 8))
        elif kind == "truncate":
            del b[rng.randrange(len(b)):]
        elif kind == "length":
            # a length-delimited field key (wire type 2) followed by its varint length: rewrite it
            cands = [i for i in range(max(0, p - 64), min(len(b) - 1, p + 64)) if b[i] & 7 == 2 and b[i] >> 3]
            if cands:
                i = rng.choice(cands) + 1
                end = i
                while end < len(b) and b[end] & 0x80 and end - i < 10:
                    end += 1
                old = 0
                for k, byte in enumerate(b[i:end + 1]):
                    old |= (byte & 0x7F) << (7 * k)
                new = rng.choice([0, old + 1, max(0, old - 1), old * 2 + 7, rng.choice(HUGE)])
                b[i:end + 1] = _varint(new)
        elif kind == "huge_varint":
            ins = _varint(rng.choice(HUGE)) if rng.random() < 0.7 else b"\xff" * rng.randint(10, 20)
            if rng.random() < 0.5:  # after a plausible key: field n, varint or length-delimited
                ins = bytes([(rng.randint(1, 15) << 3) | rng.choice([0, 2])]) + ins
            b[p:p] = ins
        elif kind == "duplicate":
            n = rng.randint(1, 256)
            chunk = bytes(b[p:p + n])
            q = _pos(rng, b, demo)
            b[q:q] = chunk
        elif kind == "delete":
            del b[p:p + rng.randint(1, 64)]
        elif kind == "splice":
            q = rng.randrange(len(other)) if other else 0
            b = b[:p] + bytearray(other[q:q + rng.randint(16, 4096)]) + b[p:]
    return kind, bytes(b)


BAD_LOCATIONS = ["../secret.bin", "../../etc/passwd", "a/../../secret.bin", "/etc/passwd", "C:\\x.bin",
                 "sub/../../secret.bin", "", ".", "weights.bin\x00.txt", "link_out.bin", "hard_out.bin",
                 "fifo.bin", "nowhere.bin", "subdir", EXT_FILE]
BAD_NUMBERS = ["-1", "abc", str(2 ** 60), str(2 ** 64 + 5), "99999999999999999999999", " 0", "0x10", "1e3", "",
               "0", "64", "4096"]
BAD_KEYS = ["__class__", "__dict__", "basepath", "made_up", "_private", "checksum", "location"]


def _tensors(m: onnx.ModelProto):
    out = list(m.graph.initializer)
    for n in m.graph.node:
        for a in n.attribute:
            if a.HasField("t"):
                out.append(a.t)
    return out


def mutate_proto(rng: random.Random, m: onnx.ModelProto) -> tuple[str, bytes]:
    m2 = onnx.ModelProto()
    m2.CopyFrom(m)
    g = m2.graph
    kind = rng.choice(["external", "dims", "value_dims", "attribute", "op", "opset", "dangling", "cycle",
                       "dtype", "ir_version"])
    tensors = _tensors(m2)
    if kind == "external" and tensors:
        t = rng.choice(tensors)
        t.data_location = TensorProto.EXTERNAL
        t.ClearField("raw_data")
        del t.external_data[:]
        for _ in range(rng.randint(1, 4)):
            e = t.external_data.add()
            e.key = rng.choice(["location"] * 3 + ["offset", "length"] * 2 + BAD_KEYS)
            e.value = rng.choice(BAD_LOCATIONS) if e.key == "location" else rng.choice(BAD_NUMBERS)
    elif kind == "dims" and tensors:
        t = rng.choice(tensors)
        choice = rng.random()
        if choice < 0.3:
            t.dims[:] = [rng.choice([2 ** 62, 2 ** 40, -1, 0, 2 ** 31])]
        elif choice < 0.6:
            t.dims[:] = [rng.randint(1, 2 ** 20) for _ in range(rng.randint(1, 40))]
        else:
            t.dims.append(rng.choice([2 ** 62, -5, 3]))
    elif kind == "value_dims":
        vis = list(g.input) + list(g.output) + list(g.value_info)
        if vis:
            vi = rng.choice(vis)
            tt = vi.type.tensor_type
            for _ in range(rng.randint(1, 3)):
                d = tt.shape.dim.add()
                r = rng.random()
                if r < 0.5:
                    d.dim_value = rng.choice([2 ** 62, -7, 0, 2 ** 40])
                else:
                    d.dim_param = rng.choice(["", "batch", "\x00", "x" * 5000])
    elif kind == "attribute" and g.node:
        n = rng.choice(g.node)
        a = n.attribute.add()
        a.name = rng.choice(["axis", "perm", "to", "epsilon", "value", "then_branch", "__class__", "axes"])
        r = rng.random()
        if r < 0.3:
            a.type, a.i = onnx.AttributeProto.INT, rng.choice([2 ** 62, -2 ** 62, 999, -999])
        elif r < 0.6:
            a.type = onnx.AttributeProto.INTS
            a.ints.extend(rng.choice([2 ** 62, -1, 0, 7]) for _ in range(rng.randint(0, 100)))
        elif r < 0.8:
            a.type = onnx.AttributeProto.STRING
            a.s = rng.randbytes(rng.randint(0, 64))
        else:
            a.type = rng.choice(list(onnx.AttributeProto.AttributeType.values()))  # a type the node does not expect
    elif kind == "op" and g.node:
        n = rng.choice(g.node)
        r = rng.random()
        if r < 0.4:
            n.op_type = rng.choice(["NotAnOp", "", "Conv", "Loop", "Scan", "If", "Reshape", "Attention", "\xff"])
        elif r < 0.7:
            n.domain = rng.choice(["com.microsoft", "evil", "ai.onnx.ml", "x" * 300])
        else:
            del n.input[:]
    elif kind == "opset":
        op = m2.opset_import[0] if m2.opset_import else m2.opset_import.add()
        op.version = rng.choice([0, 1, 6, 99, 2 ** 62, -3])
        if rng.random() < 0.3:
            extra = m2.opset_import.add()
            extra.domain, extra.version = rng.choice(["", "evil"]), rng.randint(-5, 10 ** 6)
    elif kind == "dangling" and g.node:
        n = rng.choice(g.node)
        if n.input:
            n.input[rng.randrange(len(n.input))] = rng.choice(["nowhere", "", "x" * 1000])
        else:
            n.input.append("nowhere")
    elif kind == "cycle" and len(g.node) >= 2:
        a, b = rng.sample(range(len(g.node)), 2)
        if g.node[a].output and g.node[b].input:
            g.node[b].input[0] = g.node[a].output[0]
            if g.node[b].output and g.node[a].input:
                g.node[a].input[0] = g.node[b].output[0]
    elif kind == "dtype" and tensors:
        rng.choice(tensors).data_type = rng.choice([0, 8, 16, 23, 99, -1])
    else:
        m2.ir_version = rng.choice([0, 1, 2 ** 62, -1, 99])
    return "proto:" + kind, m2.SerializeToString()


def make_case(i: int, seed: int, seeds, demo_share: float) -> tuple[str, str, bytes]:
    """Case i of a run: (seed name, mutation kind, bytes). Deterministic in (seed, i)."""
    rng = random.Random(seed * 1_000_003 + i)
    demo = [s for s in seeds if s[0] == "demo"]
    small = [s for s in seeds if s[0] != "demo"]
    pick = demo[0] if demo and rng.random() < demo_share else rng.choice(small)
    name, data, proto = pick
    if rng.random() < 0.35:
        if proto is None:  # the demo model at the protobuf level: graph structure without weights
            proto = _demo_structure()
        kind, out = mutate_proto(rng, proto)
    else:
        kind, out = mutate_bytes(rng, data, rng.choice(small)[1], demo=name == "demo")
    return name, kind, out


_DEMO_STRUCT = None


def _demo_structure() -> onnx.ModelProto:
    global _DEMO_STRUCT
    if _DEMO_STRUCT is None:
        from studio.core.graph.onnx_loader import load_model_proto
        _DEMO_STRUCT = load_model_proto(DEMO)  # large weights stripped: a real structure, cheap to mutate
    return _DEMO_STRUCT


# ---------------------------------------------------------------------------------------------
# the workers: the studio's open path, in a process of its own so a crash is observable

WORKER = r"""
import json, os, sys, warnings, resource
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]) << 20, int(sys.argv[1]) << 20))
from studio.core.errors import ModelError
from studio.core.graph.onnx_loader import open_graph
from studio.core.graph.summary import summarize
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    path = line.rstrip("\n")
    folder = os.path.realpath(os.path.dirname(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = open_graph(path)
            summarize(g)
            g.edges()
        bad = [i.location for i in g.initializers.values()
               if i.external and not os.path.realpath(os.path.join(folder, i.location)).startswith(folder + os.sep)]
        out = {"r": "bug", "msg": f"external data outside the folder was accepted: {bad}"} if bad else {"r": "opened"}
    except ModelError as e:
        msg = str(e)
        ok = path in msg  # one line is the CLI's job (it escapes control characters): see the inspect sample
        out = {"r": "error" if ok else "bug", "msg": msg[:300]}
    except BaseException as e:
        out = {"r": "bug", "msg": f"{type(e).__name__}: {str(e)[:300]}"}
    print(json.dumps(out), flush=True)
"""


class Worker:
    def __init__(self, mem_mb: int):
        self.mem_mb = mem_mb
        self.restarts = -1
        self._start()

    def _start(self):
        self.restarts += 1
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.p = subprocess.Popen([sys.executable, "-c", WORKER, str(self.mem_mb)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("fuzz worker failed to start")

    def open(self, path: str, timeout: float) -> dict:
        try:
            self.p.stdin.write(path + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        line = self.p.stdout.readline() if ready else None
        if line:
            return json.loads(line)
        if line is None:  # no answer in time
            self.p.kill()
            self.p.wait()
            self._start()
            return {"r": "hang", "msg": f"no answer within {timeout} s"}
        rc = self.p.wait()
        self._start()
        return {"r": "crash", "msg": f"the open path died (exit status {rc})"}

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def _fixture_folder(root: Path) -> Path:
    """Where fuzzed files live: the external seed's weights beside them, a secret one level up,
    a symlink and a hard link to it, a FIFO and a folder, so hostile locations have targets."""
    folder = root / "models"
    folder.mkdir(parents=True)
    secret = root / "secret.bin"
    secret.write_bytes(os.urandom(4096))
    os.symlink(secret, folder / "link_out.bin")
    os.link(secret, folder / "hard_out.bin")
    os.mkfifo(folder / "fifo.bin")
    (folder / "subdir").mkdir()
    return folder


def run(count: int, seed: int = 0, jobs: int = 2, with_demo: bool = True, demo_share: float = 0.03,
        inspect_every: int = 100, timeout: float = 60.0, mem_mb: int = 4096, failures_dir: Path | None = None,
        progress: bool = False) -> dict:
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-open-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    try:
        folder = _fixture_folder(tmp)
        seeds = make_seeds(folder, with_demo)
        counts = {k: 0 for k in OUTCOMES}
        by_kind: dict[str, dict[str, int]] = {}
        failures: list[dict] = []
        inspect = {"runs": 0, "ok": 0, "problems": []}
        lock = threading.Lock()
        next_i = [0]

        def record(i, name, kind, data, res):
            with lock:
                counts[res["r"]] += 1
                by_kind.setdefault(kind, {k: 0 for k in OUTCOMES})[res["r"]] += 1
                if res["r"] in ("bug", "crash", "hang"):
                    entry = {"case": i, "seed_model": name, "mutation": kind, "outcome": res["r"], "msg": res.get("msg")}
                    failures.append(entry)
                    if failures_dir is not None and len(data) < 50 << 20:
                        failures_dir.mkdir(parents=True, exist_ok=True)
                        (failures_dir / f"case{i}-{res['r']}.onnx").write_bytes(data)

        def inspect_child(path: str) -> None:
            r = subprocess.run([sys.executable, "-m", "studio", "inspect", path, "--json"], capture_output=True,
                               text=True, cwd=ROOT, timeout=timeout * 2)
            lines = r.stderr.strip().splitlines()
            ok = (r.returncode == 0 and r.stdout.startswith("{")) or (
                r.returncode == 2 and len(lines) == 1 and path in lines[0] and "Traceback" not in r.stderr)
            with lock:
                inspect["runs"] += 1
                inspect["ok"] += ok
                if not ok:
                    inspect["problems"].append({"rc": r.returncode, "stderr": r.stderr[-400:]})

        def loop(wid: int):
            w = Worker(mem_mb)
            path = str(folder / f"case-w{wid}.onnx")
            try:
                while True:
                    with lock:
                        i = next_i[0]
                        if i >= count:
                            break
                        next_i[0] += 1
                    try:
                        name, kind, data = make_case(i, seed, seeds, demo_share)
                    except Exception as e:  # a mutation the generator cannot make: counted, not fatal
                        with lock:
                            gen_errors.append(f"case {i}: {type(e).__name__}: {e}")
                        continue
                    with open(path, "wb") as fh:
                        fh.write(data)
                    res = w.open(path, timeout)
                    record(i, name, kind, data, res)
                    if inspect_every and i % inspect_every == 0:
                        inspect_child(path)
                    if progress and i % 500 == 0:
                        print(f"  {i}/{count} {time.perf_counter() - t0:.0f}s {counts}", flush=True)
            finally:
                w.close()
            with lock:
                restarts[wid] = w.restarts

        restarts = [0] * jobs
        gen_errors: list[str] = []
        threads = [threading.Thread(target=loop, args=(k,)) for k in range(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"count": count, "seed": seed, "jobs": jobs, "seeds": [s[0] for s in seeds],
                "demo_share": demo_share if any(s[0] == "demo" for s in seeds) else 0.0,
                "counts": counts, "generator_errors": gen_errors[:20], "by_mutation": by_kind, "worker_restarts": sum(restarts),
                "inspect_sample": {"runs": inspect["runs"], "ok": inspect["ok"], "problems": inspect["problems"][:20]},
                "failures": failures[:50], "seconds": round(time.perf_counter() - t0, 1)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-demo", action="store_true", help="small seeds only")
    ap.add_argument("--demo-share", type=float, default=0.03, help="fraction of cases seeded from the demo model")
    ap.add_argument("--inspect-every", type=int, default=100, help="also run `engine-studio inspect` on every Nth case")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    res = run(args.count, args.seed, args.jobs, not args.no_demo, args.demo_share, args.inspect_every,
              args.timeout, failures_dir=ROOT / ".cache" / "fuzz_failures", progress=True)
    out = ROOT / ".cache" / "benchmarks" / "fuzz_open.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    c = res["counts"]
    print(f"fuzz_open: {res['count']} files in {res['seconds']} s (seed {res['seed']}, {res['jobs']} workers, "
          f"seeds {', '.join(res['seeds'])})")
    print(f"  opened {c['opened']}  clean error {c['error']}  bug {c['bug']}  crash {c['crash']}  hang {c['hang']}")
    print(f"  inspect CLI sample: {res['inspect_sample']['ok']}/{res['inspect_sample']['runs']} clean")
    for f in res["failures"][:10]:
        print(f"  {f['outcome']}: case {f['case']} ({f['seed_model']}, {f['mutation']}): {f['msg']}")
    print(f"  -> {out}")
    bad = c["bug"] + c["crash"] + c["hang"] + (res["inspect_sample"]["runs"] - res["inspect_sample"]["ok"])
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
