"""The MQTT contract as an AsyncAPI 3 document and as docs/mqtt.md's topic table, both from one registry.

Each channel names its address (facility/topics.py's names), its message (facility/messages.py's models, or a
plain-text vocabulary), who sends and who receives it, and how (QoS, retained, expiry, reply). The document
is written with `python -m facility.asyncapi > docs/mqtt-asyncapi.json` and the table with `--table`; tests
keep both files equal to what this module writes, and validate the document with the AsyncAPI project's own
parser (tests/test_asyncapi.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from facility.contract import SignedKeySet
from facility.messages import (
    TOKEN_MAX_CHARS,
    AuditEvent,
    CheckinAnswer,
    DeskCheckin,
    DoorEvent,
    HeldKeySet,
    LockdStatus,
    LockState,
    Message,
    ReservationsChanged,
    SiteAlarm,
    SpentPass,
    UnlockAnswer,
)
from facility.version import VERSION

AVAILABILITY_TEXT = {"type": "string", "enum": ["online", "offline"]}
PLAIN: dict[str, dict[str, Any]] = {  # payloads that are not JSON: their schema
    "unlockCommand": {
        "type": "string",
        "minLength": 1,
        "maxLength": TOKEN_MAX_CHARS,
        "description": "a signed unlock command, as docs/tokens.md lays it out",
    },
    "lockState": {"type": "string", "enum": [state.value for state in LockState]},
    "availability": AVAILABILITY_TEXT,
    "bridgeLink": {"type": "string", "enum": ["1", "0"], "description": "1 linked, 0 cut (Mosquitto's notification)"},
}
PARAMETERS = {
    "prefix": "the root of the tree: [mqtt] topic_prefix (default officepass)",
    "facility": "the facility's id",
    "door": "a door's id",
    "kiosk": "a kiosk's id",
}


@dataclass(frozen=True)
class Channel:
    """One topic of the tree: what it carries, between whom, and how."""

    name: str
    address: str
    message: str  # a key of MODELS or PLAIN
    summary: str
    senders: tuple[str, ...]
    receivers: tuple[str, ...]
    retained: bool = False
    qos: int = 1
    expiry: bool = False  # the sender sets a message expiry
    reply: str | None = None  # the channel of the answer, named as the request's response topic


MODELS: dict[str, type[Message] | type[SignedKeySet]] = {
    "unlockAnswer": UnlockAnswer,
    "doorEvent": DoorEvent,
    "siteAlarm": SiteAlarm,
    "auditEvent": AuditEvent,
    "heldKeySet": HeldKeySet,
    "lockdStatus": LockdStatus,
    "reservationsChanged": ReservationsChanged,
    "signedKeySet": SignedKeySet,
    "deskCheckin": DeskCheckin,
    "checkinAnswer": CheckinAnswer,
    "spentPass": SpentPass,
}
SITE = "{prefix}/{facility}"
CHANNELS = (
    Channel(
        "doorCommand",
        f"{SITE}/door/{{door}}/command",
        "unlockCommand",
        "unlock commands; never retained, expiring in seconds; the signature covers this name",
        ("platform",),
        ("lockd",),
        expiry=True,
        reply="doorReply",
    ),
    Channel(
        "doorReply",
        f"{SITE}/door/{{door}}/reply",
        "unlockAnswer",
        "lockd's answer to a command, with the command's correlation data (QoS 0 for an answer to junk: it needs no "
        "acknowledgement to cost lockd)",
        ("lockd",),
        ("platform",),
    ),
    Channel(
        "doorState",
        f"{SITE}/door/{{door}}/state",
        "lockState",
        "a door's lock state (never UNLOCKING: the relay has moved before the state goes out)",
        ("lockd",),
        ("platform", "homeassistant"),
        retained=True,
    ),
    Channel(
        "doorEvent",
        f"{SITE}/door/{{door}}/event",
        "doorEvent",
        "what a door did: opened, closed, unlocked, relocked; forced, held_open and jammed are alarms; refused",
        ("lockd",),
        ("platform", "homeassistant"),
    ),
    Channel(
        "lockdAvailability",
        f"{SITE}/lockd/availability",
        "availability",
        "online on each connection, offline on a clean stop, and as lockd's last will",
        ("lockd",),
        ("platform", "homeassistant"),
        retained=True,
    ),
    Channel(
        "lockdStatus",
        f"{SITE}/lockd/status",
        "lockdStatus",
        "lockd's version, its last good reservation sync and the key set it holds",
        ("lockd",),
        ("platform", "homeassistant"),
        retained=True,
    ),
    Channel(
        "siteAlarm",
        f"{SITE}/lockd/alarm",
        "siteAlarm",
        "stale reservations, raised and cleared",
        ("lockd",),
        ("platform", "homeassistant"),
        retained=True,
    ),
    Channel(
        "storeAlarm",
        f"{SITE}/lockd/alarm/store",
        "siteAlarm",
        "lockd's store was lost: commands issued before the new one are refused",
        ("lockd",),
        ("platform", "homeassistant"),
        retained=True,
    ),
    Channel(
        "audit",
        f"{SITE}/lockd/audit",
        "auditEvent",
        "every audit row as it is written (stays in the building)",
        ("lockd",),
        ("technician",),
    ),
    Channel(
        "heldKeySet",
        f"{SITE}/lockd/keyset",
        "heldKeySet",
        "the key set lockd holds",
        ("lockd",),
        ("platform",),
        retained=True,
    ),
    Channel(
        "reservationsChanged",
        f"{SITE}/reservations/changed",
        "reservationsChanged",
        "reservations or revocations changed (sent to every site on a revocation): refresh both now",
        ("platform",),
        ("lockd", "kiosk"),
        expiry=True,
    ),
    Channel(
        "keySet",
        f"{SITE}/keyset",
        "signedKeySet",
        "the platform's signed key set (the body of GET /keyset), verified before anything else",
        ("platform",),
        ("lockd", "kiosk"),
        retained=True,
    ),
    Channel(
        "kioskCheckin",
        f"{SITE}/kiosk/{{kiosk}}/checkin",
        "deskCheckin",
        "a member checked in with the front-desk code: their pass, for the kiosk to judge",
        ("platform",),
        ("kiosk",),
        expiry=True,
        reply="kioskReply",
    ),
    Channel(
        "kioskReply",
        f"{SITE}/kiosk/{{kiosk}}/reply",
        "checkinAnswer",
        "the kiosk's verdict on a desk-code check-in",
        ("kiosk",),
        ("platform",),
    ),
    Channel(
        "kioskAvailability",
        f"{SITE}/kiosk/{{kiosk}}/availability",
        "availability",
        "online on each connection, offline on a clean stop, and as the kiosk's last will",
        ("kiosk",),
        ("platform",),
        retained=True,
    ),
    Channel(
        "spentPass",
        f"{SITE}/kiosk/{{kiosk}}/spent",
        "spentPass",
        "a pass a kiosk admitted: the facility's other kiosks refuse it until keep_until",
        ("kiosk",),
        ("kiosk",),
        expiry=True,
    ),
    Channel(
        "bridgeLink",
        f"{SITE}/bridge",
        "bridgeLink",
        "the site broker's link to the platform's",
        ("mosquitto",),
        ("platform", "technician"),
        retained=True,
    ),
)


def _schemas() -> dict[str, Any]:
    """Every model's JSON schema, with what they share hoisted into components (AsyncAPI's home for them)."""
    schemas: dict[str, Any] = {}
    for name, model in MODELS.items():
        schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        schemas |= schema.pop("$defs", {})
        schemas[name] = schema
    return schemas


def _message(name: str) -> dict[str, Any]:
    """A message of components: its payload, JSON or plain text."""
    if name in PLAIN:
        return {"name": name, "contentType": "text/plain", "payload": PLAIN[name]}
    return {"name": name, "contentType": "application/json", "payload": {"$ref": f"#/components/schemas/{name}"}}


def _channel(channel: Channel) -> dict[str, Any]:
    """A channel: its address, its parameters and its one message."""
    used = [name for name in PARAMETERS if f"{{{name}}}" in channel.address]
    return {
        "address": channel.address,
        "description": channel.summary,
        "parameters": {name: {"description": PARAMETERS[name]} for name in used},
        "messages": {channel.message: {"$ref": f"#/components/messages/{channel.message}"}},
    }


def _operations(channel: Channel) -> dict[str, Any]:
    """Each sender's send and each receiver's receive, with their MQTT bindings and the reply they expect."""
    operations = {}
    binding = {"mqtt": {"qos": channel.qos, "retain": channel.retained, "bindingVersion": "0.2.0"}}
    for action, programs in (("send", channel.senders), ("receive", channel.receivers)):
        for program in programs:
            operation: dict[str, Any] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{channel.name}"},
                "bindings": binding,
                "messages": [{"$ref": f"#/channels/{channel.name}/messages/{channel.message}"}],
                "tags": [{"name": program}],
            }
            if channel.reply:
                operation["reply"] = {"channel": {"$ref": f"#/channels/{channel.reply}"}}
            operations[f"{program}{action.title()}s{channel.name[0].upper()}{channel.name[1:]}"] = operation
    return operations


def document() -> dict[str, Any]:
    """The whole AsyncAPI 3 document."""
    operations: dict[str, Any] = {}
    for channel in CHANNELS:
        operations |= _operations(channel)
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "officepass-edge MQTT",
            "version": VERSION,
            "description": "The topic tree of a site's broker (and, bridged, the platform's): what the "
            "platform, lockd, the kiosks and Home Assistant say to each other. MQTT 5.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "site": {
                "host": "localhost:8883",
                "protocol": "secure-mqtt",
                "protocolVersion": "5",
                "description": "a site's Mosquitto (TLS on 8883; 1883 on loopback only)",
            }
        },
        "channels": {channel.name: _channel(channel) for channel in CHANNELS},
        "operations": operations,
        "components": {"messages": {name: _message(name) for name in (*PLAIN, *MODELS)}, "schemas": _schemas()},
    }


def table() -> str:
    """docs/mqtt.md's topic table: one row a channel."""
    rows = ["| topic | from -> to | payload | properties |", "|---|---|---|---|"]
    for channel in CHANNELS:
        payload = (
            f"`{MODELS[channel.message].__name__}`"
            if channel.message in MODELS
            else " / ".join(PLAIN[channel.message].get("enum", ["text"]))
        )
        properties = ", ".join(
            word
            for word, on in (
                ("retained", channel.retained),
                ("expiring", channel.expiry),
                (f"answered on {channel.reply}", bool(channel.reply)),
            )
            if on
        )
        rows.append(
            f"| `{channel.address}` | {', '.join(channel.senders)} -> {', '.join(channel.receivers)} | "
            f"{payload} | QoS {channel.qos}{', ' + properties if properties else ''}; {channel.summary} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    """Print the document as JSON-compatible YAML (or, with --table, the table)."""
    if argv[:1] == ["--table"]:
        sys.stdout.write(table())
    else:
        sys.stdout.write(json.dumps(document(), indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
