"""`engine-studio demo [--out DIR]`: the real window drives itself through the whole story
(open the demo model -> build FP32, FP16, INT8 -> benchmark -> compare -> export), saving a
screenshot per step and summary.json with each step's duration and the longest main-thread
stall. It is the stakeholder demo and a smoke test."""

from __future__ import annotations

import os
from pathlib import Path

from studio.core.errors import StudioError


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="run the whole story in the window, with screenshots and summary.json")
    p.add_argument("--out", default=".cache/demo", help="folder for screenshots, exports and summary.json")
    p.add_argument("--bench-seconds", type=float, default=3.0, help="benchmark duration per build")
    p.add_argument("--keep-open", action="store_true", help="leave the window open at the end")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.bench_seconds <= 0:
        raise StudioError(f"--bench-seconds must be more than 0 (got {args.bench_seconds:g})")
    out = Path(args.out)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # headless: still the real widgets
    try:
        from studio.ui.app import get_app, make_window
        from studio.ui.demo_driver import DemoRun, summary_text
    except ImportError as e:
        raise StudioError(f"the demo needs PySide6 ({e})") from None
    app = get_app()
    win = make_window(demo=False, modal_errors=False)
    win.build_panel.output_dir = str(out / "builds")
    win.show()
    try:
        summary = DemoRun(win, out, bench_seconds=args.bench_seconds).run()
    finally:
        if not args.keep_open:
            win.close()
    print(summary_text(summary))
    print(f"summary: {out / 'summary.json'}")
    if args.keep_open:
        return app.exec()
    return 0
