"""`officepass-site doctor`: is this site's file good, and can it reach what it needs? In plain words, with a fix."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from facility.config import FacilityConfig, load_config
from facility.contract import KEYS, KEYSET, KeysAnswer, SettingsAnswer, settings_path
from facility.errors import ConfigError
from facility.keyset import KeySet, Refused, judge, open_keyset, root_keyring
from facility.platform import PlatformClient, PlatformError
from facility.topics import SiteTopics
from messagebus import BrokerSettings, BusClient, Inbound, LoginAnswer, try_login
from technician.board import unit_active
from technician.doctor_board import check_files, check_gpio
from technician.doctor_local import (
    Advice,
    ClockReading,
    check_camera,
    check_clock,
    check_demo_secrets,
    check_sound,
    system_clock,
)
from technician.doctor_watch import check_as_doctor, doctor_login
from technician.site_checks import BROKER_SECRETS


@dataclass
class Findings:
    """What the doctor found: each line is OK, WARN or FAIL."""

    lines: list[str] = field(default_factory=list)
    failures: int = 0

    def ok(self, text: str) -> None:
        """Something works."""
        self.lines.append(f"OK    {text}")

    def warn(self, text: str, fix: str | None = None) -> None:
        """Something to look at."""
        self.lines.append(f"WARN  {text}")
        self._fix(fix)

    def fail(self, text: str, fix: str | None = None) -> None:
        """Something that stops the site."""
        self.failures += 1
        self.lines.append(f"FAIL  {text}")
        self._fix(fix)

    def _fix(self, fix: str | None) -> None:
        """What to do about the line above, indented under its text."""
        if fix:
            self.lines.append(f"      fix: {fix}")


def check_platform(cfg: FacilityConfig, found: Findings) -> None:
    """Reach the platform and see whether it knows this facility."""
    client = PlatformClient(cfg.platform)
    try:
        keys = client.call("GET", KEYS, KeysAnswer).keys
        client.call("GET", settings_path(cfg.facility.id), SettingsAnswer)
    except PlatformError as exc:
        text, fix = platform_advice(cfg, exc)
        found.fail(text, fix=fix)
        return
    found.ok(f"platform {cfg.platform.base_url} answers and knows {cfg.facility.id}")
    if cfg.tokens.root_keys:
        check_keyset(cfg, client, found)
        return
    published = {key.key_id for key in keys}
    pinned = {key.key_id for key in cfg.tokens.trusted_keys if key.key_id}
    if pinned and not pinned & published:
        found.warn("none of the pinned keys is among the platform's published keys: check for a key rotation")


def check_keyset(cfg: FacilityConfig, client: PlatformClient, found: Findings) -> None:
    """A site pinning a root: the platform's key set must be signed by it and hold a key valid now."""
    try:
        _, content = client.exchange("GET", KEYSET)
    except PlatformError as exc:
        found.fail(
            f"the platform's key set cannot be fetched ({exc})",
            fix="the platform must serve GET /keyset for sites that pin a root key",
        )
        return
    opened = open_keyset(content, root_keyring(cfg))
    refusal = opened if isinstance(opened, Refused) else judge(opened, None, time.time())
    if refusal is not None:
        found.fail(
            f"the platform's key set would be refused here: {refusal}",
            fix="check [[tokens.root_keys]] against the network's root key, and this board's clock",
        )
        return
    assert isinstance(opened, KeySet)
    found.ok(
        f"the platform's key set v{opened.version} is signed by root {opened.document['signed_by']} "
        f"and certifies {', '.join(key.key_id for key in opened.content.keys)}"
    )


def platform_advice(cfg: FacilityConfig, exc: PlatformError) -> Advice:
    """What the platform's refusal or silence means, and what to do."""
    url = cfg.platform.base_url
    if exc.status == 404:
        return Advice(
            f"the platform at {url} does not know facility {cfg.facility.id!r}",
            "check [facility] id, or ask the network to register this facility",
        )
    if exc.credentials:
        return Advice(
            f"the platform at {url} refuses this facility's API token ({exc})",
            "renew the file named by platform.api_token_file",
        )
    if exc.status == 0:
        return Advice(
            f"cannot reach the platform at {url}: {exc}",
            f"check [platform] base_url and this board's network: curl {url}/keys",
        )
    return Advice(f"the platform at {url} answers wrongly: {exc}", "the platform's operator must look at it")


def check_broker(
    cfg: FacilityConfig,
    found: Findings,
    timeout: float,
    links: dict[str, tuple[bool, dict[str, str]]],
    secrets: Path = BROKER_SECRETS,
) -> None:
    """The broker: as doctor's own user where setup made one (root reads its password); else from the running
    programs' metrics, or by logging in as the site when its program does not run."""
    own = doctor_login(cfg, secrets)
    if own is not None:
        check_as_doctor(
            cfg,
            found,
            own,
            timeout,
            lambda settings: login_advice(cfg, try_login(settings, timeout), settings.username),
        )
        return
    if cfg.mqtt_settings.bridge is not None:
        found.warn(
            "the link to the platform's broker is not checked: doctor needs its own broker user",
            fix="run doctor as root, on a board set up with officepass-site setup",
        )
    if not links:
        if unit_active(f"officepass-{'lockd' if cfg.doors else 'kiosk'}"):
            found.warn(
                "the broker is not checked: the program runs, and logging in as its user would throw it off",
                fix="run doctor as root (it then logs in as its own user), or set metrics_port",
            )
            return
        log_in_as_site(cfg, found, timeout)
        return
    # The broker gives each user one connection (use_username_as_clientid): logging in as the site would throw
    # the running program off and end its session, so doctor asks the program instead.
    where = f"{cfg.mqtt_settings.host}:{cfg.mqtt_settings.port}"
    for program, (connected, doors) in links.items():
        if connected:
            found.ok(f"{program} running here is connected to the broker at {where} (read from its metrics)")
        else:
            text, fix = login_advice(cfg, try_login(_settings(cfg), timeout))  # nothing holds the login now
            found.fail(f"{program} running here is not connected to the broker: {text}", fix=fix)
        for door in cfg.doors if program == "lockd" else ():
            state = doors.get(door.id)
            if state:
                found.ok(f"door {door.id} ({door.name}): {state}")
            else:
                found.warn(f"door {door.id} ({door.name}): lockd reports no state for it")


def running_links(cfg: FacilityConfig, timeout: float) -> dict[str, tuple[bool, dict[str, str]]]:
    """For each program running here with metrics: whether it is connected to the broker, and (lockd) door states."""
    ports = {
        "lockd": cfg.lockd_settings.metrics_port if cfg.lockd else None,
        "kiosk": cfg.kiosk_settings.metrics_port if cfg.kiosk else None,
    }
    links: dict[str, tuple[bool, dict[str, str]]] = {}
    for program, port in ports.items():
        text = metrics_text(port, timeout) if port is not None else None
        if text is None:
            continue
        connected, doors = False, dict[str, str]()
        for family in text_string_to_metric_families(text):
            if family.name == f"officepass_{program}_broker_connected":
                connected = all(sample.value == 1 for sample in family.samples)
            elif family.name == "officepass_lockd_door_state":
                doors |= {s.labels["door"]: s.labels["state"] for s in family.samples if s.value == 1}
        links[program] = (connected, doors)
    return links


def _settings(cfg: FacilityConfig) -> BrokerSettings:
    """The site's own broker login."""
    return BrokerSettings.from_config(cfg.mqtt, f"doctor-{cfg.facility.id}")


def log_in_as_site(cfg: FacilityConfig, found: Findings, timeout: float) -> None:
    """Log in to the broker as this site and list the doors' states (nothing else holds the login here)."""
    try:
        settings = _settings(cfg)
    except OSError as exc:
        found.fail(
            f"cannot read the broker password file: {exc}",
            fix="run doctor as root, or as the program's user; officepass-site setup sets its owner and mode",
        )
        return
    bus, states = BusClient(settings), queue.Queue[Inbound]()
    topics = SiteTopics.of(cfg)
    for door in cfg.doors:
        bus.subscribe(topics.door(door.id, "state"), states.put)
    bus.start()
    try:
        connected = bus.wait_connected(timeout)
        if connected:
            found.ok(f"broker {cfg.mqtt_settings.host}:{cfg.mqtt_settings.port} accepts {cfg.mqtt_settings.username!r}")
            _door_states(cfg, states, found, timeout)
    finally:
        bus.stop()
    if not connected:  # ask once more, plainly, to learn why: the client above only keeps retrying
        text, fix = login_advice(cfg, try_login(settings, timeout))
        found.fail(text, fix=fix)


def login_advice(cfg: FacilityConfig, answer: LoginAnswer, user: str | None = None) -> Advice:
    """What a failed login means in plain words: a wrong password is not a broker that is down; each with its fix."""
    mqtt = cfg.mqtt_settings
    where, user = f"{mqtt.host}:{mqtt.port}", user or mqtt.username
    advice = {
        "credentials": Advice(
            f"the broker at {where} refuses the login of {user!r} ({answer.detail}): wrong password or user",
            "officepass-site setup --config /etc/officepass/site.toml --start writes every broker "
            "user's password again (or, on a broker set up by hand: mosquitto_passwd "
            f"/etc/mosquitto/officepass.passwd {user}, then systemctl reload mosquitto)",
        ),
        "refused": Advice(
            f"the broker at {where} refuses the connection ({answer.detail})",
            "read the broker's log: journalctl -u mosquitto",
        ),
        "down": Advice(
            f"no broker at {where} ({answer.detail}): it is down or listens on another port",
            "on the broker: systemctl status mosquitto, journalctl -u mosquitto; check [mqtt] host and port",
        ),
        "no_answer": Advice(
            f"the broker at {where} does not answer ({answer.detail})",
            f"check the network and the firewall between here and {mqtt.host}, port {mqtt.port}",
        ),
        "tls": Advice(
            f"TLS to the broker at {where} fails ({answer.detail})",
            "check [mqtt] tls and ca_file, that the broker's certificate names this host, and that the port speaks TLS",
        ),
        "unreachable": Advice(
            f"cannot reach the broker at {where} ({answer.detail})", "check [mqtt] host and this board's network"
        ),
        "accepted": Advice(
            f"the broker at {where} accepts {user!r} now, but did not within the timeout",
            "run doctor again; if it repeats, look at the broker's load and the network",
        ),
    }
    return advice[answer.outcome]


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
    ports = {
        "kiosk": cfg.kiosk_settings.metrics_port if cfg.kiosk else None,
        "lockd": cfg.lockd_settings.metrics_port if cfg.lockd else None,
    }
    for program, port in ports.items():
        if port is None:
            continue
        text = metrics_text(port, timeout)
        if text is None:
            found.warn(f"{program}: no metrics on 127.0.0.1:{port}; is it running on this machine?")
            continue
        for name, loop in loop_states(text, program).items():
            if loop.get("up") == 1:
                found.ok(
                    f"{program} loop {name}: running ({int(loop['failures'])} failure(s), "
                    f"{int(loop['restarts'])} restart(s) so far)"
                )
            else:
                age = loop.get("last_ok_age_seconds", -1)
                since = "no good round yet" if age < 0 else f"last good round {int(age)} s ago"
                found.warn(
                    f"{program} loop {name}: failing, stalled or stopped ({since}, {int(loop['failures'])} "
                    f"failure(s), {int(loop['restarts'])} restart(s)); see the program's log"
                )


def metrics_text(port: int, timeout: float) -> str | None:
    """A program's metrics page on this machine, or None when nothing serves it."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=timeout).text
    except requests.RequestException:
        return None


def running_kiosk_camera(cfg: FacilityConfig, timeout: float) -> bool | None:
    """Whether a kiosk running here gets pictures, from its metrics; None when none runs (or it serves no metrics)."""
    return running_kiosk_gauge(cfg, timeout, "officepass_kiosk_camera_ok")


def running_kiosk_gauge(cfg: FacilityConfig, timeout: float, name: str) -> bool | None:
    """A yes-or-no gauge of a kiosk running here (1: yes), from its metrics; None when none runs, it serves no
    metrics, or its version has no such gauge."""
    port = cfg.kiosk_settings.metrics_port
    text = metrics_text(port, timeout) if port is not None else None
    if text is None:
        return None
    for family in text_string_to_metric_families(text):
        if family.name == name:
            return all(sample.value == 1 for sample in family.samples)
    return None


def loop_states(metrics_text: str, program: str) -> dict[str, dict[str, float]]:
    """The loops' figures from a Prometheus text page: {loop: {"up": .., "failures": .., "restarts": ..}}."""
    loops: dict[str, dict[str, float]] = {}
    prefix = f"officepass_{program}_loop_"
    for family in text_string_to_metric_families(metrics_text):
        if family.name.startswith(prefix):
            for sample in family.samples:
                loops.setdefault(sample.labels["loop"], {})[family.name[len(prefix) :]] = sample.value
    return loops


def doctor(
    path: str | Path,
    timeout: float = 5.0,
    clock: Callable[[], ClockReading] | None = None,
    secrets: Path = BROKER_SECRETS,
) -> Findings:
    """Check the file, this machine (clock, files, GPIO, camera, demo secrets), the platform and the broker (as
    doctor's own user, whose password is in secrets)."""
    found = Findings()
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        unreadable = any("Permission denied" in problem.message for problem in exc.problems)
        found.fail(
            f"{path}: the facility file is not valid ({len(exc.problems)} problem(s)):",
            fix="run doctor as root: sudo officepass-site doctor --config FILE" if unreadable else None,
        )
        found.lines += [f"        {problem}" for problem in exc.problems]
        return found
    spaces = ", ".join(f"{space.id}: {space.kind.value}" for space in cfg.spaces)
    found.ok(f"{path}: {cfg.facility.id} ({spaces}), {len(cfg.doors)} door(s)")
    check_clock(cfg, found, (clock or system_clock)())  # looked up now, so a test can stand in for this machine's clock
    check_files(cfg, found)
    check_demo_secrets(cfg, found)
    check_platform(cfg, found)
    check_loops(cfg, found, timeout)
    links = running_links(cfg, timeout)
    check_gpio(cfg, found, "lockd" in links)
    if cfg.mqtt is not None:
        check_broker(cfg, found, timeout, links, secrets)
    elif cfg.doors:
        found.fail("the site has doors but no [mqtt] section: doors get their commands over MQTT")
    if cfg.kiosk is not None:
        if cfg.kiosk_settings.metrics_port is None:
            found.warn(
                "the kiosk is not asked: [kiosk] metrics_port is not set, so a kiosk running here is not checked; "
                "the camera and the sound below are tried from here, as if it were stopped",
                fix="set [kiosk] metrics_port (9101, say) in the file, restart the kiosk, and run doctor again",
            )
        check_camera(cfg, found, timeout, running_kiosk_camera(cfg, timeout))
        check_sound(cfg, found, running_kiosk_gauge(cfg, timeout, "officepass_kiosk_sound_ok"))
    return found
