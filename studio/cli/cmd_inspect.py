"""`engine-studio inspect MODEL [--json] [--batch N] [--seq-len N]`: inputs/outputs, opset,
producer, op histogram, parameters and a FLOPs estimate of an ONNX model, without loading its
weights."""

from __future__ import annotations

import argparse


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {v}")
    return v


def add_parser(sub) -> None:
    p = sub.add_parser("inspect", help="summarize an ONNX model: I/O, ops, parameters, FLOPs",
                       description=__doc__)
    p.add_argument("model", metavar="MODEL", help="ONNX file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--batch", type=_positive, default=1, help="batch size for the FLOPs estimate (default 1)")
    p.add_argument("--seq-len", type=_positive, default=128,
                   help="sequence length for the FLOPs estimate (default 128)")
    p.set_defaults(func=run)


def run(args) -> int:
    import warnings

    from studio.cli.output import print_json
    from studio.core.graph.onnx_loader import open_graph
    from studio.core.graph.summary import summarize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loader warnings are part of the summary
        graph = open_graph(args.model)
    summary = summarize(graph, batch=args.batch, seq_len=args.seq_len)
    if args.json:
        print_json(summary.to_dict())
    else:
        print(summary.to_text())
    return 0
