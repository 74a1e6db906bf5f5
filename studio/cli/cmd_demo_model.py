"""`engine-studio demo-model`: write the bundled demo intent model, or a random-weight scale model."""

from __future__ import annotations

import time
from pathlib import Path

from studio.core.errors import StudioError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo-model",
        help="write the demo intent model (all-MiniLM-L6-v2 + intent head) or a random BERT-base",
        description="Write the demo intent model (all-MiniLM-L6-v2 encoder, mean pooling, a trained "
                    "15-intent head) with tokenizer.json and labels.txt beside it; or, with --random, a "
                    "model of the chosen shape with seeded random weights (tokenizer.json beside it).")
    p.add_argument("-o", "--output", help="where to write the .onnx file")
    p.add_argument("--arch", choices=["minilm", "bert-base"], default="minilm",
                   help="encoder shape: minilm (6 layers, hidden 384) or bert-base (12 layers, hidden 768)")
    p.add_argument("--random", action="store_true", help="random weights and head instead of the pretrained model")
    p.add_argument("--seed", type=int, default=None, help="seed of the random weights (with --random; default 0)")
    p.add_argument("--install-default", action="store_true",
                   help="build the default demo model in resources/demo/generated/ if missing or stale")
    p.add_argument("--force", action="store_true", help="with --install-default: rebuild even if up to date")
    p.add_argument("--json", action="store_true", help="print what was written as one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from studio.cli.output import print_json

    t0 = time.perf_counter()
    if args.install_default:
        if args.output or args.random or args.seed is not None or args.arch != "minilm":
            raise StudioError("--install-default takes no -o/--arch/--random/--seed")
        from studio.core.demo.paths import demo_model_path, ensure_demo_model, touch_demo_model

        before = demo_model_path().stat().st_mtime_ns if demo_model_path().exists() else None
        path = ensure_demo_model(force=args.force)
        rebuilt = before is None or path.stat().st_mtime_ns != before
        if not rebuilt:
            touch_demo_model()
        result = {"path": str(path), "rebuilt": rebuilt, "seconds": round(time.perf_counter() - t0, 2)}
        if args.json:
            print_json(result)
        else:
            print(f"{'built' if rebuilt else 'up to date'}: {path} ({result['seconds']} s)")
        return 0

    if not args.output:
        raise StudioError("give -o/--output FILE.onnx (or --install-default)")
    out = Path(args.output)
    if out.is_dir():
        raise StudioError("output is a folder; give a file name such as model.onnx", where=str(out))
    if args.seed is not None and not args.random:
        raise StudioError("--seed only applies with --random")

    from studio.core.demo import build

    if args.random:
        info = build.write_random_model(out, args.arch, seed=args.seed or 0)
    elif args.arch != "minilm":
        raise StudioError(f"no pretrained {args.arch} weights are bundled; add --random for a random-weight model")
    else:
        info = build.write_intent_model(out)
    seconds = round(time.perf_counter() - t0, 2)
    if args.json:
        print_json({**info.to_dict(), "seconds": seconds})
    else:
        kind = "pretrained" if info.pretrained else "random"
        print(f"wrote {info.path} ({info.bytes / 1e6:.1f} MB, {info.arch}, {kind}, {info.n_intents} intents, "
              f"{seconds} s)")
        for f in info.files:
            print(f"  beside it: {f}")
    return 0
