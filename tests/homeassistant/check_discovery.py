"""Run inside a venv holding Home Assistant: judge discovery messages with its own MQTT schemas and templates.

Reads {"messages": [{"topic", "payload"}], "samples": {state_topic: [payload, ...]}} on stdin, writes one
result per message on stdout: the parts of its topic as Home Assistant's discovery reads them, the schema's
error (or null), the keys the schema would silently drop, and what its value template renders for each sample
published on its state topic. Standard library and Home Assistant only.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile

from homeassistant.components.mqtt import binary_sensor, discovery, event, sensor
from homeassistant.core import HomeAssistant
from homeassistant.helpers import template

SCHEMAS = {
    "sensor": sensor.DISCOVERY_SCHEMA,
    "binary_sensor": binary_sensor.DISCOVERY_SCHEMA,
    "event": event.DISCOVERY_SCHEMA,
}


def judge(hass: HomeAssistant, topic: str, config: dict, samples: dict) -> dict:
    """One discovery message, as Home Assistant would take it."""
    prefix_free = topic.split("/", 1)[1]
    match = discovery.TOPIC_MATCHER.fullmatch(prefix_free)
    result = {
        "topic": topic,
        "parts": match.groupdict() if match else None,
        "error": None,
        "dropped": [],
        "renders": {},
    }
    schema = SCHEMAS.get(match["component"]) if match else None
    if schema is None:
        result["error"] = "no such component"
        return result
    try:
        validated = schema(dict(config))
    except Exception as exc:  # voluptuous' Invalid, with the path of the offending key
        result["error"] = str(exc)
        return result
    result["dropped"] = sorted(set(config) - set(validated))
    if "value_template" in config:
        compiled = template.Template(config["value_template"], hass)
        for sample in samples.get(config["state_topic"], []):
            result["renders"][sample] = compiled.async_render_with_possible_json_value(sample, None)
    return result


async def main() -> None:
    """Judge everything read on stdin."""
    request = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        results = [judge(hass, m["topic"], json.loads(m["payload"]), request["samples"]) for m in request["messages"]]
        await hass.async_stop(force=True)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
