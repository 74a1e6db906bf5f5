"""The backend contract, modelled on Polygraphy's split: a build step that yields an artifact,
a runner with activate/infer/deactivate, and capabilities the CLI and the window read to refuse
(or grey out, with the reason) what a backend cannot do.

A backend is registered under the entry-point group `engine_studio.backends` (see registry.py);
the built-in ones in plugins/ register the same way a third party would."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

from studio.core.errors import CapabilityError, StudioError
from studio.core.serde import Record

if TYPE_CHECKING:
    from studio.core.backends.runner import Runner
    from studio.core.progress import TaskState


class Precision(str, Enum):
    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    INT8 = "int8"
    FP8 = "fp8"

    @classmethod
    def parse(cls, text: str) -> "Precision":
        try:
            return cls(text.lower())
        except ValueError:
            raise StudioError(f"unknown precision {text!r}; choose one of "
                              + ", ".join(p.value for p in cls)) from None


@dataclass(frozen=True)
class Capabilities(Record):
    """What a backend can do *here*, as data. A value of None in `precisions` means supported;
    a string is the reason it is not (shown in the window's tooltip and the CLI's error)."""

    precisions: dict[str, str | None]
    build_needs_gpu: bool
    run_needs_gpu: bool
    layer_profiling: bool
    timing_cache: bool = False
    library: str = ""          # e.g. "tensorrt_rtx 1.7.1" or "onnxruntime 1.32.0"
    can_run_here: str | None = None  # None = runs here; else why not ("no NVIDIA GPU", ...)
    notes: str = ""

    def check_precision(self, precision: str) -> None:
        if precision not in self.precisions:
            raise CapabilityError(f"precision {precision!r} is not known to this backend")
        reason = self.precisions[precision]
        if reason:
            raise CapabilityError(f"precision {precision} is not available: {reason}")


@dataclass(frozen=True)
class PrecisionTarget:
    """What a backend's compiler takes from the precision step, which makes the precision in the
    ONNX model (studio.core.precision.prepare)."""

    int8_recipes: tuple[str, ...]   # "dynamic" | "qdq"; the first is the default
    # What int8/fp8 Q/DQ leaves unquantized runs in, by default: a GPU compiler wants fp16 (an
    # int8 engine with an fp32 rest is larger than the fp16 engine); a CPU has no fp16 to gain.
    high_precision: str = "fp32"
    # Why a recipe is a poor fit here although it builds, said as a build note.
    recipe_notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShapeProfile(Record):
    """min/opt/max for one dynamic input, e.g. input_ids: 1x8, 32x64, 64x128."""

    name: str
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]

    @classmethod
    def parse(cls, spec: str) -> "ShapeProfile":
        """Parse `NAME:MIN,OPT,MAX` where each shape is `AxBxC`."""
        try:
            name, rest = spec.rsplit(":", 1)
            dims = [tuple(int(d) for d in s.lower().split("x")) for s in rest.split(",")]
        except ValueError:
            raise StudioError(f"bad --shapes {spec!r}; expected NAME:MIN,OPT,MAX like input_ids:1x8,32x64,64x128") from None
        if len(dims) != 3 or not name:
            raise StudioError(f"bad --shapes {spec!r}; expected NAME:MIN,OPT,MAX like input_ids:1x8,32x64,64x128")
        mn, op, mx = dims
        if not (len(mn) == len(op) == len(mx)):
            raise StudioError(f"--shapes {spec!r}: min, opt and max must have the same rank")
        if any(a > b or b > c or a < 1 for a, b, c in zip(mn, op, mx)):
            raise StudioError(f"--shapes {spec!r}: need 1 <= min <= opt <= max in every dimension")
        return cls(name, mn, op, mx)


@dataclass
class CalibrationSpec:
    """Where calibration samples come from. Text files are tokenized with `tokenizer`."""

    path: str
    column: str | None = None        # text column of CSV/JSONL
    label_column: str | None = None
    tokenizer: str | None = None     # tokenizer.json
    max_length: int = 128
    samples: int = 256
    seed: int = 0
    method: str = "minmax"           # minmax | entropy | percentile


@dataclass
class BuildConfig(Record):
    """Everything a build takes. Serialized whole into the artifact's sidecar."""

    model: str
    backend: str
    output: str
    precision: str = "fp32"
    workspace: int | None = None            # bytes
    optimization_level: int | None = None
    profiles: list[ShapeProfile] = field(default_factory=list)
    calibration: CalibrationSpec | None = None
    keep_fp32: list[str] = field(default_factory=list)   # node names or op types
    timing_cache: str | None = None
    options: dict = field(default_factory=dict)          # backend-specific extras

    def check_options(self, known: dict[str, str]) -> None:
        """Refuse options the backend does not read (a typo would otherwise be ignored silently);
        `known` maps each option it reads to a one-line description."""
        unknown = sorted(set(self.options) - set(known))
        if unknown:
            raise CapabilityError(f"unknown build option{'s' if len(unknown) > 1 else ''} "
                                  f"{', '.join(map(repr, unknown))} for backend {self.backend}; "
                                  f"it reads: {', '.join(sorted(known))}")


def parse_build_options(items) -> dict:
    """["ort_ffn_chunk_bytes=0", "ort_attention=contrib"] -> {"ort_ffn_chunk_bytes": 0, "ort_attention": "contrib"}:
    each VALUE read as JSON when it parses (numbers, true/false, lists), else as text."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StudioError(f"a build option takes KEY=VALUE (got {item!r})")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value.strip()
    return out


@dataclass
class BuildResult(Record):
    """What a finished build reports (also what `build --json` prints)."""

    output: str            # the artifact: .engine, or an optimized .onnx for ONNX Runtime
    sidecar: str           # <output>.json, see studio.core.backends.sidecar
    backend: str
    precision: str
    build_seconds: float
    size_bytes: int
    layer_report: str | None = None   # path of the captured layer report, if any
    timing_cache_hit: bool | None = None
    library: str = ""
    warnings: list[str] = field(default_factory=list)
    # Backend facts for the sidecar: library/CUDA versions, target compute capabilities,
    # precision recipe, calibration summary... The build job merges them into the sidecar.
    metadata: dict = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """One inference backend. Implementations live in plugins/ and are found by entry point.

    Besides building and running, a backend owns its formats: it recognizes its artifacts, reads
    the layer reports its tools write, checks an artifact's compatibility with this machine, and
    tells the precision step what its compiler takes. The core asks; it names no backend."""

    name: str
    display_name: str
    artifact_suffix: str    # what its builds are named with, e.g. ".engine" (studio.core.backends.naming)
    # True when an artifact runs only with the library version that built it (an engine), so a
    # different version here is a reason it cannot run.
    version_bound: bool
    # Report label -> distribution names to look up (first found wins), for the report's
    # environment: the libraries this backend builds and runs with.
    libraries: dict[str, tuple[str, ...]]

    def capabilities(self) -> Capabilities: ...

    def recognizes(self, path: Path, head: bytes) -> bool:
        """Is `path` (whose first bytes are `head`) an artifact of this backend?"""
        ...

    def plan_readers(self) -> Sequence:
        """Readers of the layer reports this backend's tools write, most specific first
        (the reader contract: studio.core.graph.plan_sources)."""
        ...

    def layer_report(self, artifact: Path, sidecar: dict | None) -> Path:
        """The file holding the layers of `artifact` (which may be the artifact itself);
        StudioError saying why when there is none."""
        ...

    def inspect_artifact(self, artifact: str, sidecar: dict | None, trusted: bool) -> dict:
        """{"reasons": [why it cannot run here...], "facts": {...}} read without loading it."""
        ...

    def precision_target(self) -> PrecisionTarget:
        """What its compiler takes from the precision step (studio.core.precision.prepare)."""
        ...

    def build(self, config: BuildConfig, state: "TaskState") -> BuildResult:
        """Build in *this* process, writing atomically. studio.core.jobs runs it in a child
        process so a native crash cannot take the caller down."""
        ...

    def open_runner(self, artifact: str, *, threads: int | None = None, as_written: bool = False,
                    **options) -> "Runner":
        """A runner over a built artifact (not yet activated). `threads` caps the CPU threads it
        computes with, where it computes on the CPU. `as_written`: compute the graph's operations
        in the precisions written there, with no rewrite that changes the numbers (fusing Q/DQ
        into integer kernels): the run predicts what another compiler makes of the same graph."""
        ...


def sidecar_path(artifact: str | Path) -> Path:
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".json")


def read_sidecar(artifact: str | Path) -> dict:
    p = sidecar_path(artifact)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudioError("no sidecar beside this artifact; it was not built by Engine Studio",
                          where=str(artifact)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise StudioError(f"sidecar is not valid JSON ({e})", where=str(p)) from None
