"""A Mosquitto ACL from facility files: each door controller and kiosk gets only its own topics."""

from __future__ import annotations

import re

from facility.config import FacilityConfig
from facility.config.models import BROKER_NAME_PATTERN
from facility.topics import ANY, DEFAULT_PREFIX, SiteTopics
from lockd.homeassistant import discovery_filter

BROKER_NAME = re.compile(BROKER_NAME_PATTERN)


def platform_block(prefix: str, user: str) -> list[str]:
    """The platform publishes commands, notices and its key set and reads the answers, for every site."""
    every = SiteTopics.every(prefix)
    return [
        f"user {user}",
        f"topic write {every.command(ANY)}",
        f"topic read {every.reply(ANY)}",
        f"topic write {every.reservations_changed}",
        f"topic write {every.kiosk(ANY, 'checkin')}",
        f"topic read {every.kiosk(ANY, 'reply')}",
        f"topic write {every.keyset}",
    ]


def lockd_block(cfg: FacilityConfig) -> list[str]:
    """A site's lockd: its doors' commands in; its doors' states (readable too), events and answers out; its lockd/
    tree; and its Home Assistant discovery: all of it, and the states of every door of its facility, so that it
    can take down what a door removed from the site file left retained."""
    topics = SiteTopics.of(cfg)
    lines = [f"user {cfg.mqtt_settings.username}"]
    for door in cfg.doors:
        lines.append(f"topic read {topics.command(door.id)}")
        lines += [f"topic write {topic}" for topic in (topics.event(door.id), topics.reply(door.id))]
    lines.append(f"topic readwrite {topics.state(ANY)}")  # read: doctor, logged in as the site, lists them
    discovery = discovery_filter(cfg) if cfg.lockd is not None else None
    if discovery is not None:
        lines.append(f"topic readwrite {discovery}")
    return [
        *lines,
        f"topic write {topics.lockd_tree}",
        f"topic read {topics.reservations_changed}",
        f"topic read {topics.keyset}",
    ]


def kiosk_block(cfg: FacilityConfig) -> list[str]:
    """A site's kiosk: desk-code check-ins in, its verdicts and availability out."""
    topics = SiteTopics.of(cfg)
    return [
        f"user {cfg.mqtt_settings.username}",
        f"topic read {topics.kiosk(cfg.kiosk_settings.id, 'checkin')}",
        f"topic write {topics.kiosk(cfg.kiosk_settings.id, 'reply')}",
        f"topic write {topics.kiosk(cfg.kiosk_settings.id, 'availability')}",
        f"topic write {topics.kiosk(cfg.kiosk_settings.id, 'spent')}",
        f"topic read {topics.spent_passes}",
        f"topic read {topics.keyset}",
        f"topic read {topics.reservations_changed}",  # bookings, and revocations: every kiosk refreshes on it
    ]


def monitor_block(prefix: str, user: str, discovery_prefixes: tuple[str, ...] = ()) -> list[str]:
    """A read-only watcher (a technician's check, a dashboard): states, events, lockd's reports, the kiosks'
    availability, the platform link, and Home Assistant's discovery under each prefix the sites use."""
    every = SiteTopics.every(prefix)
    return [
        f"user {user}",
        f"topic read {every.state(ANY)}",
        f"topic read {every.event(ANY)}",
        f"topic read {every.lockd_tree}",
        f"topic read {every.kiosk(ANY, 'availability')}",
        f"topic read {every.bridge}",
        *[f"topic read {discovery}/#" for discovery in discovery_prefixes],
    ]


def home_assistant_block(prefix: str, user: str, discovery_prefixes: tuple[str, ...]) -> list[str]:
    """Home Assistant: what a watcher reads, plus its own birth and last will on {discovery}/status."""
    return [
        *monitor_block(prefix, user, discovery_prefixes),
        *[f"topic readwrite {discovery}/status" for discovery in discovery_prefixes],
    ]


def discovery_prefixes(configs: list[FacilityConfig]) -> tuple[str, ...]:
    """The Home Assistant discovery prefixes the sites' lockd publish under (each once, in order)."""
    prefixes = [cfg.lockd_settings.home_assistant_prefix for cfg in configs if cfg.lockd is not None and cfg.doors]
    return tuple(dict.fromkeys(prefix for prefix in prefixes if prefix))


def _check_user(user: str, what: str) -> str:
    """A user name the ACL can hold as one token: no white space, newline, '+', '#' or '/'."""
    if not BROKER_NAME.fullmatch(user):
        raise ValueError(f"{what} {user!r} is not a usable broker user name (letters, digits . _ @ - only)")
    return user


def _own_user(programs: dict[str, str], others: set[str], cfg: FacilityConfig) -> None:
    """Each program its own broker user, and each kiosk its own id: Mosquitto merges the blocks of a user named twice,
    so a shared login could write the other program's topics (a kiosk could speak for its sibling on `spent`)."""
    user = cfg.mqtt_settings.username or ""
    program = f"{cfg.facility.id}'s lockd" if cfg.doors else f"{cfg.facility.id}'s kiosk {cfg.kiosk_settings.id}"
    if program in programs.values():
        raise ValueError(f"{program} is named by two files: each kiosk of a facility needs an id of its own")
    if user in programs or user in others:
        taken = programs.get(user, "a user of the platform, Home Assistant or a watcher")
        raise ValueError(f"{program} and {taken} both log in as {user!r}: each program needs a broker user of its own")
    programs[user] = program


def acl_text(
    configs: list[FacilityConfig],
    platform_user: str = "platform",
    monitor_users: tuple[str, ...] = (),
    home_assistant_user: str | None = None,
) -> str:
    """The whole ACL file; every site with doors must name its broker user. Home Assistant and each watcher (a
    technician's check) get users of their own: the broker gives each user one connection, so a shared login would
    throw one off whenever the other logs in."""
    _check_user(platform_user, "platform user")
    prefix = SiteTopics.of(configs[0]).prefix if configs else DEFAULT_PREFIX
    blocks = [platform_block(prefix, platform_user)]
    programs: dict[str, str] = {}  # broker user -> the program it is
    others = {platform_user, *monitor_users, *([home_assistant_user] if home_assistant_user else [])}
    for cfg in configs:
        if cfg.mqtt is None or not (cfg.doors or cfg.kiosk):
            continue
        if not cfg.mqtt_settings.username:
            raise ValueError(f"{cfg.facility.id}: [mqtt] username is needed to give it its own topics")
        _own_user(programs, others, cfg)
        blocks.append(lockd_block(cfg) if cfg.doors else kiosk_block(cfg))
    discovery = discovery_prefixes(configs)
    if prefix in discovery:  # the config check refuses it too: a watcher would read every door's commands
        raise ValueError(f"the Home Assistant discovery prefix {prefix!r} is the root of the site's topics")
    blocks += [monitor_block(prefix, _check_user(user, "monitor user"), discovery) for user in monitor_users]
    if home_assistant_user is not None:
        blocks.append(home_assistant_block(prefix, _check_user(home_assistant_user, "Home Assistant user"), discovery))
    header = (
        "# Mosquitto ACL generated from the facility files (officepass-site setup, officepass-lockd --print-acl): "
        "each controller sees only its own doors.\n"
    )
    return header + "\n\n".join("\n".join(block) for block in blocks) + "\n"
