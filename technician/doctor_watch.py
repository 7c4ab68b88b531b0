"""What `officepass-site doctor` learns on the broker as its own user: who is online, each door's state, the bridge.

`officepass-site setup` gives doctor a read-only broker user of its own (`doctor`, its password root's only),
so that doctor never logs in as a program (the broker gives each user one connection: a login as lockd's
user would throw lockd off and end its session) nor as a technician watching with mosquitto_sub. What it
reads is what the programs leave retained: their availability (their last will says `offline` when they
die), the doors' states and the bridge's link.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from facility.config import FacilityConfig
from facility.topics import SiteTopics
from lockd.bridge import notification_topic
from messagebus import BrokerSettings, BusClient, Inbound
from technician.site_checks import BROKER_SECRETS, DOCTOR_USER

if TYPE_CHECKING:
    from technician.doctor import Findings

Heard = dict[str, str]


def doctor_login(cfg: FacilityConfig, secrets: Path = BROKER_SECRETS) -> BrokerSettings | None:
    """doctor's own login on the site's broker, or None where setup has not made it or this user cannot read it."""
    try:
        password = (secrets / f"{DOCTOR_USER}.pass").read_text().strip()
    except OSError:
        return None
    mqtt = cfg.mqtt_settings
    return BrokerSettings(
        mqtt.host, mqtt.port, DOCTOR_USER, password, tls=mqtt.tls, ca_file=mqtt.ca_file, client_id=DOCTOR_USER
    )


def watched(cfg: FacilityConfig) -> dict[str, str]:
    """The retained topics doctor reads, by what each tells."""
    topics = SiteTopics.of(cfg)
    wanted = {f"door {door.id}": topics.door(door.id, "state") for door in cfg.doors}
    if cfg.doors and cfg.lockd is not None:
        wanted["lockd"] = topics.lockd("availability")
    if cfg.kiosk is not None:
        wanted["kiosk"] = topics.kiosk(cfg.kiosk.id, "availability")
    if cfg.mqtt_settings.bridge is not None:
        wanted["bridge"] = notification_topic(cfg)
    return wanted


def listen(settings: BrokerSettings, wanted: dict[str, str], timeout: float) -> Heard | None:
    """What the broker holds on each wanted topic, within timeout (None: no connection); the bridge is waited for
    until it says 1, as a link that is coming up first says 0."""
    inbox: queue.Queue[Inbound] = queue.Queue()
    bus = BusClient(settings)
    for topic in wanted.values():
        bus.subscribe(topic, inbox.put)
    bus.start()
    try:
        if not bus.wait_connected(timeout):
            return None
        return _gather(inbox, {topic: name for name, topic in wanted.items()}, time.monotonic() + timeout)
    finally:
        bus.stop()


def _gather(inbox: queue.Queue[Inbound], names: dict[str, str], deadline: float) -> Heard:
    """Messages until every topic has spoken (and the bridge says 1) or the deadline passes."""
    heard: Heard = {}
    while (left := deadline - time.monotonic()) > 0 and (len(heard) < len(names) or heard.get("bridge") == "0"):
        try:
            message = inbox.get(timeout=left)
        except queue.Empty:
            break
        heard[names[message.topic]] = message.payload.decode("utf-8", "replace")
    return heard


def report(cfg: FacilityConfig, found: Findings, heard: Heard) -> None:
    """Each program's availability, each door's state and the bridge's link, in plain words."""
    for program in ("lockd", "kiosk"):
        if program in watched(cfg):
            _availability(found, program, heard.get(program))
    lockd_up = heard.get("lockd") == "online"
    for door in cfg.doors:
        state = heard.get(f"door {door.id}")
        if state and lockd_up:
            found.ok(f"door {door.id} ({door.name}): {state}")
        elif state:
            found.warn(f"door {door.id} ({door.name}): {state} when lockd last said so (lockd is not online)")
        else:
            found.warn(f"door {door.id} ({door.name}): no state reported; is lockd running for this site?")
    if "bridge" in watched(cfg):
        _bridge(cfg, found, heard.get("bridge"))


def _availability(found: Findings, program: str, said: str | None) -> None:
    """A program's availability: online, offline (stopped, or its last will: it died), or never seen."""
    unit = f"officepass-{program}"
    if said == "online":
        found.ok(f"{program} is online")
    elif said == "offline":
        found.fail(
            f"{program} is offline: stopped, or it died (the broker said its last will)",
            fix=f"systemctl status {unit}; journalctl -u {unit} says why; systemctl start {unit}",
        )
    else:
        found.warn(f"{program} has never connected to this broker", fix=f"systemctl enable --now {unit}")


def _bridge(cfg: FacilityConfig, found: Findings, said: str | None) -> None:
    """The bridge to the platform's broker: linked (1), cut (0), or not heard from."""
    assert cfg.mqtt is not None and cfg.mqtt.bridge is not None
    where = f"{cfg.mqtt.bridge.host}:{cfg.mqtt.bridge.port}"
    if said == "1":
        found.ok(f"the site's broker is linked to the platform's ({where})")
        return
    found.fail(
        f"the site's broker is not linked to the platform's ({where}){'' if said == '0' else ': no word'}",
        fix="check the WAN; the broker's log (journalctl -u mosquitto, /var/log/mosquitto/mosquitto.log) says "
        "why: 'certificate verify failed' (the CA in [mqtt.bridge] ca_file), 'host name verification "
        "failed' (the host), 'not authorised' (the bridge password or the platform's ACL)",
    )


def check_as_doctor(
    cfg: FacilityConfig,
    found: Findings,
    settings: BrokerSettings,
    timeout: float,
    advice: Callable[[BrokerSettings], tuple[str, str]],
) -> None:
    """Log in as doctor's own user and report what the broker holds; why not, when it will not have it."""
    heard = listen(settings, watched(cfg), timeout)
    if heard is None:
        text, fix = advice(settings)
        found.fail(text, fix=fix)
        return
    found.ok(f"broker {settings.host}:{settings.port} accepts doctor's own login")
    report(cfg, found, heard)
