"""Real exports against the demo model, measured the same way in one run: for each transformer of
the model corpus at realistic size (.cache/corpus-realistic/, made by
`tests/corpus/make_corpus.py --size realistic`; see tests/corpus/README.md) and for the demo model:

- fusion coverage: attention blocks fused / attention blocks in the model (the build's sidecar);
- throughput of the ONNX Runtime FP32 and INT8 builds over the source model run as is by ORT
  (the source's FP32 is the baseline a user has before the studio), batch 32, the demo's
  validation texts tokenized by each model's tokenizer, padded to 64 and at their real lengths;
  rounds alternate source / fp32 / int8 so other load on the machine hits all three alike;
  each run times whole passes over the texts' batches (--passes), not a fixed duration: a
  duration covers only the first batches of a slow model (BERT-base FP32 runs 2 of the 6 in 2 s,
  and the file's first batches hold its longest texts), so its cut padding was measured on
  53-token batches while a small model's covered all six (33 tokens wide on average);
- each model's INT8 speedup as a share of the demo model's (the goal: at least 0.8).

Writes .cache/benchmarks/corpus.json and prints a Markdown table.

    .venv/bin/python benchmarks/bench_corpus.py [--passes 1] [--rounds 2] [--threads 2] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from studio.cli.main import main as cli  # noqa: E402
from studio.core.backends.registry import get_backend  # noqa: E402
from studio.core.bench.harness import Bench, BenchConfig  # noqa: E402
from studio.core.bench.inputs import TextFeed, read_texts  # noqa: E402
from studio.core.data.tokenizer import load_tokenizer  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402

REALISTIC = ROOT / ".cache/corpus-realistic"
DEMO = ROOT / "resources/demo/generated/intent-minilm.onnx"
VAL = ROOT / "resources/demo/intents_validation.csv"
WORK = ROOT / ".cache/benchmarks/corpus"
BATCH = 32


def cli_json(argv: list[str]) -> dict:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli([*argv, "--json"])
    if rc != 0:
        raise SystemExit(f"engine-studio {' '.join(argv)} failed with status {rc}")
    return json.loads(buf.getvalue())


def models(only: list[str] | None) -> list[tuple[str, Path, Path]]:
    """(name, model, tokenizer): the demo first, then every realistic corpus transformer."""
    if not DEMO.exists():
        from studio.core.demo.paths import ensure_demo_model

        ensure_demo_model()
    found = [("demo", DEMO, DEMO.with_name("tokenizer.json"))]
    manifest = REALISTIC / "manifest.json"
    if not manifest.exists():
        raise SystemExit(f"no realistic corpus in {REALISTIC}: make it with "
                         "`.cache/corpus-venv/bin/python tests/corpus/make_corpus.py --size realistic` (tests/corpus/README.md)")
    for m in json.loads(manifest.read_text())["models"]:
        if m["kind"] == "transformer" and (REALISTIC / m["path"]).exists() and (not only or m["name"] in only):
            found.append((m["name"], REALISTIC / m["path"], REALISTIC / m["tokenizer"]))
    return found


def measure(name: str, model: Path, tokenizer: Path, args) -> dict:
    work = WORK / name
    work.mkdir(parents=True, exist_ok=True)
    src = work / "model.onnx"
    for f in model.parent.iterdir():   # a private copy: the accuracy/sidecar checks pin its sha256
        if f.is_file() and f.suffix in (".onnx", ".data", ".json", ".txt"):
            shutil.copyfile(f, work / (src.name if f == model else f.name))
    builds = {p: cli_json(["build", str(src), "--backend", "onnxruntime", "--precision", p,
                           "-o", str(work / f"model.{p}.ort.onnx"), "-q"]) for p in ("fp32", "int8")}
    details = json.loads(Path(builds["int8"]["sidecar"]).read_text())["backend_details"]
    blocks = details["attention_blocks"]
    ort = get_backend("onnxruntime")
    texts, _ = read_texts(VAL)
    probe = ort.open_runner(str(src)).activate()
    metas = probe.input_metadata()
    probe.deactivate()
    tok = load_tokenizer(str(tokenizer))
    arts = {"source": str(src), "fp32": builds["fp32"]["output"], "int8": builds["int8"]["output"]}
    out = {"attention_blocks": blocks, "build_seconds": {p: builds[p]["build_seconds"] for p in builds},
           "speed_probe": details.get("speed_probe")}
    for mode, seq in (("padded_64", 64), ("real_lengths", None)):
        feed = TextFeed(texts, tok, metas, seq_len=seq)
        tput: dict = {k: [] for k in arts}
        for _ in range(args.rounds):
            for kind, art in arts.items():
                res = Bench(lambda a=art: ort.open_runner(a, threads=args.threads), feed,
                            BenchConfig(batch=BATCH, passes=args.passes, warmup_iters=1)).run()
                tput[kind].append(res.throughput)
        out[mode] = {"throughput": tput,
                     "fp32_over_source": statistics.median(f / s for f, s in zip(tput["fp32"], tput["source"])),
                     "int8_over_source": statistics.median(i / s for i, s in zip(tput["int8"], tput["source"]))}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=1, help="timed passes over all batches of the texts per run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="corpus model names (the demo always runs)")
    ap.add_argument("--tokenizer", help="tokenize every model's texts with this tokenizer.json instead of its own "
                                        "(same texts, same lengths for all: the corpus's own tokenizer is a small "
                                        "WordPiece that makes longer sequences than the demo's)")
    args = ap.parse_args()
    results = {}
    for name, model, tok in models(args.only):
        results[name] = measure(name, model, Path(args.tokenizer) if args.tokenizer else tok, args)
        r = results[name]
        print(f"{name}: blocks {r['attention_blocks']['fused']}/{r['attention_blocks']['found']}  "
              f"int8/source {r['padded_64']['int8_over_source']:.2f}x (padded 64), "
              f"{r['real_lengths']['int8_over_source']:.2f}x (real lengths)", flush=True)
    demo = results["demo"]
    rows = ["| model | attention fused | FP32 build / source (64, real) | INT8 build / source (64, real) | "
            "share of the demo's INT8 speedup (64, real) |", "|---|---|---|---|---|"]
    for name, r in results.items():
        share = {m: r[m]["int8_over_source"] / demo[m]["int8_over_source"] for m in ("padded_64", "real_lengths")}
        r["share_of_demo_int8_speedup"] = share
        b = r["attention_blocks"]
        rows.append(f"| {name} | {b['fused']}/{b['found']} | {r['padded_64']['fp32_over_source']:.2f}x, "
                    f"{r['real_lengths']['fp32_over_source']:.2f}x | {r['padded_64']['int8_over_source']:.2f}x, "
                    f"{r['real_lengths']['int8_over_source']:.2f}x | {share['padded_64']:.2f}, {share['real_lengths']:.2f} |")
    print("\n".join(rows))
    report = {"batch": BATCH, "threads": args.threads, "passes": args.passes, "rounds": args.rounds,
              "models": results, "table": rows, "goal": {"fusion_coverage": 1.0, "share_of_demo_int8_speedup": 0.8}}
    path = ROOT / ".cache/benchmarks/corpus.json"
    write_json_atomic(path, report)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
