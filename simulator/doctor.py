"""`officepass-sim doctor`: is this site's file good, and can it reach what it needs? Said in plain words."""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from facility.config import FacilityConfig, load_config
from facility.contract import KEYS, KeysAnswer, SettingsAnswer, settings_path
from facility.errors import ConfigError
from facility.platform import PlatformClient, PlatformError
from facility.topics import SiteTopics
from messagebus import BrokerSettings, BusClient, Inbound

Say = Callable[[str], None]


@dataclass
class Findings:
    """What the doctor found: each line is OK, WARN or FAIL."""

    lines: list[str] = field(default_factory=list)
    failures: int = 0

    def ok(self, text: str) -> None:
        """Something works."""
        self.lines.append(f"OK    {text}")

    def warn(self, text: str) -> None:
        """Something to look at."""
        self.lines.append(f"WARN  {text}")

    def fail(self, text: str) -> None:
        """Something that stops the site."""
        self.failures += 1
        self.lines.append(f"FAIL  {text}")


def check_platform(cfg: FacilityConfig, found: Findings) -> None:
    """Reach the platform and see whether it knows this facility."""
    client = PlatformClient(cfg.platform)
    try:
        keys = client.call("GET", KEYS, KeysAnswer).keys
        client.call("GET", settings_path(cfg.facility.id), SettingsAnswer)
    except PlatformError as exc:
        if exc.status == 404:
            found.fail(f"the platform at {cfg.platform.base_url} does not know facility {cfg.facility.id!r}")
        elif exc.credentials:
            found.fail(f"the platform at {cfg.platform.base_url} refuses this facility's API token ({exc}): "
                       "renew the file named by platform.api_token_file")
        elif exc.status == 0:
            found.fail(f"cannot reach the platform at {cfg.platform.base_url}: {exc}")
        else:
            found.fail(f"the platform at {cfg.platform.base_url} answers wrongly: {exc}")
        return
    found.ok(f"platform {cfg.platform.base_url} answers and knows {cfg.facility.id}")
    published = {key.key_id for key in keys}
    pinned = {key.key_id for key in cfg.tokens.trusted_keys if key.key_id}
    if pinned and not pinned & published:
        found.warn("none of the pinned keys is among the platform's published keys: check for a key rotation")


def check_broker(cfg: FacilityConfig, found: Findings, timeout: float) -> None:
    """Log in to the broker as this site and list the doors' states."""
    try:
        settings = BrokerSettings.from_config(cfg.mqtt, f"doctor-{cfg.facility.id}")
    except OSError as exc:
        found.fail(f"cannot read the broker password file: {exc}")
        return
    bus, states = BusClient(settings), queue.Queue[Inbound]()
    topics = SiteTopics(cfg.mqtt_settings.topic_prefix, cfg.facility.id)
    for door in cfg.doors:
        bus.subscribe(topics.door(door.id, "state"), states.put)
    bus.start()
    try:
        if not bus.wait_connected(timeout):
            found.fail(f"cannot log in to the broker at {cfg.mqtt_settings.host}:{cfg.mqtt_settings.port} as {cfg.mqtt_settings.username!r} "
                       "(wrong password, TLS, or the broker is down)")
            return
        found.ok(f"broker {cfg.mqtt_settings.host}:{cfg.mqtt_settings.port} accepts {cfg.mqtt_settings.username!r}")
        _door_states(cfg, states, found, timeout)
    finally:
        bus.stop()


def _door_states(cfg: FacilityConfig, states: queue.Queue, found: Findings, timeout: float) -> None:
    """Each door's retained state, or a note that lockd has never reported it."""
    seen: dict[str, str] = {}
    try:
        while len(seen) < len(cfg.doors):
            message = states.get(timeout=timeout)
            seen[message.topic.split("/")[-2]] = message.payload.decode()
    except queue.Empty:
        pass
    for door in cfg.doors:
        if door.id in seen:
            found.ok(f"door {door.id} ({door.name}): {seen[door.id]}")
        else:
            found.warn(f"door {door.id} ({door.name}): no state reported; is lockd running for this site?")


def check_loops(cfg: FacilityConfig, found: Findings, timeout: float) -> None:
    """Each running program's background loops, read from its metrics endpoint (when the file enables one)."""
    ports = {"kiosk": cfg.kiosk_settings.metrics_port if cfg.kiosk else None, "lockd": cfg.lockd_settings.metrics_port if cfg.lockd else None}
    for program, port in ports.items():
        if port is None:
            continue
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=timeout).text
        except requests.RequestException:
            found.warn(f"{program}: no metrics on 127.0.0.1:{port}; is it running on this machine?")
            continue
        for name, loop in loop_states(text, program).items():
            if loop.get("up") == 1:
                found.ok(f"{program} loop {name}: running ({int(loop['failures'])} failure(s), "
                         f"{int(loop['restarts'])} restart(s) so far)")
            else:
                age = loop.get("last_ok_age_seconds", -1)
                since = "no good round yet" if age < 0 else f"last good round {int(age)} s ago"
                found.warn(f"{program} loop {name}: failing, stalled or stopped ({since}, {int(loop['failures'])} "
                           f"failure(s), {int(loop['restarts'])} restart(s)); see the program's log")


def loop_states(metrics_text: str, program: str) -> dict[str, dict[str, float]]:
    """The loops' figures from a Prometheus text page: {loop: {"up": .., "failures": .., "restarts": ..}}."""
    loops: dict[str, dict[str, float]] = {}
    prefix = f"officepass_{program}_loop_"
    for family in text_string_to_metric_families(metrics_text):
        if family.name.startswith(prefix):
            for sample in family.samples:
                loops.setdefault(sample.labels["loop"], {})[family.name[len(prefix):]] = sample.value
    return loops


def doctor(path: str | Path, timeout: float = 5.0) -> Findings:
    """Check the file, the platform and the broker."""
    found = Findings()
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        found.fail(f"{path}: the facility file is not valid ({len(exc.problems)} problem(s)):")
        found.lines += [f"        {problem}" for problem in exc.problems]
        return found
    found.ok(f"{path}: {cfg.facility.id} ({cfg.facility.kind.value}), {len(cfg.doors)} door(s)")
    check_platform(cfg, found)
    check_loops(cfg, found, timeout)
    if cfg.mqtt is not None:
        check_broker(cfg, found, timeout)
    elif cfg.doors:
        found.fail("the site has doors but no [mqtt] section: doors get their commands over MQTT")
    return found
