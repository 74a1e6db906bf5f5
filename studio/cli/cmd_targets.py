"""`engine-studio targets [--cluster ray:HOST:PORT] [--json]`: the machines jobs can run on
(this one, or each node of a cluster), with their GPU, libraries, CPU and the backends that can
build and run there. --json prints {"targets": [...]}."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("targets", help="the machines builds and benchmarks can run on",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--cluster", metavar="ADDRESS", help="a cluster: ray:HOST:PORT (default: this machine)")
    p.add_argument("--json", action="store_true", help='print {"targets": [...]}')
    p.set_defaults(func=run)


def _backends(t, what: str) -> str:
    return ", ".join(b["name"] for b in t.backends if b[what]) or "-"


def run(args) -> int:
    from studio.cli.output import print_json, print_table
    from studio.core.jobs.executor import executor_for

    executor = executor_for(args.cluster)
    try:
        targets = executor.targets()
    finally:
        executor.close()
    if args.json:
        print_json({"targets": [t.to_dict() for t in targets]})
        return 0
    rows = []
    for t in targets:
        gpu = "no GPU" if t.gpu is None else f"{t.gpu['name']} (sm {t.gpu['compute_capability']}, driver {t.gpu['driver']})"
        libs = ", ".join(f"{k} {v}" for k, v in t.libraries.items())
        rows.append([t.name, gpu, f"{t.cpu.get('model', '?')} x{t.cpu.get('cores', '?')}", libs,
                     _backends(t, "build"), _backends(t, "run")])
    print_table(rows, ["target", "GPU", "CPU", "libraries", "builds", "runs"])
    return 0
