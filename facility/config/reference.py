"""Write the facility file reference (docs/config-reference.md) from the schema itself.

Run `python -m facility.config.reference > docs/config-reference.md`; a test keeps the
committed file equal to this output.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from facility.config.schema import FacilityConfig
from facility.config.timeofday import TimeRange, format_clock, parse_clock

_BOUNDS = {
    "ge": ">=",
    "gt": ">",
    "le": "<=",
    "lt": "<",
    "min_length": "min items/chars",
    "max_length": "max items/chars",
    "pattern": "pattern",
}


def _models_inside(annotation: object) -> list[type[BaseModel]]:
    """The section models an annotation holds (directly, in a list, or optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_inside(arg)]


def _type_name(annotation: object) -> str:
    """How a value of this type is written in a file."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        clock = any(getattr(meta, "func", None) is parse_clock for meta in args[1:])
        return '"HH:MM"' if clock else _type_name(args[0])
    if origin is typing.Literal:
        return " / ".join(f'"{getattr(value, "value", value)}"' for value in args)
    if origin in (typing.Union, types.UnionType):
        named = [_type_name(arg) for arg in args if arg is not type(None)]
        return " or ".join(named) + (" (optional)" if type(None) in args else "")
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if annotation is TimeRange:
        return '"HH:MM-HH:MM"'
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " / ".join(f'"{member.value}"' for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return getattr(annotation, "__name__", str(annotation))


def _is_clock(info: FieldInfo) -> bool:
    """True for a field written as "HH:MM" (stored as minutes)."""
    return any(getattr(meta, "func", None) is parse_clock for meta in info.metadata)


def _limits(info: FieldInfo) -> str:
    """The field's bounds, e.g. '>= 15, <= 1440'."""
    found = []
    for meta in info.metadata:
        for attr, word in _BOUNDS.items():
            value = getattr(meta, attr, None)
            if value is not None:
                found.append(f"{word} {value}")
    return ", ".join(found)


def _default(info: FieldInfo) -> str:
    """The default as written in a file, or 'required'."""
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "(empty)" if info.default_factory in (list, dict) else "(defaults)"
    value = info.default
    if _is_clock(info):
        return f"`{format_clock(value)}`"
    return "(none)" if value is None or value is PydanticUndefined else f"`{getattr(value, 'value', value)}`"


def _row(name: str, info: FieldInfo) -> str:
    """One key's table row."""
    kind = '"HH:MM"' if _is_clock(info) else _type_name(info.annotation)
    return f"| `{name}` | {kind} | {_default(info)} | {_limits(info)} | {info.description or ''} |"


def _written(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """The keys a file writes (not those the program fills in on load from the main space)."""
    return {
        name: info
        for name, info in model.model_fields.items()
        if not (isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("filled_in"))
    }


def sections(model: type[BaseModel], path: str = "") -> Iterator[str]:
    """Markdown for a model's keys, then for each nested section."""
    rows = [_row(name, info) for name, info in _written(model).items()]
    title = path or "top level"
    yield f"\n### `{title}`\n\n{(model.__doc__ or '').strip()}\n\n"
    yield "| key | type | default | limits | meaning |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    for name, info in _written(model).items():
        for inner in _models_inside(info.annotation):
            yield from sections(inner, f"{path}.{name}" if path else name)


def reference() -> str:
    """The whole reference page."""
    head = (
        "# Facility file reference\n\nGenerated from the schema by "
        "`python -m facility.config.reference`; do not edit by hand. See config.md for the guide.\n"
    )
    return head + "".join(sections(FacilityConfig))


if __name__ == "__main__":
    print(reference(), end="")
