"""Home Assistant MQTT discovery, from the message models: what lockd publishes is what Home Assistant is told.

The site's lockd is a device (its link to the broker, its last sync, the key set it holds, its site alarms);
each door is a device behind it (`via_device`): its lock state (LockState's words), the door as a door
sensor, and its alarms (`DOOR_ALARMS`) as an event entity. Every entity has an ASCII `object_id`, so its
entity id never becomes a transliteration of a Japanese name. Nothing has a button: doors open only for
signed commands from the platform. Discovery topics sit under a node of the facility's own
(`PREFIX/COMPONENT/officepass_FACILITY/OBJECT/config`), so lockd, whose ACL covers that node, can take down
what a removed door left retained (`is_ghost`). tests/test_homeassistant.py holds every payload to Home
Assistant's own discovery schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from facility.config import FacilityConfig
from facility.messages import AVAILABILITY, DOOR_ALARMS
from facility.topics import ANY, SiteTopics
from facility.version import VERSION

Component = Literal["sensor", "binary_sensor", "event"]


class Device(BaseModel):
    """A Home Assistant device: the site's lockd, or one of its doors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    identifiers: list[str]
    name: str
    manufacturer: str = "officepass-edge"
    model: str
    sw_version: str = VERSION
    via_device: str | None = None


class Entity(BaseModel):
    """What every discovered entity says: who it is, its device, where its state comes from, when it is there."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    unique_id: str
    object_id: str
    device: Device
    state_topic: str
    value_template: str | None = None
    availability_topic: str | None = None
    payload_available: str | None = None
    payload_not_available: str | None = None
    device_class: str | None = None
    entity_category: Literal["diagnostic"] | None = None
    icon: str | None = None


class Sensor(Entity):
    """A sensor (lock state, a timestamp, a number)."""


class BinarySensor(Entity):
    """An on/off sensor (a door, a link, a problem)."""

    payload_on: str = "ON"
    payload_off: str = "OFF"


class Event(Entity):
    """An event entity: a door's alarms as they happen."""

    event_types: list[str]


@dataclass(frozen=True)
class Discovery:
    """One entity's discovery message: where it goes (retained) and what it says."""

    topic: str
    entity: Entity

    def payload(self) -> bytes:
        """The configuration as Home Assistant reads it (unset options left out)."""
        return self.entity.model_dump_json(exclude_none=True).encode()


def node(cfg: FacilityConfig) -> str:
    """The facility's node in the discovery tree (and the stem of every object id): ASCII, no hyphens."""
    return f"officepass_{cfg.facility.id.replace('-', '_')}"


def discovery_topic(prefix: str, component: str, node_id: str, object_id: str) -> str:
    """Where one entity's configuration is published."""
    return f"{prefix}/{component}/{node_id}/{object_id}/config"


def discovery_filter(cfg: FacilityConfig) -> str | None:
    """Every discovery topic of the facility, present or left by a removed door (lockd's ACL covers it)."""
    prefix = cfg.lockd_settings.home_assistant_prefix
    return discovery_topic(prefix, ANY, node(cfg), ANY) if prefix else None


def _available(topics: SiteTopics) -> dict[str, str]:
    """Entities are there while lockd is (its availability, with its last will)."""
    return {
        "availability_topic": topics.lockd("availability"),
        "payload_available": AVAILABILITY[0],
        "payload_not_available": AVAILABILITY[1],
    }


def _entity(kind: type[Entity], stem: str, what: str, name: str, device: Device, **options: object) -> Entity:
    """One entity, its unique and object ids made from the facility's (and the door's) ASCII stem."""
    return kind.model_validate(
        {"name": name, "unique_id": f"{stem}_{what}", "object_id": f"{stem}_{what}", "device": device} | options
    )


def controller_entities(cfg: FacilityConfig, topics: SiteTopics) -> list[tuple[Component, str, Entity]]:
    """The site's lockd: its link, its last sync and key set (diagnostics), and the site alarms as problems."""
    stem = node(cfg)
    device = Device(identifiers=[f"{stem}_lockd"], name=f"lockd {cfg.facility.id}", model="lockd")
    there, alarm = _available(topics), "{{ 'ON' if value_json.active else 'OFF' }}"
    diagnostic = {"entity_category": "diagnostic"}
    link = {
        "state_topic": topics.lockd("availability"),
        "payload_on": AVAILABILITY[0],
        "payload_off": AVAILABILITY[1],
        "device_class": "connectivity",
    }
    last_sync = {
        "state_topic": topics.lockd("status"),
        "device_class": "timestamp",
        "value_template": "{{ value_json.last_sync | default(None) }}",
    }
    keyset = {
        "state_topic": topics.lockd("status"),
        "icon": "mdi:key-chain",
        "value_template": "{{ value_json.keyset_version | default(None) }}",
    }
    stale = {"state_topic": topics.lockd("alarm"), "value_template": alarm, "device_class": "problem"}
    lost = {"state_topic": topics.lockd("alarm/store"), "value_template": alarm, "device_class": "problem"}
    return [
        ("binary_sensor", "link", _entity(BinarySensor, stem, "link", "Broker link", device, **link, **diagnostic)),
        (
            "sensor",
            "last_sync",
            _entity(Sensor, stem, "last_sync", "Last reservation sync", device, **last_sync, **diagnostic, **there),
        ),
        (
            "sensor",
            "keyset",
            _entity(Sensor, stem, "keyset", "Key set version", device, **keyset, **diagnostic, **there),
        ),
        (
            "binary_sensor",
            "reservations_stale",
            _entity(BinarySensor, stem, "reservations_stale", "Reservations stale", device, **stale, **there),
        ),
        (
            "binary_sensor",
            "store_lost",
            _entity(BinarySensor, stem, "store_lost", "Store lost", device, **lost, **there),
        ),
    ]


def door_entities(
    cfg: FacilityConfig, topics: SiteTopics, door_id: str, name: str
) -> list[tuple[Component, str, Entity]]:
    """One door: its lock state, the door sensor and its alarms, on a device behind the site's lockd."""
    suffix = door_id.replace("-", "_")
    stem = f"{node(cfg)}_{suffix}"
    device = Device(identifiers=[stem], name=name, model="door", via_device=f"{node(cfg)}_lockd")
    there = _available(topics)
    # A plain text sensor of LockState's words: an enum sensor's `options` came to MQTT discovery only with Home
    # Assistant 2024.4, and an older one drops them, then refuses every state of an enum without options.
    lock = {"state_topic": topics.state(door_id), "icon": "mdi:lock"}
    door = {
        "state_topic": topics.state(door_id),
        "device_class": "door",
        "value_template": "{{ 'ON' if value == 'OPEN' else 'OFF' }}",
    }
    alarms = {
        "state_topic": topics.event(door_id),
        "event_types": list(DOOR_ALARMS),
        "icon": "mdi:alarm-light",
        # only the alarms become events; a door's other events render nothing, which Home Assistant ignores
        "value_template": '{% if value_json.alarm %}{"event_type": "{{ value_json.event }}"}{% endif %}',
    }
    return [
        ("sensor", f"{suffix}_lock", _entity(Sensor, stem, "lock", "Lock", device, **lock, **there)),
        ("binary_sensor", f"{suffix}_door", _entity(BinarySensor, stem, "door", "Door", device, **door, **there)),
        ("event", f"{suffix}_alarm", _entity(Event, stem, "alarm", "Alarm", device, **alarms, **there)),
    ]


def discovery_messages(cfg: FacilityConfig, topics: SiteTopics) -> list[Discovery]:
    """Every entity of the site, where it is published (none when the file turns discovery off)."""
    prefix = cfg.lockd_settings.home_assistant_prefix
    if prefix is None:
        return []
    entities = controller_entities(cfg, topics)
    for door in cfg.doors:
        entities += door_entities(cfg, topics, door.id, door.name)
    return [
        Discovery(discovery_topic(prefix, component, node(cfg), object_id), entity)
        for component, object_id, entity in entities
    ]


def is_ghost(cfg: FacilityConfig, topics: SiteTopics, topic: str) -> bool:
    """True for a retained discovery or door state this facility's lockd published once and no longer has: a door
    removed from the site file, which Home Assistant would otherwise show as a healthy LOCKED ghost."""
    current = {message.topic for message in discovery_messages(cfg, topics)}
    current |= {topics.state(door.id) for door in cfg.doors}
    return topic not in current
