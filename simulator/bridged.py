"""Sites' brokers bridged to the platform's broker, all on this machine, built from facility files.

For the tests (tests/test_bridge.py) and for benches that stand up many sites: the cloud broker speaks
only TLS, with a certificate from a throwaway CA, and holds the platform's user and one bridge user per
facility under the generated cloud ACL; each site broker holds its programs' users under the generated
site ACL and bridges out with the generated configuration (lockd/bridge.py), exactly as deployed.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from facility.config import FacilityConfig
from lockd.acl import acl_text
from lockd.bridge import CloudLink, bridge_user, bridges_text, cloud_acl_text
from simulator.broker import CLOUD_FILE, MosquittoBroker, shipped_limits
from simulator.certs import ServerCertificate, TestAuthority

CLOUD_HOSTS = ["localhost", "127.0.0.1"]
# On loopback a bridge may retry at once; deployed sites keep CloudLink's defaults (5 s up to 30 s, with jitter).
LOOPBACK_RESTART = (1, 2)


def bridge_passwords(configs: list[FacilityConfig]) -> dict[str, str]:
    """A fresh password for each facility's bridge user."""
    return {bridge_user(cfg): secrets.token_hex(16) for cfg in configs}


def cloud_certificate(authority: TestAuthority) -> ServerCertificate:
    """The platform broker's certificate, for the names a bridge or the platform on this machine dials."""
    return authority.server("cloud", CLOUD_HOSTS)


def cloud_broker(
    workdir: Path,
    configs: list[FacilityConfig],
    certificate: ServerCertificate,
    users: dict[str, str],
    passwords: dict[str, str],
    extra_acl: str = "",
) -> MosquittoBroker:
    """The platform's broker: TLS only, `users` (the platform, watchers) and each facility's bridge user.

    One connection per user, as deployed: a second login with a user's name throws the first one off.
    """
    return MosquittoBroker(
        workdir,
        users | passwords,
        acl=cloud_acl_text(configs) + extra_acl,
        tls=certificate,
        extra=["use_username_as_clientid true"],
        limits=shipped_limits(CLOUD_FILE),
    )


def loopback_link(port: int, ca_file: Path, restart: tuple[int, int] = LOOPBACK_RESTART) -> CloudLink:
    """How a site on this machine reaches the cloud broker (or a WanLink in front of it) by its certificate's name."""
    return CloudLink("localhost", port, ca_file, restart=restart)


def site_broker(
    workdir: Path,
    configs: list[FacilityConfig],
    link: CloudLink,
    passwords: dict[str, str],
    users: dict[str, str],
    extra_acl: str = "",
) -> MosquittoBroker:
    """A site's own broker: its programs' users under the site ACL, and one bridge per facility to the cloud."""
    return MosquittoBroker(
        workdir, users, acl=acl_text(configs) + extra_acl, bridges=bridges_text(configs, link, passwords)
    )
