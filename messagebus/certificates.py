"""Certificates for brokers: a certificate authority that signs broker certificates, and requests for another CA.

One home for the X.509 work the site command does on a board (a site's own CA for a lab or a
self-contained site, or a key and a signing request for the platform's CA) and the simulator does
for brokers on loopback (a CA that lives a month). Keys are ECDSA P-256, which Mosquitto, paho and
Home Assistant all accept.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from facility.errors import FacilityError

PrivateKey = ec.EllipticCurvePrivateKey
SERVER_NAME = "officepass broker"  # a subject within X.509's 64 characters; clients match the names in the SAN


class CertificateError(FacilityError):
    """A key, certificate or request could not be read or does not fit."""


@dataclass(frozen=True)
class ServerCertificate:
    """A broker's certificate, its key, and the CA that signed it (the file clients verify against)."""

    certfile: Path
    keyfile: Path
    cafile: Path


def new_key() -> PrivateKey:
    """A fresh P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def pem_key(key: PrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM, which Mosquitto reads."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem(certificate: x509.Certificate | x509.CertificateSigningRequest) -> bytes:
    """A certificate or a request as PEM."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def name(common: str) -> x509.Name:
    """A subject or issuer holding only a common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def alt_names(hosts: list[str]) -> x509.SubjectAlternativeName:
    """Each host as an IP address entry when it is one, else as a DNS name."""
    entries: list[x509.GeneralName] = []
    for host in hosts:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            entries.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(entries)


def signing_request(key: PrivateKey, hosts: list[str]) -> x509.CertificateSigningRequest:
    """A request for a broker certificate naming these hosts, for another CA (the platform's) to sign."""
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name(SERVER_NAME))
        .add_extension(alt_names(hosts), False)
        .sign(key, hashes.SHA256())
    )


def read_key(path: Path) -> PrivateKey:
    """A P-256 private key from a PEM file."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CertificateError(f"{path}: not a readable private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateError(f"{path}: not an elliptic-curve key")
    return key


def read_certificate(path: Path) -> x509.Certificate:
    """A certificate from a PEM file."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CertificateError(f"{path}: not a readable certificate ({exc})") from None


def fits(
    certificate: x509.Certificate, key: PrivateKey, hosts: list[str], now: dt.datetime, renew_before: dt.timedelta
) -> bool:
    """True when the certificate is for this key, names every host and stays valid past now + renew_before."""
    if certificate.public_key() != key.public_key():
        return False
    try:
        named = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    wanted = set(alt_names(hosts))
    return wanted <= set(named) and certificate.not_valid_after_utc > now + renew_before


def issued_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    """True when the authority's key signed the certificate."""
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


class CertificateAuthority:
    """A CA key and its self-signed certificate; it signs broker certificates for the hosts clients reach them by."""

    def __init__(self, key: PrivateKey, certificate: x509.Certificate) -> None:
        self.key = key
        self.certificate = certificate

    @classmethod
    def create(
        cls, common_name: str, now: dt.datetime, lifetime: dt.timedelta, backdate: dt.timedelta = dt.timedelta(days=1)
    ) -> CertificateAuthority:
        """A new CA valid from backdate before now (clocks differ) for lifetime."""
        key = new_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name(common_name))
            .issuer_name(name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - backdate)
            .not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def load(cls, keyfile: Path, certfile: Path) -> CertificateAuthority:
        """A CA kept in two PEM files."""
        key, certificate = read_key(keyfile), read_certificate(certfile)
        if certificate.public_key() != key.public_key():
            raise CertificateError(f"{certfile} is not the certificate of the key {keyfile}")
        return cls(key, certificate)

    def sign_server(
        self,
        public_key: ec.EllipticCurvePublicKey,
        hosts: list[str],
        now: dt.datetime,
        lifetime: dt.timedelta,
        backdate: dt.timedelta = dt.timedelta(days=1),
    ) -> x509.Certificate:
        """A server certificate for this public key, naming these hosts, for lifetime (never past the CA's own end)."""
        end = min(now + lifetime, self.certificate.not_valid_after_utc)
        return (
            x509.CertificateBuilder()
            .subject_name(name(SERVER_NAME))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - backdate)
            .not_valid_after(end)
            .add_extension(alt_names(hosts), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            # Python 3.13's strict verification (Home Assistant's) asks for the issuer's key identifier
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
