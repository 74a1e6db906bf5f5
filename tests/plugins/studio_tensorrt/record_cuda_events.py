"""Records real CUDA event timings with the TensorRT runner's own CudaStream (buffers, stream,
events), on a GPU machine with cuda-python and no TensorRT: the enqueue of an engine is stood in
for by device-to-device copies of `work_mb` (real GPU work between events 1 and 2).

    python tests/plugins/studio_tensorrt/record_cuda_events.py OUT.json

The JSON it writes is the fixture tests/plugins/studio_tensorrt/fixtures/cuda_events_h100.json."""

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from studio_tensorrt.library import detect_gpu  # noqa: E402
from studio_tensorrt.runner import CudaStream, import_cudart  # noqa: E402


def main(out_path):
    rt = import_cudart()
    cu = CudaStream(rt)
    gpu = detect_gpu()
    records = []
    for batch, seq, work_mb in [(1, 64, 8), (32, 64, 64), (32, 128, 256)]:
        ids = np.ones((batch, seq), np.int64)
        mask = np.ones((batch, seq), np.int64)
        logits = np.empty((batch, 77), np.float32)
        scratch_a = cu.buffer("work_a", work_mb << 20)
        scratch_b = cu.buffer("work_b", work_mb << 20)
        for it in range(25):
            t0 = time.perf_counter()
            d_ids, d_mask = cu.buffer("input_ids", ids.nbytes), cu.buffer("attention_mask", mask.nbytes)
            d_out = cu.buffer("logits", logits.nbytes)
            cu.record(0)
            cu.h2d(d_ids, ids)
            cu.h2d(d_mask, mask)
            cu.record(1)
            te = time.perf_counter()
            for _ in range(4):
                rt.cudaMemcpyAsync(scratch_b, scratch_a, work_mb << 20,
                                   rt.cudaMemcpyKind.cudaMemcpyDeviceToDevice, cu.stream)
            enqueue_s = time.perf_counter() - te
            cu.record(2)
            cu.d2h(logits, d_out)
            cu.record(3)
            cu.synchronize()
            wall_s = time.perf_counter() - t0
            records.append({"batch": batch, "seq": seq, "work_mb": work_mb, "iteration": it,
                            "input_bytes": ids.nbytes + mask.nbytes, "output_bytes": logits.nbytes,
                            "ev_ms": {k: float(v) for k, v in cu.elapsed().items()},
                            "enqueue_s": enqueue_s, "wall_s": wall_s})
    caps = {n: c for n, (_, c) in cu.buffers.items()}
    cu.close()
    import cuda  # noqa
    doc = {"gpu": gpu.to_dict(), "python": platform.python_version(),
           "cuda_python": getattr(cuda, "__version__", "?"), "buffer_capacities": caps, "records": records}
    Path(out_path).write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc["gpu"]), len(records), "records")


if __name__ == "__main__":
    main(sys.argv[1])
