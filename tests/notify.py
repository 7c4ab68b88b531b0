"""What tests that run lockd or the kiosk as their own process share: systemd's notify socket, and the reception
example as such a process reads it."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import CONFIG_DIR


@contextlib.contextmanager
def notify_socket(folder: Path, timeout: float = 30) -> Iterator[tuple[socket.socket, str]]:
    """A socket standing for systemd's NOTIFY_SOCKET (each recv waits up to timeout), and its path."""
    path = str(folder / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(path)
        systemd.settimeout(timeout)
        yield systemd, path


def kiosk_site_file(folder: Path) -> Path:
    """The Kaikatsu example, its demo keys found where they are and its data in folder/kiosk."""
    text = (CONFIG_DIR / "kaikatsu-ikebukuro.toml").read_text().replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/')
    site = folder / "site.toml"
    site.write_text(text.replace('data_dir = "../var/kaikatsu-ikebukuro/kiosk"', f'data_dir = "{folder / "kiosk"}"'))
    return site
