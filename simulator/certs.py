"""A throwaway certificate authority and broker certificates it signs, for brokers on loopback (tests, benches).

Made fresh each time, valid from a day before to a month after now: nothing here is ever deployed, and
every client and bridge verifies against this CA exactly as a site verifies the real one.
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

VALID_BEFORE = dt.timedelta(days=1)
VALID_AFTER = dt.timedelta(days=30)


@dataclass(frozen=True)
class ServerCertificate:
    """A broker's certificate, its key, and the CA that signed it (the file clients verify against)."""

    certfile: Path
    keyfile: Path
    cafile: Path


def _name(common: str) -> x509.Name:
    """A subject or issuer holding only a common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM, which Mosquitto reads."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _alt_names(hosts: list[str]) -> x509.SubjectAlternativeName:
    """Each host as an IP address entry when it is one, else as a DNS name."""
    entries: list[x509.GeneralName] = []
    for host in hosts:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            entries.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(entries)


class TestAuthority:
    """A CA kept in memory that writes its certificate once and signs broker certificates on demand."""

    __test__ = False  # a helper, not a pytest class

    def __init__(self, folder: Path, name: str = "officepass test CA") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self._cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                      .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                      .not_valid_before(now - VALID_BEFORE).not_valid_after(now + VALID_AFTER)
                      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                      .sign(self._key, hashes.SHA256()))
        self.cafile = self.folder / "ca.crt"
        self.cafile.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def server(self, name: str, hosts: list[str]) -> ServerCertificate:
        """A certificate for a broker reached by these host names or addresses, written as NAME.crt and NAME.key."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(self._cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - VALID_BEFORE).not_valid_after(now + VALID_AFTER)
                .add_extension(_alt_names(hosts), critical=False).sign(self._key, hashes.SHA256()))
        certfile, keyfile = self.folder / f"{name}.crt", self.folder / f"{name}.key"
        certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        keyfile.write_bytes(_pem_key(key))
        keyfile.chmod(0o600)
        return ServerCertificate(certfile, keyfile, self.cafile)
