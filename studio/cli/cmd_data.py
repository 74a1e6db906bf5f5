"""`engine-studio data FILE`: preview calibration / validation data as the model will see it:
the first rows and the tensors made from them, plus the summary (samples, source, sequence-length
distribution). The same core call as the window's calibration preview (preview_for_model)."""

from __future__ import annotations

from pathlib import Path

_SHOW_VALUES = 16      # values of a tensor row shown in text mode
_BAR = 40              # width of the longest histogram bar


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="preview calibration data: rows -> tensors, length distribution",
                       description="Read FILE (.csv/.jsonl/.txt texts or .npz/.npy arrays) as `build --calib` "
                                   "would, checked against MODEL's inputs, and show the first rows, the tensors "
                                   "made from them and the sequence-length distribution.")
    p.add_argument("file", metavar="FILE", help="calibration data: .csv/.jsonl texts or .npz/.npy arrays")
    p.add_argument("--model", metavar="MODEL.onnx", required=True, help="the model whose inputs the data must feed")
    p.add_argument("--column", metavar="NAME", help="text column of a CSV/JSONL file")
    p.add_argument("--label-column", metavar="NAME", help="optional label column")
    p.add_argument("--tokenizer", metavar="FILE",
                   help="tokenizer.json or a Hugging Face tokenizer folder (default: the one beside the model)")
    p.add_argument("--max-length", type=int, default=128, metavar="N", help="tokenizer max length (default 128)")
    p.add_argument("--samples", type=int, default=256, metavar="N", help="samples to read (default 256)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="shuffle seed (default 0)")
    p.add_argument("--rows", type=int, default=5, metavar="N", help="rows to show (default 5)")
    p.add_argument("--json", action="store_true", help="print preview and summary as one JSON object")
    p.set_defaults(func=run)


def _values(a) -> str:
    flat = a.reshape(-1)
    shown = " ".join(f"{v:.4g}" if a.dtype.kind == "f" else str(v) for v in flat[:_SHOW_VALUES].tolist())
    return shown + (f" ... ({flat.size} values)" if flat.size > _SHOW_VALUES else "")


def _print_text(preview, summary) -> None:
    s = summary
    what = f"{s.kind}, column {s.column!r}" if s.kind == "text" else s.kind
    print(f"source: {s.source} ({what}; {s.samples} samples, seed {s.seed})")
    if s.kind == "text":
        print(f"tokenizer: {s.tokenizer} (max length {s.max_length}, padding {s.padding}, "
              f"{s.truncated} truncated)")
    print("inputs: " + ", ".join(f"{k} {v['dtype']} {v['shape']}" for k, v in s.inputs.items()))
    print()
    for r, row in enumerate(preview.rows):
        if "line" in row:
            label = f"  [{row['label']}]" if row.get("label") is not None else ""
            print(f"line {row['line']}: {row['text']!r}{label}")
        else:
            print(f"sample {row['index']}:")
        for name, t in preview.tensors.items():
            print(f"  {name} {t.dtype} {list(t[r].shape)}: {_values(t[r])}")
    sl = s.sequence_length
    if sl is None:
        return
    print()
    print(f"sequence length (tokens): min {sl.min}  p50 {sl.p50:g}  p90 {sl.p90:g}  max {sl.max}  "
          f"mean {sl.mean:.1f}")
    peak = max((b["count"] for b in sl.histogram), default=0) or 1
    labels = [f"{b['lo']}-{b['hi'] - 1}" if b["hi"] - b["lo"] > 1 else str(b["lo"]) for b in sl.histogram]
    width = max(map(len, labels), default=1)
    for lab, b in zip(labels, sl.histogram):
        bar = "#" * max(1 if b["count"] else 0, round(b["count"] / peak * _BAR))
        print(f"  {lab.rjust(width)}  {bar} {b['count']}")


def run(args) -> int:
    from studio.core.backends.base import CalibrationSpec

    from studio.cli.output import print_json
    from studio.core.data.calibration import preview_for_model

    model = args.model
    spec = CalibrationSpec(path=args.file, column=args.column, label_column=args.label_column,
                           tokenizer=args.tokenizer, max_length=args.max_length, samples=args.samples,
                           seed=args.seed)
    preview, summary = preview_for_model(spec, model, rows=args.rows)
    if args.json:
        print_json({"model": str(Path(model)), "preview": preview.to_dict(), "summary": summary.to_dict()})
    else:
        _print_text(preview, summary)
    return 0
