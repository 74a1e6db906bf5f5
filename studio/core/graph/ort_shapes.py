"""ONNX Runtime's symbolic shape inference (it follows shapes computed from data, and knows
ORT's contrib ops), minus one habit: `SymbolicShapeInference.infer_shapes` saves
"sym_shape_infer_temp.onnx" into the current directory whenever inference is incomplete, and
the studio never writes outside the folders the user chose.

Also a child-process entry point (`python -m studio.core.graph.ort_shapes IN OUT`): on some
malformed models the inference loops forever while its memory grows, so callers that take
any file run it there, bounded."""

from __future__ import annotations

import resource
import sys

import onnx


def infer_symbolic(model: onnx.ModelProto, auto_merge: bool = True,
                   guess_output_rank: bool = False) -> tuple[onnx.ModelProto, bool]:
    """(model with inferred value_info, whether every shape was inferred)."""
    # lazy: 401 ms off this module's import
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    # infer_shapes' own loop, without its temp-file save on incomplete inference.
    sym = SymbolicShapeInference(2**31 - 1, auto_merge, guess_output_rank, 0)
    complete = False
    sym._preprocess(model)
    while sym.run_:
        complete = sym._infer_impl()
    sym._update_output_from_vi()
    return sym.out_mp_, bool(complete)


def main(argv: list[str]) -> int:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    except (ImportError, ValueError, OSError):
        pass
    src, dst = argv
    model = onnx.ModelProto()
    with open(src, "rb") as f:
        model.ParseFromString(f.read())
    out, _complete = infer_symbolic(model)
    with open(dst, "wb") as f:
        f.write(out.SerializeToString())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
