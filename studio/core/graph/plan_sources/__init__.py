"""The format-neutral half of reading engine layer reports: one read of the user's file
(source.py) and the pipeline of named fixes that turns a reader's raw layers into a typed Plan
(pipeline.py).

The readers themselves belong to the backends whose tools write the formats (a TensorRT
`Layers:` log, an ONNX Runtime optimized model); studio.core.backends.layer_reports asks the
registered backends for them. A reader is a module or object with

    FORMAT: str                                   # its name in Plan.source_format
    match(source: SourceInput) -> bool
    parse(source: SourceInput, original=None) -> RawPlan   # original: the source ONNX model
"""

from studio.core.graph.plan_sources.pipeline import RawPlan, to_plan
from studio.core.graph.plan_sources.source import SourceInput, as_source, read_source

__all__ = ["RawPlan", "SourceInput", "as_source", "read_source", "to_plan"]
