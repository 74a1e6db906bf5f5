"""`engine-studio demo [--model M --tokenizer T --calib C --data V --label-column L --labels F]
[--out DIR]`: the real window drives itself through the whole story with the user's own model and
files (without --model, the sample intent model and its data): open -> build FP32, FP16, INT8 ->
benchmark -> accuracy -> compare -> export, saving a screenshot per step and summary.json with
each step's duration, the longest main-thread stall, the accuracy figures and each build's layer
count after fusion. It is the stakeholder demo and a smoke test."""

from __future__ import annotations

import os
from pathlib import Path

from studio.cli.cmd_window import require_qt
from studio.core.errors import StudioError


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="run the whole story in the window, with screenshots and summary.json")
    p.add_argument("--out", default=".cache/demo", help="folder for screenshots, exports and summary.json")
    p.add_argument("--bench-seconds", type=float, default=3.0, help="benchmark duration per build")
    p.add_argument("--keep-open", action="store_true", help="leave the window open at the end")
    p.add_argument("--model", help="the ONNX model (default: the sample intent model and its own data)")
    p.add_argument("--tokenizer", help="tokenizer.json or a Hugging Face tokenizer folder (default: beside the model)")
    p.add_argument("--calib", help="calibration data for INT8 (.csv/.jsonl texts or .npz)")
    p.add_argument("--calib-column", help="text column of the calibration data")
    p.add_argument("--data", help="validation data: the accuracy check and the benchmark's inputs")
    p.add_argument("--data-column", help="text column of the validation data")
    p.add_argument("--label-column", help="label column of the validation data")
    p.add_argument("--labels", help="label names in output order (default: labels.txt beside the model)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.bench_seconds <= 0:
        raise StudioError(f"--bench-seconds must be more than 0 (got {args.bench_seconds:g})")
    out = Path(args.out)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # headless: still the real widgets
    require_qt("the demo")
    from studio.ui.app import get_app, make_window
    from studio.ui.demo_driver import DemoRun, Story, summary_text

    if args.model:
        for name in ("model", "tokenizer", "calib", "data", "labels"):
            value = getattr(args, name)
            if value and not Path(value).exists():
                raise StudioError(f"--{name}: no such file", where=value)
        if not args.data:
            raise StudioError("--data is needed with --model: the accuracy check and the benchmark read it")
        story = Story(args.model, args.tokenizer, args.calib, args.calib_column, args.data, args.data_column,
                      args.label_column, args.labels)
    else:
        story = Story.sample()
    app = get_app()
    win = make_window(demo=False, modal_errors=False)
    win.build_panel.output_dir = str(out / "builds")
    win.show()
    try:
        summary = DemoRun(win, out, bench_seconds=args.bench_seconds, story=story).run()
    finally:
        if not args.keep_open:
            win.close()
    print(summary_text(summary))
    print(f"summary: {out / 'summary.json'}")
    if args.keep_open:
        return app.exec()
    return 0
