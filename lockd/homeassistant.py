"""Home Assistant MQTT discovery: each door appears as a lock-state sensor and a door sensor, both read-only.

Doors open only for signed commands from the platform, so Home Assistant gets no button at all:
an MQTT lock entity would show lock and unlock buttons that could only do nothing.
"""

from __future__ import annotations

import json

from facility.config import FacilityConfig
from facility.topics import SiteTopics


def discovery_topics(prefix: str, facility_id: str, door_id: str) -> tuple[str, str]:
    """Where a door's lock-state sensor and door-sensor configurations are published."""
    node = f"officepass_{facility_id}_{door_id}".replace("-", "_")
    return f"{prefix}/sensor/{node}/config", f"{prefix}/binary_sensor/{node}/config"


def discovery_messages(cfg: FacilityConfig, topics: SiteTopics) -> list[tuple[str, str]]:
    """(topic, retained JSON) for every door of the site."""
    prefix = cfg.lockd_settings.home_assistant_prefix
    if prefix is None:
        return []
    messages = []
    for door in cfg.doors:
        lock_topic, sensor_topic = discovery_topics(prefix, cfg.facility.id, door.id)
        node = lock_topic.split("/")[2]
        device = {
            "identifiers": [node],
            "name": door.name,
            "manufacturer": "officepass",
            "model": "lockd",
            "suggested_area": cfg.facility.name,
        }
        common = {
            "availability_topic": topics.lockd("availability"),
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
            "state_topic": topics.door(door.id, "state"),
        }
        lock = common | {
            "name": "Lock",
            "unique_id": f"{node}_lock",
            "device_class": "enum",
            "icon": "mdi:lock",
            "options": ["LOCKED", "UNLOCKED", "UNLOCKING", "JAMMED", "OPEN"],
        }
        sensor = common | {
            "name": "Door",
            "unique_id": f"{node}_door",
            "device_class": "door",
            "value_template": "{{ 'ON' if value == 'OPEN' else 'OFF' }}",
        }
        messages += [
            (lock_topic, json.dumps(lock, ensure_ascii=False)),
            (sensor_topic, json.dumps(sensor, ensure_ascii=False)),
        ]
    return messages
