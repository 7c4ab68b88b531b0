"""`officepass-site setup` on a fake board root: every file with its owner and mode, idempotent, refusing cleanly,
and a real Mosquitto started on what it wrote, with each user doing exactly what its ACL lets it."""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from facility.config import load_config
from facility.tokens import SigningKey
from messagebus import BrokerSettings, BusClient
from messagebus.certificates import CertificateAuthority, pem, read_certificate
from simulator.broker import free_port
from technician import passwords
from technician.board import Board
from technician.cli import main
from technician.site_setup import plan_setup
from technician.tls import RENEW_BEFORE
from tests.conftest import CONFIG_DIR

DEBIAN_MAIN = """pid_file {root}/run/mosquitto/mosquitto.pid
persistence true
persistence_location {root}/var/lib/mosquitto/
log_dest stderr
include_dir {root}/etc/mosquitto/conf.d
"""
SERVICE_ACCOUNTS = {"officepass-lockd": 990, "officepass-kiosk": 989}
# The platform broker's CA as an operator hands it over (only read here, never used to connect: any date will do)
PLATFORM_CA = pem(
    CertificateAuthority.create(
        "platform CA", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.timedelta(days=3650)
    ).certificate
)


def make_board(base: Path, *, packages: bool = True, mosquitto: bool = True) -> Path:
    """A root with this machine's accounts (so Mosquitto's own user is the real one), the packages' users and groups,
    Debian's Mosquitto layout and a host name."""
    root = base / "board"
    (root / "etc" / "officepass").mkdir(parents=True)
    root.chmod(0o755)
    for name in ("passwd", "group"):
        shutil.copy(f"/etc/{name}", root / "etc" / name)
    if packages:
        with (root / "etc" / "passwd").open("a") as users, (root / "etc" / "group").open("a") as groups:
            for user, uid in SERVICE_ACCOUNTS.items():
                users.write(f"{user}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n")
                groups.write(f"{user}:x:{uid}:\n")
            groups.write("officepass:x:988:officepass-lockd,officepass-kiosk\n")
    if mosquitto:
        (root / "etc" / "mosquitto" / "conf.d").mkdir(parents=True)
    (root / "etc" / "hostname").write_text("door-board-7\n")
    return root


def board_site(root: Path, extra: str = "", source: str = "h1t-shibuya.toml") -> Path:
    """The example site as a board holds it: its password file and data in the packages' places."""
    text = (CONFIG_DIR / source).read_text()
    text = (
        text.replace(
            'password_file = "demo-keys/mqtt-lockd-h1t-shibuya.pass"', 'password_file = "/etc/officepass/lockd.pass"'
        )
        .replace('password_file = "demo-keys/mqtt-kiosk.pass"', 'password_file = "/etc/officepass/kiosk.pass"')
        .replace('"demo-keys/kiosk-demo.pem"', '"/etc/officepass/kiosk.pem"')
        .replace('data_dir = "../var/h1t-shibuya/lockd"', 'data_dir = "/var/lib/officepass/lockd"')
        .replace('data_dir = "../var/kaikatsu-ikebukuro/kiosk"', 'data_dir = "/var/lib/officepass-kiosk/data"')
        .replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/')
    )
    site = root / "etc" / "officepass" / "site.toml"
    site.write_text(text + extra)
    return site


def setup(root: Path, *args: str) -> int:
    """Run the site command on the fake board."""
    return main(["setup", "--config", "/etc/officepass/site.toml", "--root", str(root), *args])


def snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every path under root with owner, group, mode and a hash of its content."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        found[str(path.relative_to(root))] = (info.st_uid, info.st_gid, info.st_mode, digest)
    return found


def owner(path: Path) -> tuple[str, str, int]:
    """User and group by the board's numbers as this machine names them, or the number, and the mode."""
    import grp
    import pwd

    info = path.stat()
    try:
        user = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        user = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return user, group, info.st_mode & 0o7777


@pytest.fixture
def board(tmp_path: Path) -> Path:
    """A fake board with both packages and Mosquitto installed."""
    return make_board(tmp_path)


def test_a_door_board_gets_every_file_with_its_owner_and_mode(board: Path, capsys) -> None:
    board_site(board)
    assert setup(board) == 0
    etc = board / "etc"
    assert owner(etc / "officepass")[2] == 0o750 and owner(etc / "officepass")[1] == "988"
    assert owner(etc / "officepass" / "site.toml")[2] == 0o640
    assert owner(etc / "officepass" / "lockd.pass") == ("root", "990", 0o640)  # root:officepass-lockd
    for secret in ("homeassistant", "technician", "platform"):  # no bridge in this file: the platform logs in here
        assert owner(etc / "officepass" / "broker" / f"{secret}.pass") == ("root", "root", 0o600)
    for mosquitto_reads in ("officepass.passwd", "officepass.acl", "certs/broker.key"):
        assert owner(etc / "mosquitto" / mosquitto_reads) == ("root", "mosquitto", 0o640)
    assert owner(etc / "officepass" / "tls" / "site-ca.key") == ("root", "root", 0o600)
    assert (etc / "mosquitto" / "conf.d" / "officepass.conf").read_text().startswith("# Mosquitto for a site")
    lines = capsys.readouterr().out.splitlines()
    assert "wrote file   /etc/officepass/lockd.pass (root:officepass-lockd 640)" in lines
    assert lines[-1] == (
        "next: systemctl restart mosquitto officepass-lockd && systemctl enable officepass-lockd "
        "(or run again with --start)"
    )


def test_a_second_run_changes_nothing(board: Path, capsys) -> None:
    board_site(board)
    assert setup(board) == 0
    before, _ = snapshot(board), capsys.readouterr()
    assert setup(board) == 0
    assert snapshot(board) == before
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("kept") and not [line for line in said if line.startswith(("wrote", "made", "set"))]


def test_a_missing_bridge_password_is_one_line_naming_key_file_and_fix_and_nothing_changes(board: Path, capsys) -> None:
    board_site(
        board, '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\npassword_file = "/etc/officepass/bridge.pass"\n'
    )
    before = snapshot(board)
    assert setup(board) == 1
    err = capsys.readouterr().err.splitlines()
    line = (
        (board / "etc/officepass/site.toml")
        .read_text()
        .splitlines()
        .index('password_file = "/etc/officepass/bridge.pass"')
    )
    assert err == [
        (
            f"officepass-site: line {line + 1}: mqtt.bridge.password_file: /etc/officepass/bridge.pass does "
            "not exist: put the site's bridge password (from the platform's operator) there, then run "
            "officepass-site setup again"
        ),
        "officepass-site: nothing was changed",
    ]
    assert snapshot(board) == before


def test_a_board_without_the_package_or_mosquitto_is_told_what_to_install(tmp_path: Path, capsys) -> None:
    root = make_board(tmp_path, packages=False, mosquitto=False)
    board_site(root)
    before = snapshot(root)
    assert setup(root) == 1
    err = capsys.readouterr().err
    assert "user officepass-lockd is missing: install the officepass-door package first" in err
    assert "mqtt.host: the broker runs here (127.0.0.1) but Mosquitto is not installed: apt-get install" in err
    assert snapshot(root) == before


def test_the_bridge_file_carries_the_operator_s_password_for_mosquitto_s_group_only(board: Path) -> None:
    board_site(
        board,
        '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\nca_file = "/etc/officepass/platform-ca.crt"\n'
        'password_file = "/etc/officepass/bridge.pass"\n',
    )
    (board / "etc" / "officepass" / "bridge.pass").write_text("bridge-secret-from-the-operator\n")
    (board / "etc" / "officepass" / "platform-ca.crt").write_bytes(PLATFORM_CA)
    assert setup(board) == 0
    bridge = board / "etc" / "mosquitto" / "conf.d" / "officepass-bridge.conf"
    assert owner(bridge) == ("root", "mosquitto", 0o640)
    text = bridge.read_text()
    assert "remote_password bridge-secret-from-the-operator" in text and "address mqtt.platform.example:8883" in text
    assert "bridge_cafile /etc/mosquitto/certs/platform-ca.crt" in text  # the board's path, in Mosquitto's folder
    assert (board / "etc/mosquitto/certs/platform-ca.crt").read_bytes() == PLATFORM_CA  # /etc/officepass: not its own
    assert owner(board / "etc" / "officepass" / "bridge.pass") == ("root", "root", 0o600)
    assert not (board / "etc" / "officepass" / "broker" / "platform.pass").exists()  # bridged: no platform login here


def test_a_kiosk_gets_its_own_signing_key_and_is_told_to_give_the_platform_its_public_half(board: Path, capsys) -> None:
    board_site(board, source="kaikatsu-ikebukuro.toml")
    assert setup(board) == 0
    key = board / "etc" / "officepass" / "kiosk.pem"
    assert owner(key) == ("root", "989", 0o640)  # root:officepass-kiosk
    public = SigningKey.load(key).public_b64
    assert f"give the platform its public key {public}" in capsys.readouterr().out


def test_the_broker_certificate_is_renewed_in_its_last_month_and_kept_before(board: Path) -> None:
    board_site(board)
    cfg, site, on = load_config(board / "etc/officepass/site.toml"), Path("/etc/officepass/site.toml"), Board(board)
    assert setup(board) == 0  # a certificate for two years from whenever this runs; the plans below are timed by it
    issued = read_certificate(board / "etc/mosquitto/certs/broker.crt")
    kept = plan_setup(on, cfg, site, now=issued.not_valid_after_utc - RENEW_BEFORE - dt.timedelta(days=1))
    renewed = plan_setup(on, cfg, site, now=issued.not_valid_after_utc - RENEW_BEFORE + dt.timedelta(days=1))
    certificate = {
        plan_name: next(item.content for item in plan.items if str(item.path).endswith("broker.crt"))
        for plan_name, plan in (("kept", kept), ("renewed", renewed))
    }
    assert certificate["kept"] == (board / "etc/mosquitto/certs/broker.crt").read_bytes()
    assert certificate["renewed"] != certificate["kept"]


def test_a_signing_request_waits_for_the_platform_s_ca_then_installs_its_answer(board: Path, capsys, tmp_path) -> None:
    board_site(board)
    assert setup(board, "--tls", "csr") == 2
    out = capsys.readouterr().out
    assert "waiting: send /etc/officepass/tls/broker.csr to the platform's CA" in out
    assert not (board / "etc" / "mosquitto" / "officepass.passwd").exists()  # the rest waits for the certificate
    from cryptography import x509

    request = x509.load_pem_x509_csr((board / "etc/officepass/tls/broker.csr").read_bytes())
    # OpenSSL judges certificates by this machine's clock: the platform's CA signs on it too
    platform_ca = CertificateAuthority.create("platform CA", dt.datetime.now(dt.UTC), dt.timedelta(days=3650))
    hosts = ["door-board-7", "door-board-7.local", "localhost", "127.0.0.1"]
    signed = platform_ca.sign_server(request.public_key(), hosts, dt.datetime.now(dt.UTC), dt.timedelta(days=365))
    (board / "etc/officepass/tls/broker.crt").write_bytes(pem(signed))
    (board / "etc/officepass/tls/ca.crt").write_bytes(pem(platform_ca.certificate))
    assert setup(board, "--tls", "csr") == 0
    assert (board / "etc/mosquitto/certs/broker.crt").read_bytes() == pem(signed)
    assert (board / "etc/mosquitto/certs/ca.crt").read_bytes() == pem(platform_ca.certificate)


def test_the_password_file_is_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    line = passwords.hash_line("alice", "s3cret")
    assert passwords.matches(line, "alice", "s3cret") and not passwords.matches(line, "alice", "other")
    made = tmp_path / "made"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(made), "bob", "pw"], check=True, capture_output=True)
    assert passwords.matches(made.read_text().strip(), "bob", "pw")  # Mosquitto's own line reads back here


# --- the real Mosquitto on what setup wrote ------------------------------------------------------------------------


@pytest.fixture
def running_board() -> Iterator[tuple[Path, int, int]]:
    """A board set up by the site command, its broker started as Debian starts it; the TLS and loopback ports."""
    base = Path(tempfile.mkdtemp(prefix="officepass-board-"))
    base.chmod(0o755)  # Mosquitto drops to its own user: it must walk into the root
    root = make_board(base)
    board_site(root)
    assert setup(root) == 0
    etc = root / "etc" / "mosquitto"
    for folder in (root / "run" / "mosquitto", root / "var" / "lib" / "mosquitto"):
        folder.mkdir(parents=True)
        shutil.chown(folder, "mosquitto", "mosquitto")
    (etc / "mosquitto.conf").write_text(DEBIAN_MAIN.format(root=root))
    tls_port, plain_port = free_port(), free_port()
    ours = (etc / "conf.d" / "officepass.conf").read_text().replace("/etc/mosquitto/", f"{etc}/")
    ours = ours.replace("listener 8883", f"listener {tls_port}").replace("listener 1883 ", f"listener {plain_port} ")
    (etc / "conf.d" / "officepass.conf").write_text(ours)
    for name in ("officepass.passwd", "officepass.acl"):
        shutil.chown(etc / name, "root", "mosquitto")
    process = subprocess.Popen(["mosquitto", "-c", str(etc / "mosquitto.conf")], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    said = []
    for line in process.stderr:  # Debian's main file plus ours: it says "running" once it listens
        said.append(line)
        if "running" in line:
            break
    assert process.poll() is None, "".join(said)
    try:
        yield root, tls_port, plain_port
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(base, ignore_errors=True)


def login(root: Path, port: int, user: str, secret: Path, tls: bool) -> BusClient:
    """A connected client of the board's broker, as user with the password setup wrote for it."""
    settings = BrokerSettings(
        "localhost",
        port,
        user,
        secret.read_text().strip(),
        tls=tls,
        ca_file=root / "etc/officepass/tls/site-ca.crt" if tls else None,
        client_id=user,
    )
    bus = BusClient(settings)
    bus.start()
    assert bus.wait_connected(10), f"{user} could not log in"
    return bus


def test_each_user_logs_in_with_what_setup_wrote_and_does_only_what_its_acl_lets_it(running_board) -> None:
    root, tls_port, plain_port = running_board
    secrets = root / "etc" / "officepass"
    lockd = login(root, plain_port, "lockd-h1t-shibuya", secrets / "lockd.pass", tls=False)
    home_assistant = login(root, tls_port, "homeassistant", secrets / "broker" / "homeassistant.pass", tls=True)
    technician = login(root, tls_port, "technician", secrets / "broker" / "technician.pass", tls=True)
    try:
        states, birth = queue.Queue(), queue.Queue()
        technician.subscribe("officepass/h1t-shibuya/door/+/state", states.put)
        technician.subscribe("homeassistant/status", birth.put)
        commands: queue.Queue = queue.Queue()
        lockd.subscribe("officepass/h1t-shibuya/door/booth-a/command", commands.put)
        technician.publish("officepass/h1t-shibuya/door/booth-a/command", b"forged", timeout=5)  # read-only: dropped
        home_assistant.publish("homeassistant/status", b"online", timeout=5)  # its birth message
        lockd.publish("officepass/h1t-shibuya/door/booth-a/state", b"LOCKED", retain=True, timeout=5)
        assert states.get(timeout=5).payload == b"LOCKED"
        assert birth.get(timeout=5).payload == b"online"
        assert commands.empty()
    finally:
        for bus in (lockd, home_assistant, technician):
            bus.stop()


def test_home_assistant_and_a_technician_s_check_never_throw_each_other_off(running_board) -> None:
    root, tls_port, _ = running_board
    secrets = root / "etc" / "officepass" / "broker"
    home_assistant = login(root, tls_port, "homeassistant", secrets / "homeassistant.pass", tls=True)
    links: queue.Queue[bool] = queue.Queue()  # each drop (False) and reconnection (True), as Home Assistant sees it
    home_assistant.connection_listeners.append(links.put)
    try:
        for _ in range(3):  # the technician's check, run a few times
            login(root, tls_port, "technician", secrets / "technician.pass", tls=True).stop()
        home_assistant.publish("homeassistant/status", b"online", timeout=5)  # a round trip on its own connection
        assert links.empty()  # never dropped, so never reconnected
        login(root, tls_port, "homeassistant", secrets / "homeassistant.pass", tls=True).stop()  # a shared login...
        assert links.get(timeout=10) is False  # ...would have thrown it off (seen once its client reads the close)
        assert home_assistant.wait_connected(10)
    finally:
        home_assistant.stop()


def test_the_operator_s_folder_is_installed_with_owners_and_modes_and_a_stray_file_is_left_out(
    board: Path, tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    bridge = (
        '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\nca_file = "/etc/officepass/platform-ca.crt"\n'
        'password_file = "/etc/officepass/bridge.pass"\n'
    )
    board_site(board, bridge).rename(folder / "site.toml")
    (folder / "notes.txt").write_text("call the operator\n")
    before = snapshot(board)
    assert main(["setup", "--from", str(folder), "--root", str(board)]) == 1  # no bridge password in the folder
    assert "mqtt.bridge.password_file" in capsys.readouterr().err and snapshot(board) == before
    (folder / "bridge.pass").write_text("from-the-operator\n")
    (folder / "platform-ca.crt").write_bytes(PLATFORM_CA)
    assert main(["setup", "--from", str(folder), "--root", str(board)]) == 0
    etc = board / "etc" / "officepass"
    assert (etc / "site.toml").read_text() == (folder / "site.toml").read_text()
    assert owner(etc / "site.toml") == ("root", "988", 0o640) and owner(etc / "bridge.pass") == ("root", "root", 0o600)
    assert owner(etc / "platform-ca.crt")[2] == 0o644 and not (etc / "notes.txt").exists()
    assert f"note: left out {folder / 'notes.txt'}: the site file does not name it" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ('username = "lockd-h1t-shibuya"', "mqtt.username", "'technician' is the name of technicians' user here"),
        (
            'password_file = "/etc/officepass/lockd.pass"',
            "mqtt.password_file",
            "/etc/officepass/broker is not a folder",
        ),
        ('password_file = "/etc/officepass/lockd.pass"', "mqtt.password_file", "/srv/secrets is not a folder"),
        ('data_dir = "/var/lib/officepass/lockd"', "lockd.data_dir", "/srv/lockd is outside /var/lib/officepass"),
        ('password_file = "/etc/officepass/lockd.pass"', "mqtt.bridge.password_file", "is also mqtt.password_file"),
    ],
    ids=[
        "a-setup-user-s-name",
        "root-only-folder",
        "missing-folder",
        "data-outside-the-state-folder",
        "one-file-two-roles",
    ],
)
def test_a_site_file_that_would_leave_lockd_unable_to_work_is_refused_naming_the_key(
    board: Path, capsys, change: str, key: str, words: str
) -> None:
    replacement = {"mqtt.username": 'username = "technician"', "lockd.data_dir": 'data_dir = "/srv/lockd"'}.get(key)
    if key.endswith("password_file"):
        folder = "/etc/officepass/broker" if "broker" in words else "/srv/secrets" if "srv" in words else None
        replacement = (
            f'password_file = "{folder}/lockd.pass"' if folder else 'password_file = "/etc/officepass/bridge.pass"'
        )
    bridge = '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\npassword_file = "/etc/officepass/bridge.pass"\n'
    site = board_site(board, bridge)
    site.write_text(site.read_text().replace(change, replacement, 1))
    (board / "etc/officepass/bridge.pass").write_text("from-the-operator\n")
    (board / "etc/officepass/broker").mkdir(mode=0o700)  # as setup leaves it: root's only
    before = snapshot(board)
    assert setup(board) == 1
    err = capsys.readouterr().err
    assert f": {key}: " in err and words in err and "line " in err, err
    assert snapshot(board) == before


def test_the_site_file_must_be_where_the_units_read_it(board: Path, capsys) -> None:
    board_site(board).rename(board / "root.toml")
    assert main(["setup", "--config", "/root.toml", "--root", str(board)]) == 1
    assert "the programs read /etc/officepass/site.toml, not /root.toml" in capsys.readouterr().err


def test_relative_paths_in_the_operator_s_file_are_taken_from_where_the_units_read_it(
    board: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    site = board_site(
        board,
        '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\nca_file = "platform-ca.crt"\npassword_file = "bridge.pass"\n',
    )
    site.rename(folder / "site.toml")
    (folder / "bridge.pass").write_text("from-the-operator\n")
    (folder / "platform-ca.crt").write_bytes(PLATFORM_CA)
    assert main(["setup", "--from", str(folder), "--root", str(board)]) == 0
    assert owner(board / "etc/officepass/bridge.pass") == ("root", "root", 0o600)
    assert (folder / "bridge.pass").stat().st_mode & 0o777 == 0o644  # the operator's folder is left as it was


def test_a_certificate_that_is_no_certificate_is_refused(board: Path, capsys) -> None:
    board_site(
        board,
        '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\nca_file = "/etc/officepass/platform-ca.crt"\n'
        'password_file = "/etc/officepass/bridge.pass"\n',
    )
    (board / "etc/officepass/bridge.pass").write_text("from-the-operator\n")
    (board / "etc/officepass/platform-ca.crt").write_text("not a certificate\n")
    assert setup(board) == 1
    assert "mqtt.bridge.ca_file: /etc/officepass/platform-ca.crt holds no PEM certificate" in capsys.readouterr().err


def test_a_bridge_dropped_from_the_site_file_is_taken_down(board: Path) -> None:
    bridge = '\n[mqtt.bridge]\nhost = "mqtt.platform.example"\npassword_file = "/etc/officepass/bridge.pass"\n'
    site = board_site(board, bridge)
    (board / "etc/officepass/bridge.pass").write_text("from-the-operator\n")
    assert setup(board) == 0 and (board / "etc/mosquitto/conf.d/officepass-bridge.conf").exists()
    site.write_text(site.read_text().replace(bridge, ""))
    assert setup(board) == 0
    assert not (board / "etc/mosquitto/conf.d/officepass-bridge.conf").exists()
    assert (board / "etc/officepass/broker/platform.pass").exists()  # no bridge: the platform logs in here again


@pytest.mark.parametrize("name", ["bad name", "", "-door", "*.example.com", "fe80::1%eth0", "門"])
def test_a_broker_name_a_certificate_cannot_carry_is_one_line(board: Path, capsys, name: str) -> None:
    board_site(board)
    assert setup(board, f"--broker-name={name}") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"officepass-site: --broker-name {name!r} is not a host name") and len(err) == 2


def test_a_platform_signed_certificate_stays_when_a_later_run_does_not_say_csr(board: Path) -> None:
    board_site(board)
    assert setup(board, "--tls", "csr") == 2
    from cryptography import x509

    request = x509.load_pem_x509_csr((board / "etc/officepass/tls/broker.csr").read_bytes())
    now = read_certificate_time()
    platform_ca = CertificateAuthority.create("platform CA", now, dt.timedelta(days=3650))
    hosts = ["door-board-7", "door-board-7.local", "localhost", "127.0.0.1"]
    (board / "etc/officepass/tls/broker.crt").write_bytes(
        pem(platform_ca.sign_server(request.public_key(), hosts, now, dt.timedelta(days=365)))
    )
    other = CertificateAuthority.create("another CA", now, dt.timedelta(days=3650))
    (board / "etc/officepass/tls/ca.crt").write_bytes(pem(other.certificate))
    assert setup(board) == 1  # a CA that did not sign it
    (board / "etc/officepass/tls/ca.crt").write_bytes(pem(platform_ca.certificate))
    assert setup(board) == 0 and setup(board) == 0  # the monthly run, without --tls
    installed = read_certificate(board / "etc/mosquitto/certs/broker.crt")
    assert installed.issuer == platform_ca.certificate.subject


def read_certificate_time() -> dt.datetime:
    """Now, as OpenSSL will judge the certificates (this machine's clock)."""
    return dt.datetime.now(dt.UTC)


def test_without_start_setup_names_the_units_that_run_on_older_files(board: Path, capsys) -> None:
    from technician.cli import mark_applied
    from technician.site_setup import plan_setup

    site = board_site(board)
    assert setup(board) == 0
    assert "systemctl restart mosquitto officepass-lockd" in capsys.readouterr().out
    plan = plan_setup(Board(board), load_config(site), Path("/etc/officepass/site.toml"))
    for name, inputs in plan.inputs.items():  # what --start notes once each runs on what setup wrote
        mark_applied(Board(board), name, inputs)
    assert setup(board) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == "next: systemctl enable officepass-lockd (or run again with --start)"
    )
    site.write_text(site.read_text().replace("pulse_seconds = 5", "pulse_seconds = 6", 1))  # the site file alone
    assert setup(board) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("next: systemctl restart officepass-lockd && ")


def test_doctor_reads_the_broker_as_its_own_user_and_calls_a_stopped_lockd_a_failure(running_board) -> None:
    from technician.doctor import doctor
    from technician.doctor_local import ClockReading

    root, _, plain_port = running_board
    secrets = root / "etc" / "officepass"
    site = secrets / "site.toml"
    lockd = login(root, plain_port, "lockd-h1t-shibuya", secrets / "lockd.pass", tls=False)
    links: list[bool] = []
    lockd.connection_listeners.append(links.append)
    try:
        here = site.read_text().replace("port = 1883", f"port = {plain_port}")
        checked = root / "doctor-site.toml"
        checked.write_text(here)

        def check() -> list[str]:
            return doctor(checked, 2, clock=lambda: ClockReading(True, "test"), secrets=secrets / "broker").lines

        assert "WARN  lockd has never connected to this broker" in check()
        lockd.publish("officepass/h1t-shibuya/lockd/availability", b"offline", retain=True, timeout=5)
        lines = check()
        assert "FAIL  lockd is offline: stopped, or it died (the broker said its last will)" in lines
        lockd.publish("officepass/h1t-shibuya/lockd/availability", b"online", retain=True, timeout=5)
        lockd.publish("officepass/h1t-shibuya/door/booth-a/state", b"LOCKED", retain=True, timeout=5)
        lines = check()
        assert "OK    lockd is online" in lines and "OK    door booth-a (ブースA扉 / Booth A door): LOCKED" in lines
        assert "OK    broker 127.0.0.1:" + str(plain_port) + " accepts doctor's own login" in lines
        lockd.publish("officepass/probe", b"x", qos=1, timeout=5)  # a round trip on lockd's own connection
        assert links == []  # doctor never logged in as lockd
    finally:
        lockd.stop()
