"""The baseline for bench_build.py: what someone writes by hand with plain tensorrt_rtx:
parse the ONNX file, build with the same builder config the studio uses (workspace, profile,
optimization level, DETAILED profiling verbosity), write the plan. No child process, no
progress, no sidecar, a logger that drops everything below WARNING.

    python benchmarks/raw_trt_build.py MODEL OUT [--workspace BYTES] [--opt-level N]
        [--shape NAME:MIN,OPT,MAX ...]"""

import argparse
import sys

import tensorrt_rtx as trt


class QuietLogger(trt.ILogger):
    def __init__(self):
        trt.ILogger.__init__(self)

    def log(self, severity, msg):
        if severity <= trt.ILogger.Severity.WARNING:
            print(msg, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("output")
    ap.add_argument("--workspace", type=int)
    ap.add_argument("--opt-level", type=int)
    ap.add_argument("--shape", action="append", default=[])
    a = ap.parse_args()
    logger = QuietLogger()
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(a.model):
        for i in range(parser.num_errors):
            print(parser.get_error(i), file=sys.stderr)
        return 1
    config = builder.create_builder_config()
    if a.workspace:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, a.workspace)
    if a.opt_level is not None:
        config.builder_optimization_level = a.opt_level
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
    if a.shape:
        profile = builder.create_optimization_profile()
        for spec in a.shape:
            name, rest = spec.rsplit(":", 1)
            mn, op, mx = (tuple(int(d) for d in s.split("x")) for s in rest.split(","))
            profile.set_shape(name, mn, op, mx)
        config.add_optimization_profile(profile)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        return 1
    with open(a.output, "wb") as fh:
        fh.write(plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
