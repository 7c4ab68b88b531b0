"""A Mosquitto ACL from facility files: each door controller and kiosk gets only its own topics."""

from __future__ import annotations

import re

from facility.config import FacilityConfig
from facility.config.models import BROKER_NAME_PATTERN
from facility.topics import SiteTopics
from lockd.homeassistant import discovery_topics

BROKER_NAME = re.compile(BROKER_NAME_PATTERN)


def platform_block(prefix: str, user: str) -> list[str]:
    """The platform publishes commands, notices and its key set and reads the answers, for every site."""
    return [
        f"user {user}",
        f"topic write {prefix}/+/door/+/command",
        f"topic read {prefix}/+/door/+/reply",
        f"topic write {prefix}/+/reservations/changed",
        f"topic write {prefix}/+/kiosk/+/checkin",
        f"topic read {prefix}/+/kiosk/+/reply",
        f"topic write {prefix}/+/keyset",
    ]


def lockd_block(cfg: FacilityConfig) -> list[str]:
    """A site's lockd: its doors' commands in, their state (readable too), events and answers out, its lockd/ tree."""
    topics = SiteTopics(cfg.mqtt_settings.topic_prefix, cfg.facility.id)
    lines = [f"user {cfg.mqtt_settings.username}"]
    for door in cfg.doors:
        lines.append(f"topic read {topics.command(door.id)}")
        # its doors' states readable too: `officepass-sim doctor` logs in as the site and lists them
        lines.append(f"topic readwrite {topics.door(door.id, 'state')}")
        lines += [f"topic write {topics.door(door.id, leaf)}" for leaf in ("event", "reply")]
    if cfg.lockd is not None and cfg.lockd_settings.home_assistant_prefix:
        for door in cfg.doors:
            lines += [
                f"topic write {topic}"
                for topic in discovery_topics(cfg.lockd_settings.home_assistant_prefix, cfg.facility.id, door.id)
            ]
    return [
        *lines,
        f"topic write {topics.root}/lockd/#",
        f"topic read {topics.reservations_changed}",
        f"topic read {topics.keyset}",
    ]


def kiosk_block(cfg: FacilityConfig) -> list[str]:
    """A site's kiosk: desk-code check-ins in, its verdicts and availability out."""
    topics = SiteTopics(cfg.mqtt_settings.topic_prefix, cfg.facility.id)
    return [
        f"user {cfg.mqtt_settings.username}",
        f"topic read {topics.kiosk(cfg.kiosk_settings.id, 'checkin')}",
        f"topic write {topics.kiosk(cfg.kiosk_settings.id, 'reply')}",
        f"topic write {topics.kiosk(cfg.kiosk_settings.id, 'availability')}",
        f"topic write {topics.kiosk(cfg.kiosk_settings.id, 'spent')}",
        f"topic read {topics.spent_passes}",
        f"topic read {topics.keyset}",
        *([f"topic read {topics.reservations_changed}"] if cfg.facility.kind.needs_reservation else []),
    ]


def monitor_block(prefix: str, user: str, discovery_prefixes: tuple[str, ...] = ()) -> list[str]:
    """A read-only watcher (a technician's check, a dashboard): states, events, lockd's reports, the kiosks'
    availability, the platform link, and Home Assistant's discovery under each prefix the sites use."""
    return [
        f"user {user}",
        f"topic read {prefix}/+/door/+/state",
        f"topic read {prefix}/+/door/+/event",
        f"topic read {prefix}/+/lockd/#",
        f"topic read {prefix}/+/kiosk/+/availability",
        f"topic read {prefix}/+/bridge",
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
    prefix = configs[0].mqtt.topic_prefix if configs and configs[0].mqtt else "officepass"
    blocks = [platform_block(prefix, platform_user)]
    for cfg in configs:
        if cfg.mqtt is None or not (cfg.doors or cfg.kiosk):
            continue
        if not cfg.mqtt_settings.username:
            raise ValueError(f"{cfg.facility.id}: [mqtt] username is needed to give it its own topics")
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
