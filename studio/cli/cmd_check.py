"""`engine-studio check ENGINE`: can this engine run here, and if not, why. With `--cluster`, the
compatibility matrix: each engine checked on each target machine of the cluster (`--targets`).
Exit status 0 when it can run (everywhere asked), 1 when it cannot, 2 on bad input."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="can this engine run on this machine, and if not why",
                       description="Check an engine (or optimized model) against this machine: library "
                                   "version, GPU and compute capability, from its sidecar and plan header. "
                                   "Exit 0 if it can run here, 1 if not.")
    p.add_argument("engine", metavar="ENGINE", nargs="+", help="one engine here; one or more with --cluster")
    p.add_argument("--cluster", metavar="ADDRESS", help="check on each target of a cluster: ray:HOST:PORT")
    p.add_argument("--targets", default="all", metavar="LIST", help="with --cluster: target names, or all")
    p.add_argument("--trust", action="store_true",
                   help="allow loading an engine Engine Studio did not build (host code stays disallowed)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=run)


def _matrix(args) -> int:
    """Each engine on each target: {"targets": [...], "matrix": [{artifact, target, runs, reasons}]}."""
    from pathlib import Path

    from studio.cli.output import print_json, print_table
    from studio.core.errors import StudioError
    from studio.core.jobs.compatibility import compatibility
    from studio.core.jobs.executor import executor_for

    for e in args.engine:
        if not Path(e).is_file():
            raise StudioError("no such file", where=e)
    names = None if args.targets == "all" else [n.strip() for n in args.targets.split(",") if n.strip()]
    executor = executor_for(args.cluster)
    try:
        fits = compatibility(executor, list(args.engine), names, trust=args.trust)
    finally:
        executor.close()
    if args.json:
        print_json({"targets": list(dict.fromkeys(f.target for f in fits)), "matrix": [f.to_dict() for f in fits]})
    else:
        print_table([[Path(f.artifact).name, f.target, "yes" if f.runs else "no", "; ".join(f.reasons)] for f in fits],
                    ["engine", "target", "runs", "why not"])
    return 0 if all(f.runs for f in fits) else 1


def run(args) -> int:
    from studio.cli.output import print_json
    from studio.core.backends.check import check_artifact
    from studio.core.errors import StudioError

    if args.cluster:
        return _matrix(args)
    if args.targets != "all":
        raise StudioError("--targets names machines of a cluster: give --cluster too")
    if len(args.engine) > 1:
        raise StudioError("check one engine here, or several on a cluster's targets with --cluster")
    rep = check_artifact(args.engine[0], trust=args.trust)
    if args.json:
        print_json(rep.to_dict())
    else:
        print(f"{rep.artifact}: {'runs here' if rep.runs_here else 'cannot run here'}")
        print(f"  origin:  {rep.trust_reason}")
        if rep.built_with:
            print(f"  built:   {rep.built_with}, {rep.precision}, targets "
                  f"{', '.join(rep.target_compute_capabilities) or 'unknown'}")
        if rep.library_here:
            print(f"  here:    {rep.library_here}")
        gpu = rep.facts.get("gpu") or {}
        if gpu:
            print(f"  gpu:     {gpu.get('name') + ' (cc ' + str(gpu.get('compute_capability')) + ')' if gpu.get('present') else gpu.get('reason') or 'none'}")
        for r in rep.reasons:
            print(f"  - {r}")
    return 0 if rep.runs_here else 1
