"""`engine-studio layers ENGINE_OR_REPORT [--onnx MODEL] [--json]`: the engine's layers after
fusion, with the ONNX nodes each one absorbed; for a build the studio lowered, what was really
built against what its recipe asked (`as_built`)."""

from __future__ import annotations

from studio.cli.output import print_json, print_table

MAX_LISTED = 4   # ONNX origins shown per row in the table; --json has them all


def add_parser(sub) -> None:
    p = sub.add_parser(
        "layers", help="engine layers after fusion and the ONNX nodes each absorbed",
        description="Read an engine built by the studio (through its saved layer report), a "
                    "TensorRT `Layers:` log, engine-inspector / trtexec --exportLayerInfo JSON, or "
                    "an ONNX Runtime optimized model, and map its layers to the ONNX nodes.")
    p.add_argument("report", metavar="ENGINE_OR_REPORT")
    p.add_argument("--onnx", metavar="MODEL",
                   help="the ONNX model the engine was built from (default: the sidecar's source)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from studio.core.backends.layer_reports import load_plan
    from studio.core.graph.fusion import fusion_map
    from studio.core.precision.as_built import as_built_for

    plan = load_plan(args.report, onnx_model=args.onnx)
    fmap = fusion_map(plan)
    built, _ = as_built_for(args.report)
    if args.json:
        doc = {"source": args.report, "format": plan.source_format, "onnx_model": plan.onnx_model,
               "detailed": plan.detailed}
        doc.update(fmap.to_dict())
        doc["unmapped"] = list(plan.unmapped)
        doc["notes"] = list(plan.notes)
        doc["as_built"] = built.to_dict() if built is not None else None
        print_json(doc)
        return 0
    rows = []
    for i, layer in enumerate(plan.layers):
        nodes = fmap.nodes_for_layer(layer.name)
        shown = ", ".join(nodes[:MAX_LISTED]) + (f", ... (+{len(nodes) - MAX_LISTED})"
                                                  if len(nodes) > MAX_LISTED else "")
        name = layer.name if len(layer.name) <= 60 else layer.name[:57] + "..."
        rows.append([i, name, layer.type or "-", layer.precision or "-", len(nodes), shown or "-"])
    print_table(rows, ["#", "layer", "type", "precision", "nodes", "ONNX origins"])
    st = fmap.stats()
    print()
    model = plan.onnx_model or "no ONNX model (pass --onnx MODEL to map the origins)"
    print(f"{plan.source_format}: {st.layers_after} engine layers from {st.layers_before} ONNX nodes"
          f" ({model})")
    if fmap.graph is not None:
        kinds = ", ".join(f"{v} {k}" for k, v in st.unabsorbed_kinds.items())
        print(f"absorbed {st.absorbed} nodes; {st.unabsorbed} absorbed by no layer" + (f" ({kinds})" if kinds else ""))
    if st.patterns:
        print("fusions: " + ", ".join(f"{k} x{v}" for k, v in list(st.patterns.items())[:8]))
    print("precision: " + ", ".join(f"{k} {v}" for k, v in st.precision.items()))
    n_missing = sum(len(v) for v in fmap.missing.values())
    if n_missing:
        print(f"warning: the report names {n_missing} ONNX nodes that this model does not have")
    if built is not None:
        print(f"as built: {built.summary()}")
        for v in built.layers:
            if v.verdict in ("higher than asked", "lower than asked"):
                print(f"  {v.verdict}: {v.layer} built {v.built}, its nodes asked {'/'.join(v.asked)}")
    for note in plan.notes:
        print(f"note: {note}")
    return 0
