"""A small JSON Schema checker for the subset report.schema.json uses (draft 2020-12 keywords:
type, enum, const, properties, required, additionalProperties, items, minimum, maximum, $ref
to #/$defs, anyOf). Written here rather than adding `jsonschema` as a dependency: the report
schema is ours and small, and the checker is ~80 lines.

`errors(instance, schema)` lists every violation as "json/path: message"."""

from __future__ import annotations

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_KNOWN = {"type", "enum", "const", "properties", "required", "additionalProperties", "items",
          "minimum", "maximum", "$ref", "anyOf", "$defs", "$schema", "$id", "title", "description",
          "default", "examples"}


def _resolve(ref: str, root: dict) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, not {ref!r}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def errors(instance, schema: dict, root: dict | None = None, path: str = "$") -> list[str]:
    root = schema if root is None else root
    unknown = set(schema) - _KNOWN
    if unknown:  # a keyword this checker would silently skip must not pass as "valid"
        raise ValueError(f"{path}: schema uses unsupported keywords {sorted(unknown)}")
    out: list[str] = []
    if "$ref" in schema:
        out += errors(instance, _resolve(schema["$ref"], root), root, path)
    if "anyOf" in schema:
        if not any(not errors(instance, s, root, path) for s in schema["anyOf"]):
            out.append(f"{path}: matches none of anyOf")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](instance) for t in types):
            out.append(f"{path}: expected {'/'.join(types)}, got {type(instance).__name__}")
            return out
    if "enum" in schema and instance not in schema["enum"]:
        out.append(f"{path}: {instance!r} not one of {schema['enum']}")
    if "const" in schema and instance != schema["const"]:
        out.append(f"{path}: expected {schema['const']!r}")
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            out.append(f"{path}: {instance} < minimum {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            out.append(f"{path}: {instance} > maximum {schema['maximum']}")
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                out.append(f"{path}: missing required {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, val in instance.items():
            if key in props:
                out += errors(val, props[key], root, f"{path}.{key}")
            elif extra is False:
                out.append(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                out += errors(val, extra, root, f"{path}.{key}")
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, val in enumerate(instance):
            out += errors(val, schema["items"], root, f"{path}[{i}]")
    return out
