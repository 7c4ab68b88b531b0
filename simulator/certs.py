"""A throwaway certificate authority and broker certificates it signs, for brokers on loopback (tests, benches).

Made fresh each time, valid from a day before to a month after now: nothing here is ever deployed, and
every client and bridge verifies against this CA exactly as a site verifies the real one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from messagebus.certificates import CertificateAuthority, ServerCertificate, new_key, pem, pem_key

VALID_AFTER = dt.timedelta(days=30)

__all__ = ["ServerCertificate", "TestAuthority"]


class TestAuthority:
    """A CA kept in memory that writes its certificate once and signs broker certificates on demand."""

    __test__ = False  # a helper, not a pytest class

    def __init__(self, folder: Path, name: str = "officepass test CA") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._authority = CertificateAuthority.create(name, dt.datetime.now(dt.UTC), VALID_AFTER)
        self.cafile = self.folder / "ca.crt"
        self.cafile.write_bytes(pem(self._authority.certificate))

    def server(self, name: str, hosts: list[str]) -> ServerCertificate:
        """A certificate for a broker reached by these host names or addresses, written as NAME.crt and NAME.key."""
        key = new_key()
        cert = self._authority.sign_server(key.public_key(), hosts, dt.datetime.now(dt.UTC), VALID_AFTER)
        certfile, keyfile = self.folder / f"{name}.crt", self.folder / f"{name}.key"
        certfile.write_bytes(pem(cert))
        keyfile.write_bytes(pem_key(key))
        keyfile.chmod(0o600)
        return ServerCertificate(certfile, keyfile, self.cafile)
