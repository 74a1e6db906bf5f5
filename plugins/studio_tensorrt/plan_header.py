"""What a plan file says about itself without being deserialized.

Deserializing a plan runs code paths an attacker controls (and, with host code allowed, code),
so `check` reads only the header: TensorRT-RTX's `Runtime.get_engine_validity` on the header
bytes (it reports version mismatch, unsupported compute capability, old driver, malformed
engine) plus the fields we can read ourselves. The TensorRT-RTX header layout used here was
observed on 1.7 plans (magic b"vtrt", u64 total size at 16, version bytes major/minor/patch at
24); it is not a documented format, so it only adds reasons, never clears one.

A full deserialization happens only with --trust, on a GPU, in a child process, with engine
host code disallowed."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

from studio_tensorrt.library import detect_gpu, library_or_reason

HEADER_BYTES = 64
RTX_MAGIC = b"vtrt"


def read_header(path: str | Path, n: int = HEADER_BYTES) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def parse_rtx_header(head: bytes) -> dict | None:
    if len(head) < 27 or head[:4] != RTX_MAGIC:
        return None
    total = struct.unpack_from("<Q", head, 16)[0]
    major, minor, patch = head[24], head[25], head[26]
    return {"format": "tensorrt_rtx plan", "declared_size": total, "library_version": f"{major}.{minor}.{patch}"}


def _validity(lib, head: bytes) -> dict | None:
    trt = lib.module
    runtime_cls = getattr(trt, "Runtime", None)
    if runtime_cls is None or not hasattr(runtime_cls, "get_engine_validity"):
        return None
    messages: list[str] = []

    class _Log(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, severity, msg):
            messages.append(msg)

    logger = _Log()
    runtime = runtime_cls(logger)
    if hasattr(runtime, "engine_host_code_allowed"):
        runtime.engine_host_code_allowed = False
    size = getattr(runtime, "engine_header_size", HEADER_BYTES) or HEADER_BYTES
    validity, diag = runtime.get_engine_validity(head[:size])
    flags = [name for name, member in trt.EngineInvalidityDiagnostics.__members__.items()
             if int(diag) & int(member)]
    return {"validity": validity.name, "diagnostics": flags, "messages": messages[-3:]}


def inspect_plan(artifact: str | Path, sidecar: dict | None, trusted: bool) -> dict:
    """Facts and reasons this plan cannot run here, from the header and the sidecar."""
    lib, why = library_or_reason()
    gpu = detect_gpu()
    reasons: list[str] = []
    facts: dict = {"gpu": gpu.to_dict(), "library_here": lib.describe() if lib else None}
    size = Path(artifact).stat().st_size
    head = read_header(artifact)
    hdr = parse_rtx_header(head)
    facts["header"] = hdr
    if lib is None:
        reasons.append(why)
        return {"reasons": reasons, "facts": facts}
    if hdr is None:
        if lib.is_rtx:
            reasons.append("not a TensorRT-RTX plan: the file does not start with the plan header "
                           "(garbage, truncated, or built by full TensorRT)")
    else:
        if hdr["declared_size"] != size:
            reasons.append(f"the plan header declares {hdr['declared_size']} bytes but the file has {size}: "
                           "truncated or padded")
        if lib.is_rtx and not lib.version.startswith(hdr["library_version"]):
            reasons.append(f"built with TensorRT-RTX {hdr['library_version']}, this machine has {lib.version}; "
                           "plans run only with the library version that built them")
        elif not lib.is_rtx:
            reasons.append("a TensorRT-RTX plan cannot run on full TensorRT")
    try:
        v = _validity(lib, head)
    except Exception as e:  # the header check itself must not fail the whole check
        v = {"error": f"{type(e).__name__}: {e}"}
    facts["engine_validity"] = v
    if v and "diagnostics" in v:
        d = set(v["diagnostics"])
        for flag, text in (("MALFORMED_ENGINE", "the runtime reports a malformed engine header"),
                           ("VERSION_MISMATCH", "the runtime reports a library version mismatch"),
                           ("UNSUPPORTED_CC", "the runtime reports this GPU's compute capability is not a target of the plan"),
                           ("OLD_CUDA_DRIVER", "the CUDA driver is too old for this plan"),
                           ("OLD_CUDA_RUNTIME", "the CUDA runtime is too old for this plan"),
                           ("INSUFFICIENT_GPU_MEMORY", "the GPU does not have enough memory for this plan")):
            if flag in d:
                reasons.append(text)
    if not gpu.present:
        reasons.append(f"{gpu.reason or 'no NVIDIA GPU'}: {lib.run_requirement()}")
    else:
        if not lib.runs_on(gpu.compute_capability):
            reasons.append(f"{gpu.name} has compute capability {gpu.cc_text}: {lib.run_requirement()}")
        targets = (sidecar or {}).get("target_compute_capabilities") or []
        if targets and gpu.cc_text not in targets and not (lib.is_rtx and gpu.compute_capability[0] >= 12
                                                            and any(t.startswith("12") for t in targets)):
            reasons.append(f"the plan targets compute capability {', '.join(targets)}; this GPU is {gpu.cc_text}")
        if trusted and not reasons:
            facts["deserialize"] = deserialize_in_child(artifact)
            if not facts["deserialize"].get("ok"):
                reasons.append("the runtime could not load the plan: " + facts["deserialize"].get("error", "?"))
    return {"reasons": list(dict.fromkeys(reasons)), "facts": facts}


def deserialize_in_child(artifact: str | Path, timeout: float = 120.0) -> dict:
    """Load the plan in a separate process (host code disallowed): a crash there is a finding."""
    try:
        cp = subprocess.run([sys.executable, "-m", "studio_tensorrt.plan_header", str(artifact)],
                            capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"loading took more than {timeout:.0f} s"}
    if cp.returncode < 0:
        return {"ok": False, "error": f"the loader process died with signal {-cp.returncode}"}
    try:
        return json.loads(cp.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"ok": False, "error": (cp.stderr.strip().splitlines() or ["no output"])[-1]}


def _deserialize_main(path: str) -> dict:
    lib, why = library_or_reason()
    if lib is None:
        return {"ok": False, "error": why}
    trt = lib.module
    messages = []

    class _Log(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, severity, msg):
            messages.append(msg)

    runtime = trt.Runtime(_Log())
    if hasattr(runtime, "engine_host_code_allowed"):
        runtime.engine_host_code_allowed = False
    engine = runtime.deserialize_cuda_engine(Path(path).read_bytes())
    if engine is None:
        return {"ok": False, "error": " | ".join(messages[-3:]) or "deserialization failed"}
    return {"ok": True, "io_tensors": engine.num_io_tensors}


if __name__ == "__main__":
    print(json.dumps(_deserialize_main(sys.argv[1])))
