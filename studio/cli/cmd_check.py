"""`engine-studio check ENGINE`: can this engine run here, and if not, why. Exit status 0 when
it can, 1 when it cannot, 2 on bad input."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="can this engine run on this machine, and if not why",
                       description="Check an engine (or optimized model) against this machine: library "
                                   "version, GPU and compute capability, from its sidecar and plan header. "
                                   "Exit 0 if it can run here, 1 if not.")
    p.add_argument("engine", metavar="ENGINE")
    p.add_argument("--trust", action="store_true",
                   help="allow loading an engine Engine Studio did not build (host code stays disallowed)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from studio.cli.output import print_json
    from studio.core.backends.check import check_artifact

    rep = check_artifact(args.engine, trust=args.trust)
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
