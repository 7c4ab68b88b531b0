"""Each site's Mosquitto bridged outbound to the platform's broker: the bridge configuration and the cloud's ACL.

Generated from the facility files, like the site's ACL (lockd/acl.py). Every facility gets its own
bridge connection and its own user on the platform's broker (`bridge-{facility}`), which may touch
only that facility's topics. The settings, and why each is what it is, are in docs/mqtt.md ('Bridged
to the platform'); tests/test_bridge.py holds what Debian's Mosquitto 2.0.11 does with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from facility.config import FacilityConfig
from facility.topics import ANY, DEFAULT_PREFIX, SiteTopics
from lockd.acl import BROKER_NAME, monitor_block, platform_block

# Inbound at QoS 0: the platform's broker keeps no session for a bridge (cleansession true), so QoS 1 on that leg
# bought no redelivery, only a PUBACK the site sends up just before lockd's answer. The platform's broker never
# answers a PUBACK, so its kernel delays the TCP ACK (40 ms and more), and Nagle's algorithm holds the answer until
# that ACK: Mosquitto (2.0.11 to 2.0.21 at least) sets no TCP_NODELAY on a bridge's own connection. Without the
# PUBACK, everything the bridge sends up is answered (PUBACK, PINGRESP), so nothing waits. docs/scale.md has the
# figures; the site's broker hands what comes in to its subscribers at their QoS 1 (UPGRADE below).
INBOUND_QOS = 0
# Outbound at QoS 1: kept in the site's broker during a cut (local_cleansession false), acknowledged by the platform's.
OUTBOUND_QOS = 1
# What comes in at QoS 0 reaches lockd at its subscription's QoS 1: its session keeps commands while it restarts,
# and it acknowledges each after handling it.
UPGRADE = "upgrade_outgoing_qos true"
# Reconnect with jitter from 5 s up to 30 s: 13,000 sites do not return at once (the fleet bench links with it too)
RESTART = (5, 30)
SYSTEM_CAS = Path("/etc/ssl/certs")  # Debian's hashed CA folder, for a platform broker with a public certificate
PASSWORD = re.compile(r"[!-~]+")  # printable ASCII without spaces: Mosquitto's config line holds it as one word
HOST = re.compile(r"[A-Za-z0-9.-]+")


@dataclass(frozen=True)
class CloudLink:
    """Where the platform's broker listens and how a site's bridge keeps its link to it."""

    host: str
    port: int = 8883
    ca_file: Path | None = None  # None: the system's CAs
    keepalive: int = 15  # a dead WAN link is noticed within 1.5 x this, not the 90 s of Mosquitto's default
    restart: tuple[int, int] = RESTART


def bridge_user(cfg: FacilityConfig) -> str:
    """The user (and client id) a facility's bridge logs in as on the platform's broker."""
    return f"bridge-{cfg.facility.id}"


def _relative(cfg: FacilityConfig, topic: str) -> str:
    """A topic below the facility's root, as a bridge topic line names it."""
    return topic.removeprefix(SiteTopics.of(cfg).root + "/")


def inbound_topics(cfg: FacilityConfig) -> list[str]:
    """From the platform to the site: its doors' commands, change notices, desk-code check-ins and the key set."""
    topics = SiteTopics.of(cfg)
    wanted = [topics.command(door.id) for door in cfg.doors]
    if cfg.doors or cfg.kiosk is not None:  # bookings and revocations: every door and kiosk refreshes on it
        wanted.append(topics.reservations_changed)
    if cfg.kiosk is not None:
        wanted.append(topics.kiosk(cfg.kiosk.id, "checkin"))
    if cfg.doors or cfg.kiosk is not None:
        wanted.append(topics.keyset)  # retained: a bridge that reconnects is handed the newest set at once
    return [_relative(cfg, topic) for topic in wanted]


def outbound_topics(cfg: FacilityConfig) -> list[str]:
    """From the site to the platform: answers, door states and events, availability, alarms, the key set held.

    lockd's audit stream, the kiosks' spent passes and Home Assistant's discovery stay in the building:
    the audit is kept in lockd's store, and the others concern only the site.
    """
    topics = SiteTopics.of(cfg)
    wanted = [topics.door(door.id, leaf) for door in cfg.doors for leaf in ("reply", "state", "event")]
    if cfg.doors:
        # The two site alarms by name, no wildcard: a stolen bridge password can then leave at most these retained
        # messages at the platform. lockd/keyset and lockd/status tell the platform which key set and which version
        # each site runs on.
        wanted += [topics.lockd(leaf) for leaf in ("availability", "status", "alarm", "alarm/store", "keyset")]
    if cfg.kiosk is not None:
        wanted += [topics.kiosk(cfg.kiosk.id, "reply"), topics.kiosk(cfg.kiosk.id, "availability")]
    return [_relative(cfg, topic) for topic in wanted]


def notification_topic(cfg: FacilityConfig) -> str:
    """Where the bridge says, retained, 1 (linked) or 0 (cut), on both brokers."""
    return SiteTopics.of(cfg).bridge


def _check_link(link: CloudLink) -> None:
    """A host and port Mosquitto's `address` line can hold."""
    if not HOST.fullmatch(link.host) or not 0 < link.port < 65536:
        raise ValueError(f"{link.host}:{link.port} is not a usable address for the platform's broker")


def _check_password(user: str, password: str) -> str:
    """A bridge password Mosquitto reads back whole: printable, no spaces."""
    if not PASSWORD.fullmatch(password):
        raise ValueError(f"the password of {user} must be printable ASCII without spaces (e.g. openssl rand -hex 24)")
    return password


def _connection_lines(cfg: FacilityConfig, link: CloudLink, password: str) -> list[str]:
    """The bridge's link: TLS verified against the CA, its own user, MQTT 5, and the session choice."""
    user = bridge_user(cfg)
    trust = f"bridge_cafile {link.ca_file}" if link.ca_file else f"bridge_capath {SYSTEM_CAS}"
    return [
        f"connection {user}",
        f"address {link.host}:{link.port}",
        # MQTT 5: commands keep their message expiry, response topic and correlation data across the bridge
        "bridge_protocol_version mqttv50",
        trust,
        "bridge_insecure false",
        f"remote_clientid {user}",
        f"remote_username {user}",
        f"remote_password {_check_password(user, password)}",
        # No session on the platform's broker: a command published while the link is down is dropped there, never
        # delivered late (2.0.11's MQTT 5 bridge keeps none even when asked to). The site keeps its side: answers,
        # states and events wait here during a cut and go up when the link returns.
        "cleansession true",
        "local_cleansession false",
        # the outbound topics were never subscribed on the platform's broker (no session): nothing to unsubscribe
        "bridge_attempt_unsubscribe false",
        f"keepalive_interval {link.keepalive}",
        f"restart_timeout {link.restart[0]} {link.restart[1]}",
        "start_type automatic",
        "notifications true",
        f"notification_topic {notification_topic(cfg)}",
    ]


def _topic_lines(cfg: FacilityConfig, inbound_qos: int) -> list[str]:
    """One line per crossing topic, relative to the facility's root, which is the prefix on both brokers."""
    root = SiteTopics.of(cfg).root + "/"
    return [f"topic {topic} in {inbound_qos} {root} {root}" for topic in inbound_topics(cfg)] + [
        f"topic {topic} out {OUTBOUND_QOS} {root} {root}" for topic in outbound_topics(cfg)
    ]


def bridge_text(cfg: FacilityConfig, link: CloudLink, password: str, inbound_qos: int = INBOUND_QOS) -> str:
    """One facility's bridge connection, for the end of the site broker's configuration.

    inbound_qos 1 is the bridge as it was, whose answers wait out Nagle's algorithm (the fleet bench compares)."""
    _check_link(link)
    header = f"# {cfg.facility.id}: bridged to the platform's broker; generated by officepass-lockd --print-bridge"
    # A global option, read wherever it stands: what the bridge brings in at QoS 0 reaches lockd at QoS 1.
    upgrade = ["# commands come in at QoS 0 (no PUBACK for Nagle to wait behind); lockd takes them at QoS 1", UPGRADE]
    return (
        "\n".join([header, *upgrade, *_connection_lines(cfg, link, password), *_topic_lines(cfg, inbound_qos)]) + "\n"
    )


def bridged(configs: list[FacilityConfig]) -> list[FacilityConfig]:
    """The facilities that have something to carry (doors or a kiosk); the others need no bridge."""
    return [cfg for cfg in configs if inbound_topics(cfg) or outbound_topics(cfg)]


def bridges_text(configs: list[FacilityConfig], link: CloudLink, passwords: Mapping[str, str]) -> str:
    """Every bridge of a site broker: one connection per facility, each with the password of its user."""
    missing = [bridge_user(cfg) for cfg in bridged(configs) if bridge_user(cfg) not in passwords]
    if missing:
        raise ValueError(f"no password for {', '.join(missing)}")
    return "\n".join(bridge_text(cfg, link, passwords[bridge_user(cfg)]) for cfg in bridged(configs))


def read_passwords(folder: Path, configs: list[FacilityConfig]) -> dict[str, str]:
    """Each bridge user's password from the file named after the user in folder."""
    return {bridge_user(cfg): (folder / bridge_user(cfg)).read_text().strip() for cfg in bridged(configs)}


def cloud_bridge_block(cfg: FacilityConfig) -> list[str]:
    """A site's bridge on the platform's broker: reads its inbound topics, writes its outbound ones, nothing else."""
    root = SiteTopics.of(cfg).root
    return [
        f"user {bridge_user(cfg)}",
        *[f"topic read {root}/{topic}" for topic in inbound_topics(cfg)],
        *[f"topic write {root}/{topic}" for topic in outbound_topics(cfg)],
        f"topic write {notification_topic(cfg)}",
    ]


def cloud_platform_block(prefix: str, user: str) -> list[str]:
    """The platform: what it may do on a site's broker today, and it watches every site's states, events and links."""
    every = SiteTopics.every(prefix)
    watched = [
        every.state(ANY),
        every.event(ANY),
        every.lockd("availability"),
        every.lockd("status"),
        every.lockd("alarm"),
        every.lockd("alarm/store"),
        every.lockd("keyset"),
        every.kiosk(ANY, "availability"),
        every.bridge,
    ]
    return [*platform_block(prefix, user), *[f"topic read {topic}" for topic in watched]]


def _check_user(user: str, what: str) -> str:
    """A user name the ACL holds as one token."""
    if not BROKER_NAME.fullmatch(user):
        raise ValueError(f"{what} {user!r} is not a usable broker user name (letters, digits . _ @ - only)")
    return user


def cloud_acl_text(
    configs: list[FacilityConfig], platform_user: str = "platform", monitor_users: tuple[str, ...] = ()
) -> str:
    """The platform broker's ACL: the platform, one bridge user per facility, optional read-only watchers."""
    _check_user(platform_user, "platform user")
    prefix = SiteTopics.of(configs[0]).prefix if configs else DEFAULT_PREFIX
    blocks = [cloud_platform_block(prefix, platform_user)]
    blocks += [cloud_bridge_block(cfg) for cfg in bridged(configs)]
    blocks += [monitor_block(prefix, _check_user(user, "monitor user")) for user in monitor_users]
    header = (
        "# Mosquitto ACL of the platform's broker, generated by officepass-lockd --print-cloud-acl: each bridge "
        "reaches only its own facility's topics.\n"
    )
    return header + "\n\n".join("\n".join(block) for block in blocks) + "\n"
