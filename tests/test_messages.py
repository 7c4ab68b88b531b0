"""Every MQTT payload model is bounded and fits its own reader: the largest message a writer can make is one its
reader takes, every text field has a length, every list a count; and a writer's own long text is shortened, never a
message lost (facility/messages.py)."""

from __future__ import annotations

import datetime as dt
import re._parser as sre_parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facility import messages
from facility.messages import AuditEvent, DoorEvent, Message, SiteAlarm

MODELS = sorted(
    (model for model in vars(messages).values() if isinstance(model, type) and issubclass(model, Message)),
    key=lambda model: model.__name__,
)
MODELS.remove(Message)
AT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
ESCAPED = 6  # the most bytes one character can take in JSON ("\u0000")


def worst_bytes(schema: dict[str, Any], defs: dict[str, Any], where: str) -> int:
    """The most bytes a value of this JSON schema can take on the wire; an unbounded text or list is an error."""
    if "$ref" in schema:
        return worst_bytes(defs[schema["$ref"].split("/")[-1]], defs, where)
    if "anyOf" in schema:
        return max(worst_bytes(option, defs, where) for option in schema["anyOf"])
    if "enum" in schema or "const" in schema:
        return max(len(str(value)) + 2 for value in schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "string":
        return _worst_text(schema, where)
    if kind == "array":
        assert "maxItems" in schema, f"{where}: a list without a count"
        return 2 + schema["maxItems"] * (worst_bytes(schema["items"], defs, where + "[]") + 1)
    if kind == "object":
        return 2 + sum(
            len(name) + 4 + worst_bytes(field, defs, f"{where}.{name}") for name, field in schema["properties"].items()
        )
    return {"integer": 21, "number": 24, "boolean": 5, "null": 4}[kind]


def _worst_text(schema: dict[str, Any], where: str) -> int:
    """The most bytes a text can take: its length, or its pattern's widest match; a moment's ISO form."""
    if schema.get("format") == "date-time":
        return 40
    if "pattern" in schema:
        widest = sre_parse.parse(schema["pattern"]).getwidth()[1]
        assert widest < 10_000, f"{where}: a pattern without a length"
        return widest * (1 if schema["pattern"].isascii() else ESCAPED) + 2
    assert "maxLength" in schema, f"{where}: a text without a length"
    return schema["maxLength"] * ESCAPED + 2


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_largest_message_a_writer_can_make_is_one_its_reader_takes(model: type[Message]) -> None:
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    worst = worst_bytes(schema, schema.get("$defs", {}), model.__name__)
    assert worst <= model.MAX_BYTES, f"{model.__name__}: up to {worst} bytes, its reader takes {model.MAX_BYTES}"
    assert model.MAX_BYTES <= 64 * 1024  # and the broker's message limit is above every one of them


long_text = st.text(min_size=0, max_size=5000)


@given(reason=long_text, detail=long_text, command=long_text, door=long_text)
def test_a_writer_s_long_text_is_shortened_and_the_message_kept(reason, detail, command, door) -> None:
    row = AuditEvent.fitted(at=AT, door=door, action="relay_released", reason=reason, detail=detail, command_id=command)
    assert AuditEvent.read(row.payload()) == row
    assert len(row.reason) <= 300 and (len(reason) <= 300) == (row.reason == reason)
    alarm = SiteAlarm.fitted(alarm="store_lost", active=True, at=AT, error=detail)
    assert SiteAlarm.read(alarm.payload()) == alarm


def test_fitting_never_bends_what_is_not_text() -> None:
    with pytest.raises(ValueError):
        DoorEvent.fitted(event="exploded", door="booth-a", at=AT)  # not one of the events: refused, not shortened
