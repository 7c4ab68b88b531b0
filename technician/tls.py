"""The site broker's TLS material: from a CA of the site's own, or a signing request for the platform's CA.

The site's CA (`--tls site-ca`, for a lab or a site whose clients all trust it: the kiosk and Home
Assistant get its certificate) lives ten years in /etc/officepass/tls; it signs the broker a
certificate for two years, renewed by any run of the site command in its last 30 days. With
`--tls csr` the board makes its key and a request; the platform's CA signs it and the technician
puts the certificate and that CA beside the request, then runs the command again.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from messagebus.certificates import (
    CertificateAuthority,
    CertificateError,
    PrivateKey,
    fits,
    issued_by,
    new_key,
    pem,
    pem_key,
    read_certificate,
    read_key,
    signing_request,
)
from technician.board import Board
from technician.files import Folder, Item, Wanted

SITE_TLS = Path("/etc/officepass/tls")
MODE_NOTE = SITE_TLS / "mode"  # "site-ca" or "csr": how later runs, given no --tls, keep the broker's certificate
MOSQUITTO_CERTS = Path("/etc/mosquitto/certs")  # where deploy/mosquitto/officepass.conf reads them
CA_LIFETIME = dt.timedelta(days=3650)
BROKER_LIFETIME = dt.timedelta(days=730)
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class TlsPlan:
    """What the board's broker needs for TLS, and what is still awaited (a certificate from the platform's CA)."""

    items: list[Item]
    awaiting: str | None = None


DNS_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*$"
)


def checked_host(host: str, what: str) -> str:
    """A name or address a certificate can carry and a client can match: an ASCII DNS name, or an IP address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    scoped = isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None
    if address is not None and not scoped:
        return str(address)
    if address is None and DNS_NAME.match(host):
        return host
    raise ValueError(
        f"{what} {host!r} is not a host name a certificate can carry (ASCII letters, digits and hyphens, "
        "dot-separated; or an IP address without a zone)"
    )


def broker_hosts(board: Board, extra: list[str]) -> list[str]:
    """The names the broker's certificate carries: the board's host name (and .local), loopback, and those given."""
    name = checked_host(board.hostname(), "the board's host name (hostnamectl set-hostname door-1 sets one)")
    hosts = [name, f"{name}.local", "localhost", "127.0.0.1", *(checked_host(host, "--broker-name") for host in extra)]
    return list(dict.fromkeys(hosts))


def mode_in_use(board: Board) -> str:
    """The way this board's broker got its certificate, as the last run noted it: a request to the platform's CA
    (csr) or the site's own CA (site-ca, also for a board set up before either)."""
    noted = board.at(MODE_NOTE)
    return noted.read_text().strip() if noted.is_file() else "site-ca"


def _existing_key(board: Board, path: Path) -> PrivateKey | None:
    """The key a board already has at path, or None."""
    here = board.at(path)
    return read_key(here) if here.exists() else None


def _site_authority(board: Board, now: dt.datetime) -> tuple[CertificateAuthority, list[Item]]:
    """The site's CA as kept in /etc/officepass/tls, made on the first run."""
    keyfile, certfile = SITE_TLS / "site-ca.key", SITE_TLS / "site-ca.crt"
    if board.at(keyfile).exists():
        authority = CertificateAuthority.load(board.at(keyfile), board.at(certfile))
    else:
        authority = CertificateAuthority.create("officepass site CA", now, CA_LIFETIME)
    items: list[Item] = [
        Folder(SITE_TLS),
        Wanted(keyfile, pem_key(authority.key), mode=0o600),
        Wanted(certfile, pem(authority.certificate)),
    ]
    return authority, items


def _broker_files(key: PrivateKey, certificate: bytes, ca: bytes) -> list[Item]:
    """The broker's key (Mosquitto reads it after dropping to its own user), its certificate and its CA."""
    items: list[Item] = [
        Folder(MOSQUITTO_CERTS),
        Wanted(MOSQUITTO_CERTS / "broker.key", pem_key(key), "root", "mosquitto", 0o640),
        Wanted(MOSQUITTO_CERTS / "broker.crt", certificate),
        Wanted(MOSQUITTO_CERTS / "ca.crt", ca),
    ]
    return items


def site_ca_plan(board: Board, hosts: list[str], now: dt.datetime) -> TlsPlan:
    """The site's CA and a broker certificate it signed, each kept while it still fits."""
    authority, items = _site_authority(board, now)
    key = _existing_key(board, MOSQUITTO_CERTS / "broker.key") or new_key()
    current = board.at(MOSQUITTO_CERTS / "broker.crt")
    certificate = read_certificate(current) if current.exists() else None
    if (
        certificate is None
        or certificate.issuer != authority.certificate.subject
        or not fits(certificate, key, hosts, now, RENEW_BEFORE)
    ):
        certificate = authority.sign_server(key.public_key(), hosts, now, BROKER_LIFETIME)
    return TlsPlan(
        [*items, Wanted(MODE_NOTE, b"site-ca\n"), *_broker_files(key, pem(certificate), pem(authority.certificate))]
    )


def csr_plan(board: Board, hosts: list[str], now: dt.datetime) -> TlsPlan:
    """A key and a signing request; once the platform's CA has answered, its certificate and CA for the broker."""
    key = _existing_key(board, MOSQUITTO_CERTS / "broker.key") or new_key()
    request: list[Item] = [
        Folder(SITE_TLS),
        Wanted(SITE_TLS / "broker.csr", pem(signing_request(key, hosts))),
        Wanted(MODE_NOTE, b"csr\n"),
        Folder(MOSQUITTO_CERTS),
        Wanted(MOSQUITTO_CERTS / "broker.key", pem_key(key), "root", "mosquitto", 0o640),
    ]
    signed, ca = board.at(SITE_TLS / "broker.crt"), board.at(SITE_TLS / "ca.crt")
    if not (signed.exists() and ca.exists()):
        return TlsPlan(
            request,
            f"send {SITE_TLS / 'broker.csr'} to the platform's CA, put the certificate it returns "
            f"at {SITE_TLS / 'broker.crt'} and that CA's certificate at {SITE_TLS / 'ca.crt'}, "
            "then run officepass-site setup again",
        )
    certificate, authority = read_certificate(signed), read_certificate(ca)
    if not fits(certificate, key, hosts, now, RENEW_BEFORE):
        raise CertificateError(
            f"{SITE_TLS / 'broker.crt'} does not fit: it must be for the key of "
            f"{SITE_TLS / 'broker.csr'}, name {', '.join(hosts)} and stay valid past 30 days"
        )
    if not issued_by(certificate, authority):
        raise CertificateError(
            f"{SITE_TLS / 'ca.crt'} is not the CA that signed {SITE_TLS / 'broker.crt'}: put the "
            "platform CA's own certificate there"
        )
    return TlsPlan(request + _broker_files(key, signed.read_bytes(), ca.read_bytes()))
