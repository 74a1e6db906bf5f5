"""One way to turn the studio's typed results into JSON-ready dicts and back.

Every result type is a dataclass; its fields' type hints say how to read it back, so a type
does not write its own to_dict/from_dict. Reading is tolerant where files differ in ways that
really happen (keys a newer studio added are ignored; a field with a default may be missing)
and strict where they must not (a missing required field, a string where a number belongs; a
number may be null: JSON has no NaN, so a metric that was NaN is written as null):
that is a StudioError naming the file and the field's path ("$.runs[2].latency_ms.p99"), never
a TypeError from deep inside a constructor.

    d = to_dict(result)                     # plain dicts, lists, str, int, float, bool, None
    result = from_dict(RunResult, d, where="run.bench.json")

A type gets `to_dict()` / `from_dict()` methods by deriving from Record; one whose JSON
carries derived figures (a speedup, a schema tag) adds them on top of `super().to_dict()`.
Readers for older file versions upgrade the dict before from_dict sees it, each beside the
schema it upgrades.

A small registry rather than a library (cattrs, pydantic, msgspec): the result types stay plain
standard-library dataclasses, and it costs the command line's start-up nothing (cattrs: 49 ms to
import here, on a build whose studio overhead is held to 5 % of ~1.3 s)."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import lru_cache
from typing import Any, TypeVar

from studio.core.errors import StudioError

T = TypeVar("T")


class SerdeError(ValueError):
    """What was wrong, and where in the document (a JSON path)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def to_dict(obj: Any) -> Any:
    """`obj` as JSON-ready values: dataclasses become dicts (field order kept), tuples lists,
    enums their values, dict keys strings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if isinstance(obj, Record):
            return obj.to_dict()
        return fields_to_dict(obj)
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else str(k.value if isinstance(k, enum.Enum) else k): to_dict(v)
                for k, v in obj.items()}
    if isinstance(obj, enum.Enum):
        return obj.value
    return obj


def fields_to_dict(obj: Any, **given: Any) -> dict:
    """A dataclass's fields in order; a field named in `given` takes that value as it is (a type
    that writes one field its own way), the others are converted."""
    return {f.name: given[f.name] if f.name in given else to_dict(getattr(obj, f.name))
            for f in dataclasses.fields(obj)}


def from_dict(cls: type[T], data: Any, where: str | None = None) -> T:
    """`data` read as `cls`; a StudioError naming `where` and the field when it does not fit."""
    try:
        if isinstance(cls, type) and dataclasses.is_dataclass(cls):
            return _read_fields(cls, data, "$")
        return _read(cls, data, "$")
    except SerdeError as e:
        raise StudioError(f"not a valid {_name(cls)}: {e}", where=where) from None


class Record:
    """Mixin for a dataclass: to_dict/from_dict through this module."""

    def to_dict(self) -> dict:
        return fields_to_dict(self)

    @classmethod
    def from_dict(cls: type[T], data: Any, where: str | None = None) -> T:
        return from_dict(cls, data, where)


# ---- reading ------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp)


def _read(tp: Any, v: Any, path: str) -> Any:
    if tp is Any or tp is object:
        return v
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return _read_union(typing.get_args(tp), v, path)
    if origin is typing.Literal:
        if v not in typing.get_args(tp):
            raise SerdeError(path, f"expected one of {', '.join(map(repr, typing.get_args(tp)))}, got {v!r}")
        return v
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _read_dataclass(tp, v, path)
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        if not isinstance(v, (list, tuple)):
            raise SerdeError(path, f"expected a list, got {_what(v)}")
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(v):
                raise SerdeError(path, f"expected {len(args)} items, got {len(v)}")
            return tuple(_read(a, x, f"{path}[{i}]") for i, (a, x) in enumerate(zip(args, v)))
        item = args[0] if args else Any
        items = [_read(item, x, f"{path}[{i}]") for i, x in enumerate(v)]
        return tuple(items) if (origin is tuple or tp is tuple) else items
    if origin is dict or tp is dict:
        if not isinstance(v, dict):
            raise SerdeError(path, f"expected an object, got {_what(v)}")
        kt, vt = typing.get_args(tp) or (Any, Any)
        return {_read_key(kt, k, path): _read(vt, x, f"{path}.{k}") for k, x in v.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(v)
        except ValueError:
            raise SerdeError(path, f"expected one of {', '.join(repr(m.value) for m in tp)}, got {v!r}") from None
    return _read_scalar(tp, v, path)


def _read_union(args: tuple, v: Any, path: str) -> Any:
    if v is None and type(None) in args:
        return None
    errors = []
    for a in args:
        if a is type(None):
            continue
        try:
            return _read(a, v, path)
        except SerdeError as e:
            errors.append(e.message)
    raise SerdeError(path, errors[0] if len(errors) == 1 else f"fits none of its types ({'; '.join(errors)})")


def _read_dataclass(cls: type, v: Any, path: str) -> Any:
    """A nested record; one with a reader of its own (a schema check, say) is read by it."""
    reader = getattr(cls, "from_dict", None)
    if issubclass(cls, Record) and reader.__func__ is not Record.from_dict.__func__:
        try:
            return reader(v)
        except StudioError as e:
            raise SerdeError(path, e.message) from None
    return _read_fields(cls, v, path)


def _read_fields(cls: type, v: Any, path: str) -> Any:
    if not isinstance(v, dict):
        raise SerdeError(path, f"expected an object ({cls.__name__}), got {_what(v)}")
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name in v:
            kwargs[f.name] = _read(hints.get(f.name, Any), v[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SerdeError(f"{path}.{f.name}", "missing")
    return cls(**kwargs)


def _read_key(kt: Any, k: Any, path: str) -> Any:
    if kt in (int, float) and isinstance(k, str):
        try:
            return kt(k)
        except ValueError:
            raise SerdeError(path, f"key {k!r} is not a number") from None
    return k


def _read_scalar(tp: Any, v: Any, path: str) -> Any:
    if tp is bool:
        if not isinstance(v, bool):
            raise SerdeError(path, f"expected true or false, got {_what(v)}")
        return v
    if tp is int:
        if isinstance(v, bool) or not isinstance(v, int) and not (isinstance(v, float) and v.is_integer()):
            raise SerdeError(path, f"expected an integer, got {_what(v)}")
        return int(v)
    if tp is float:
        if v is None:               # JSON has no NaN: a metric that was NaN is written, and read, as null
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise SerdeError(path, f"expected a number, got {_what(v)}")
        return float(v)
    if tp is str:
        if not isinstance(v, str):
            raise SerdeError(path, f"expected a string, got {_what(v)}")
        return v
    return v


def _what(v: Any) -> str:
    if v is None:
        return "null"
    text = repr(v)
    return f"{type(v).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
