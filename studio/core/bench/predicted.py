"""Predicted accuracy: what a build that cannot run here would output, from a CPU run of the typed
ONNX it was compiled from. A strongly typed compiler (TensorRT 11, TensorRT-RTX) runs exactly the
precisions written in that model, its casts and Q/DQ, so running the same graph with the same
roundings predicts the engine's outputs, up to what only the GPU decides."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from studio.core.backends.registry import backend_for_artifact
from studio.core.backends.sidecar import typed_model
from studio.core.errors import StudioError

# Said beside every predicted figure: the label, and what a CPU run of the typed graph cannot see.
PREDICTION_LABEL = "predicted: a CPU execution of the engine's precisions (ONNX Runtime, the typed ONNX it was built from)"
PREDICTION_LIMITS = ("it cannot see the GPU's kernel accumulation order, the tactics the builder chose, or "
                     "fused kernels that keep intermediates in higher precision than the graph writes")


@contextmanager
def predicting_runner(build: Path, sidecar: dict, why_not_here: str, threads: int | None = None) -> Iterator:
    """A runner over the typed model of `build` (a build that cannot run here, for
    `why_not_here`), computing as written: fp16 and bf16 rounded at each node's output
    (studio.core.precision.emulate), Q/DQ as float arithmetic on the quantized values. Never a
    silent fp32 run."""
    typed, problem = typed_model(build, sidecar)
    if typed is None:
        raise StudioError(f"this build cannot run here ({why_not_here}) and its accuracy cannot be predicted: "
                          f"{problem}", where=str(build))
    with tempfile.TemporaryDirectory(prefix="studio-predict-") as tmp:
        yield as_written_runner(typed, Path(tmp), threads)


def as_written_runner(typed: Path, workdir: Path, threads: int | None = None):
    """A runner (not yet activated) computing the typed model `typed` as written: fp16 and bf16
    rounded at each node's output (studio.core.precision.emulate; the emulated copy goes to
    `workdir`, which must outlive the runner's activation), Q/DQ as float arithmetic on the
    quantized values."""
    # lazy: 1.0 s off this module's import
    from studio.core.precision.emulate import half_as_rounded_fp32, has_half
    from studio.core.precision.model_io import load_model, save_model

    backend = backend_for_artifact(typed, runs_here=True)
    if backend is None:
        raise StudioError("no installed backend runs the typed model on this machine", where=str(typed))
    model = load_model(typed)
    if has_half(model):
        emulated, _ = half_as_rounded_fp32(model)
        typed = save_model(emulated, Path(workdir) / f"{typed.stem}.emulated.onnx")
    return backend.open_runner(str(typed), threads=threads, as_written=True)
