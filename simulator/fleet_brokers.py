"""The fleet bench's brokers, built by the project's bridge generator (lockd/bridge.py, simulator/bridged.py).

A cloud Mosquitto (TLS only, the platform's user and one `bridge-{facility}` user per site under the
generated cloud ACL) and a few site Mosquittos, each carrying many sites' bridges: every site's bridge
is its own outbound TLS connection logging in as its own user, restricted to its own subtree, exactly
as `officepass-lockd --print-bridge` writes it. One site Mosquitto carries many sites (the bench runs
on 2 cores); their topics differ by facility id, so the sites still do not see one another. The
generator carries the key set in and the version lockd holds out, with the cloud ACL for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facility.config import FacilityConfig
from facility.topics import DEFAULT_PREFIX, SiteTopics
from lockd.acl import acl_text
from lockd.bridge import INBOUND_QOS, RESTART, bridge_text, bridge_user
from simulator.bridged import cloud_broker, cloud_certificate, loopback_link
from simulator.broker import MosquittoBroker
from simulator.certs import TestAuthority

SITE_PREFIX = DEFAULT_PREFIX  # the sites' topic prefix, the same at the cloud (lockd/bridge.py: names, remapping)
KEYSET_IN, KEYSET_OUT = "keyset", "lockd/keyset"


@dataclass(frozen=True)
class FleetSite:
    """One simulated site: its doors, the site broker carrying its bridge, and who serves its doors."""

    facility_id: str
    doors: tuple[str, ...]
    group: int  # which site Mosquitto process carries its bridge
    real_lockd: bool
    secret: str  # its bridge's password at the cloud, and its lockd's at the site

    @property
    def topics(self) -> SiteTopics:
        """The site's topic tree (the same names at the cloud)."""
        return SiteTopics(SITE_PREFIX, self.facility_id)

    @property
    def lockd_user(self) -> str:
        """The site's lockd user at its own broker."""
        return f"lockd-{self.facility_id}"


@dataclass
class FleetBrokers:
    """The cloud broker, the site brokers (index = group) and the CA the cloud's certificate chains to."""

    cloud: MosquittoBroker
    sites: list[MosquittoBroker]
    ca_file: Path


def site_config(template: FacilityConfig, site: FleetSite) -> FacilityConfig:
    """A site's facility file: the template under the site's id and lockd user."""
    assert template.mqtt is not None, "the fleet's template names its broker"
    return template.model_copy(
        update={
            "facility": template.facility.model_copy(update={"id": site.facility_id}),
            "mqtt": template.mqtt.model_copy(update={"username": site.lockd_user}),
        }
    )


def fleet_brokers(
    work: Path,
    fleet: list[FleetSite],
    groups: int,
    template: FacilityConfig,
    platform_password: str,
    site_users: dict[str, str],
    inbound_qos: int = INBOUND_QOS,
) -> FleetBrokers:
    """The cloud broker with every site's bridge user, and the site brokers with their sites' bridges and ACL.

    inbound_qos 1 makes the bridges as they were, Nagled (lockd/bridge.py), for the bench to compare."""
    authority = TestAuthority(work / "certs")
    configs = {site.facility_id: site_config(template, site) for site in fleet}
    passwords = {bridge_user(configs[site.facility_id]): site.secret for site in fleet}
    cloud = cloud_broker(
        work / "cloud", list(configs.values()), cloud_certificate(authority), {"platform": platform_password}, passwords
    )
    # The deployed reconnect spread, not the tests' 1-2 s: 13,000 bridges retrying every 1-2 s overflow the cloud
    # broker's listen backlog (100 in Mosquitto 2.0.x) with SYNs faster than it accepts them (docs/scale.md)
    link = loopback_link(cloud.port, authority.cafile, RESTART)
    sites = []
    for group in range(groups):
        members = [site for site in fleet if site.group == group]
        bridges = "\n".join(bridge_text(configs[s.facility_id], link, s.secret, inbound_qos) for s in members)
        users = site_users | {site.lockd_user: site.secret for site in members if site.real_lockd}
        acl = acl_text([configs[s.facility_id] for s in members]) + _standin_acl(site_users)
        sites.append(MosquittoBroker(work / f"site-{group}", users, acl=acl, bridges=bridges))
    return FleetBrokers(cloud, sites, authority.cafile)


def _standin_acl(site_users: dict[str, str]) -> str:
    """The bench's own users at a site broker: the stand-in serves every site there (lockd's rights, many times);
    the watcher reads which bridges are linked and which lockd is online."""
    return "".join(
        f"\nuser {user}\ntopic {'read' if user == 'watcher' else 'readwrite'} {SITE_PREFIX}/#\n" for user in site_users
    )
