"""The fleet bench's brokers: one cloud Mosquitto (TLS, a user per site, an ACL) and site Mosquittos carrying the bridges.

STAND-IN: `fleet_brokers` is the only place the fleet bench writes broker configuration. It gives
way to the project's bridge generator (branch `bridge`: per-site bridge files from the facility
file, the cloud's users and ACL, MosquittoBroker with TLS and bridges) once that is committed.

Each site's bridge is its own outbound TLS connection to the cloud, logging in with the site's own
user and password, carrying commands and change notices in and answers, states and events out,
and the platform's key set in and the version each site holds out, with the site's prefix
`officepass/{facility}/` remapped to `sites/{facility}/` at the cloud.
One site Mosquitto process carries many sites' bridges (the bench runs on 2 cores); each site's
topics differ by facility id, so the sites still do not see one another.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from facility.topics import SiteTopics
from simulator.broker import MosquittoBroker

SITE_PREFIX = "officepass"  # each site's own topic prefix, as lockd and the kiosk use it
CLOUD_PREFIX = "sites"  # the same subtree at the cloud, one per site
BRIDGE_KEEPALIVE = 60


@dataclass(frozen=True)
class FleetSite:
    """One simulated site: its doors, the site broker carrying its bridge, and who serves its doors."""

    facility_id: str
    doors: tuple[str, ...]
    group: int  # which site Mosquitto process carries its bridge
    real_lockd: bool
    secret: str  # its bridge's password at the cloud

    @property
    def topics(self) -> SiteTopics:
        """The site's own topic tree."""
        return SiteTopics(SITE_PREFIX, self.facility_id)

    @property
    def bridge_user(self) -> str:
        """The site's user at the cloud broker."""
        return f"site-{self.facility_id}"

    @property
    def lockd_user(self) -> str:
        """The site's lockd user at its own broker."""
        return f"lockd-{self.facility_id}"


def cloud_topic(site_topic: str) -> str:
    """A site topic's name at the cloud: the bridge swaps the first level for CLOUD_PREFIX."""
    return f"{CLOUD_PREFIX}/{site_topic.split('/', 1)[1]}"


@dataclass
class FleetBrokers:
    """The cloud broker, the site brokers (index = group) and the CA the cloud's certificate chains to."""

    cloud: MosquittoBroker
    sites: list[MosquittoBroker]
    ca_file: Path


def fleet_brokers(work: Path, fleet: list[FleetSite], groups: int, cloud_users: dict[str, str],
                  site_users: dict[str, str]) -> FleetBrokers:
    """The cloud broker (TLS, the sites' and the platform's users, the ACL) and the site brokers with the bridges."""
    ca, cert, key = make_certificates(work / "certs")
    users = cloud_users | {site.bridge_user: site.secret for site in fleet}
    cloud = MosquittoBroker(work / "cloud", users, acl=cloud_acl(fleet, next(iter(cloud_users))),
                            extra=[f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"])
    sites = []
    for group in range(groups):
        bridges = [line for site in fleet if site.group == group for line in bridge_block(site, cloud.port, ca)]
        lockd_users = {site.lockd_user: site.secret for site in fleet if site.group == group and site.real_lockd}
        sites.append(MosquittoBroker(work / f"site-{group}", site_users | lockd_users, extra=bridges))
    return FleetBrokers(cloud, sites, ca)


def bridge_block(site: FleetSite, cloud_port: int, ca: Path) -> list[str]:
    """One site's bridge: outbound over TLS with its own login; only what must cross, remapped, at QoS 1."""
    local, remote = f"{site.topics.root}/", f"{CLOUD_PREFIX}/{site.facility_id}/"
    crossing = [("door/+/command", "in"), ("reservations/changed", "in"), ("keyset", "in"), ("door/+/reply", "out"),
                ("door/+/state", "out"), ("door/+/event", "out"), ("lockd/keyset", "out")]
    return [f"connection {site.bridge_user}", f"address 127.0.0.1:{cloud_port}", "bridge_protocol_version mqttv50",
            f"bridge_cafile {ca}", f"remote_username {site.bridge_user}", f"remote_password {site.secret}",
            f"remote_clientid {site.bridge_user}", f"local_clientid bridge-{site.facility_id}",
            # nothing is queued for a site while its link is down: commands expire and must not open late
            "cleansession true", f"keepalive_interval {BRIDGE_KEEPALIVE}", "notifications_local_only true",
            *(f"topic {pattern} {direction} 1 {local} {remote}" for pattern, direction in crossing)]


def cloud_acl(fleet: list[FleetSite], platform_user: str) -> str:
    """The platform sends commands and notices to every site and reads what comes back; each site only its own."""
    every = f"{CLOUD_PREFIX}/+"
    blocks = [[f"user {platform_user}", f"topic write {every}/door/+/command", f"topic write {every}/reservations/changed",
               f"topic write {every}/keyset", *(f"topic read {every}/door/+/{leaf}" for leaf in ("reply", "state", "event")),
               f"topic read {every}/lockd/keyset"]]
    for site in fleet:
        root = f"{CLOUD_PREFIX}/{site.facility_id}"
        blocks.append([f"user {site.bridge_user}", *(f"topic read {root}/{leaf}" for leaf in
                                                     ("door/+/command", "reservations/changed", "keyset")),
                       *(f"topic write {root}/door/+/{leaf}" for leaf in ("reply", "state", "event")),
                       f"topic write {root}/lockd/keyset"])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _name(common: str) -> x509.Name:
    """A certificate name with only a common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and the cloud broker's certificate for 127.0.0.1 and localhost; the CA, cert and key files."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("fleet bench CA")).issuer_name(_name("fleet bench CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    files = folder / "ca.crt", folder / "cloud.crt", folder / "cloud.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return files
