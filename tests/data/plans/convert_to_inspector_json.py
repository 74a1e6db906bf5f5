"""Make the inspector-JSON fixtures from the recorded `Layers:` reports (see README.md).

The one-line report and the inspector's JSON are two renderings of the same engine inspector
data, so every field is carried over under its own name; `Location` is "Device" (every tensor of
these CPU-built engines lives on the device, as the reports' I/O section says) and `Bindings`
lists the I/O tensors in the report's order.

    .venv/bin/python tests/data/plans/convert_to_inspector_json.py"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from studio_tensorrt import tensorrt_log  # noqa: E402


def to_inspector(report: Path) -> dict:
    raw = tensorrt_log.parse(report)

    def tensor(t: dict) -> dict:
        out = {"Name": t["Name"], "Location": "Device"}
        out.update({k: v for k, v in t.items() if k != "Name"})
        return out

    layers = []
    for x in raw.layers:
        layer = {k: v for k, v in x.items() if k not in ("Inputs", "Constants", "Outputs")}
        for key in ("Inputs", "Constants", "Outputs"):
            layer[key] = [tensor(t) for t in x.get(key, [])]
        layers.append(layer)
    return {"Layers": layers, "Bindings": [t["Name"] for t in (*raw.inputs, *raw.outputs)]}


def main() -> int:
    fp16 = to_inspector(HERE / "tiny_encoder.fp16.layers.txt")
    (HERE / "tiny_encoder.fp16.inspector.json").write_text(json.dumps(fp16, indent=1) + "\n")
    names = {"Layers": [x["Name"] for x in fp16["Layers"]], "Bindings": fp16["Bindings"]}
    (HERE / "tiny_encoder.fp16.names_only.json").write_text(json.dumps(names, indent=1) + "\n")
    int8 = to_inspector(HERE / "tiny_encoder.int8.layers.txt")
    (HERE / "tiny_encoder.int8.graph.json").write_text(json.dumps(int8, indent=1) + "\n")
    profile = [{"count": 0}] + [{"name": x["Name"], "timeMs": 0.0, "averageMs": 0.0, "medianMs": 0.0,
                                 "percentage": 0.0} for x in int8["Layers"]]
    (HERE / "tiny_encoder.int8.profile.json").write_text(json.dumps(profile, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
