"""`officepass-site setup`: one facility file into everything the board needs, with owners and modes.

From the site file alone: the broker's users and passwords (the site's program, Home Assistant, a
technician's check, and the platform where no bridge carries it), the ACL, the broker's file, its
TLS material, the bridge to the platform's broker, the program's password file and, for a kiosk,
its signing key. The whole plan is made before anything is written: when something is missing (a
package, a file from the platform's operator) the command says so in one line each, naming the key
and the file and the fix, and changes nothing. A second run changes nothing either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from facility.config import FacilityConfig
from facility.config.files import SERVICE_USERS, SHARED_GROUP
from facility.config.locate import key_lines, line_of
from facility.config.models import is_loopback
from facility.errors import FacilityError
from facility.packaged import SITE_BROKER_FILE
from facility.tokens import SigningKey
from lockd.acl import acl_text
from lockd.bridge import CloudLink, bridge_text, bridged
from messagebus.certificates import CertificateError
from technician import passwords, tls
from technician.board import Board
from technician.files import Folder, Item, Owned, Wanted

SITE_DIR = Path("/etc/officepass")
BROKER_SECRETS = SITE_DIR / "broker"  # passwords of the users that are not a program here: root's only
MOSQUITTO = Path("/etc/mosquitto")
PLATFORM_CA = MOSQUITTO / "certs" / "platform-ca.crt"  # the bridge's copy of [mqtt.bridge] ca_file
HOME_ASSISTANT_USER = "homeassistant"
TECHNICIAN_USER = "technician"
PLATFORM_USER = "platform"
PACKAGES = {"lockd": "officepass-door", "kiosk": "officepass-kiosk"}


@dataclass(frozen=True)
class Missing:
    """Something the board or the operator has not given yet: which key (and its line) or thing, and what to do."""

    key: str
    text: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.key}: {self.text}" if self.key else self.text


def with_lines(site_text: str, problems: list[Missing]) -> list[Missing]:
    """The problems with the line of the key each names in the site file."""
    lines = key_lines(site_text)
    return [Missing(p.key, p.text, line_of(lines, tuple(p.key.split(".")))) if p.key else p for p in problems]


class SetupRefused(FacilityError):
    """The site command found something missing and changed nothing."""

    def __init__(self, problems: list[Missing]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass
class SetupPlan:
    """Everything the board needs, in the order it is written, and what a technician should hear."""

    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    awaiting: str | None = None  # a certificate the platform's CA has still to sign
    programs: list[str] = field(default_factory=list)


def program_of(cfg: FacilityConfig) -> str:
    """The program whose broker login the file's [mqtt] username is: lockd where there are doors, else the kiosk."""
    return "lockd" if cfg.doors else "kiosk"


def broker_here(cfg: FacilityConfig) -> bool:
    """True when the site's broker runs on this board (the file's programs reach it on loopback)."""
    return cfg.mqtt is not None and is_loopback(cfg.mqtt.host)


def board_problems(board: Board, cfg: FacilityConfig) -> list[Missing]:
    """The packages this file needs on the board: the program's (its user) and Mosquitto where the broker runs."""
    problems = []
    program = program_of(cfg)
    if not board.has_user(SERVICE_USERS[program]) or not board.has_group(SHARED_GROUP):
        problems.append(Missing("", f"user {SERVICE_USERS[program]} is missing: install the {PACKAGES[program]} "
                                    f"package first (apt-get install ./{PACKAGES[program]}_*.deb)"))
    if broker_here(cfg) and not (board.has_user("mosquitto") and board.at(MOSQUITTO / "conf.d").is_dir()):
        problems.append(Missing("mqtt.host", f"the broker runs here ({cfg.mqtt_settings.host}) but Mosquitto is not "
                                             "installed: apt-get install --no-install-recommends mosquitto"))
    return problems


def operator_problems(board: Board, cfg: FacilityConfig) -> list[Missing]:
    """Files only the platform's operator can give, which the file names but the board lacks."""
    wanted = [("platform.api_token_file", cfg.platform.api_token_file, "the site's API token"),
              ("platform.ca_file", cfg.platform.ca_file, "the CA of the platform's HTTPS certificate")]
    if cfg.mqtt is not None and cfg.mqtt.bridge is not None:
        wanted += [("mqtt.bridge.password_file", cfg.mqtt.bridge.password_file, "the site's bridge password"),
                   ("mqtt.bridge.ca_file", cfg.mqtt.bridge.ca_file, "the CA of the platform broker's certificate")]
    if cfg.mqtt is not None and not broker_here(cfg):
        from_broker = "this program's broker password, from the board that runs the site's broker (setup made it)"
        wanted += [("mqtt.password_file", cfg.mqtt.password_file, from_broker),
                   ("mqtt.ca_file", cfg.mqtt.ca_file, "the site broker's CA (site-ca.crt on the broker's board)")]
    return [Missing(key, f"{path} does not exist: put {what} there (from the platform's operator), then run "
                         "officepass-site setup again")
            for key, path, what in wanted if path is not None and not board.source(path).is_file()]


def _secret(board: Board, path: Path) -> str:
    """The password kept at path on the board, or a new one."""
    here = board.source(path)
    return here.read_text().strip() if here.is_file() and here.read_text().strip() else passwords.new_password()


def broker_users(board: Board, cfg: FacilityConfig) -> tuple[dict[str, str], list[Item]]:
    """Each user of the site's broker with its password, and the files that keep the passwords."""
    mqtt, program = cfg.mqtt_settings, program_of(cfg)
    if mqtt.username is None or mqtt.password_file is None:
        raise SetupRefused([Missing("mqtt.username", "the site's program needs a broker user of its own: set "
                                                     "[mqtt] username and password_file")])
    kept = {mqtt.username: (mqtt.password_file, SERVICE_USERS[program])}
    others = [HOME_ASSISTANT_USER, TECHNICIAN_USER] + ([] if mqtt.bridge else [PLATFORM_USER])
    kept |= {user: (BROKER_SECRETS / f"{user}.pass", "root") for user in others}
    users = {user: _secret(board, path) for user, (path, _) in kept.items()}
    items: list[Item] = [Folder(BROKER_SECRETS, mode=0o700)]
    items += [Wanted(path, f"{users[user]}\n".encode(), "root", group, 0o640 if group != "root" else 0o600)
              for user, (path, group) in kept.items()]
    return users, items


def broker_files(board: Board, cfg: FacilityConfig, users: dict[str, str]) -> list[Item]:
    """The password file, the ACL and the broker's own file (read by Mosquitto after it drops to its user)."""
    passwd = board.at(MOSQUITTO / "officepass.passwd")
    existing = passwd.read_text() if passwd.is_file() else ""
    acl = acl_text([cfg], monitor_users=(TECHNICIAN_USER,), home_assistant_user=HOME_ASSISTANT_USER)
    return [Wanted(MOSQUITTO / "officepass.passwd", passwords.password_file(users, existing).encode(), "root",
                   "mosquitto", 0o640),
            Wanted(MOSQUITTO / "officepass.acl", acl.encode(), "root", "mosquitto", 0o640),
            Wanted(MOSQUITTO / "conf.d" / "officepass.conf", SITE_BROKER_FILE.read_bytes())]


def bridge_files(board: Board, cfg: FacilityConfig) -> list[Item]:
    """The bridge to the platform's broker, which holds the bridge password: Mosquitto's group only."""
    bridge = cfg.mqtt_settings.bridge
    if bridge is None or not bridged([cfg]):
        return []
    password = board.source(bridge.password_file).read_text().strip()
    items: list[Item] = [Owned(bridge.password_file, "root", "root", 0o600)]
    ca_file = None
    if bridge.ca_file is not None:  # Mosquitto reads only what is in /etc/mosquitto: /etc/officepass is not its own
        ca_file = PLATFORM_CA
        items += [Owned(bridge.ca_file, "root", "root", 0o644), Folder(PLATFORM_CA.parent),
                  Wanted(PLATFORM_CA, board.source(bridge.ca_file).read_bytes())]
    try:
        text = bridge_text(cfg, CloudLink(bridge.host, bridge.port, ca_file), password)
    except ValueError as exc:
        raise SetupRefused([Missing("mqtt.bridge", str(exc))]) from None
    return [*items, Wanted(MOSQUITTO / "conf.d" / "officepass-bridge.conf", text.encode(), "root", "mosquitto", 0o640)]


def program_files(board: Board, cfg: FacilityConfig, plan: SetupPlan) -> list[Item]:
    """The site file and the operator's files, readable by the program; a kiosk's signing key, made if missing."""
    group = SERVICE_USERS[program_of(cfg)]
    items: list[Item] = []
    if cfg.platform.api_token_file is not None:
        items.append(Owned(cfg.platform.api_token_file, "root", group, 0o640))
    if cfg.mqtt is not None and cfg.mqtt.password_file is not None and not broker_here(cfg):
        items.append(Owned(cfg.mqtt.password_file, "root", group, 0o640))  # copied from the broker's board
    for ca in (cfg.platform.ca_file, cfg.mqtt.ca_file if cfg.mqtt else None):
        if ca is not None and board.source(ca).is_file():
            items.append(Owned(ca, "root", "root", 0o644))
    key_file = cfg.kiosk.signing_key_file if cfg.kiosk is not None else None
    if key_file is not None and not board.source(key_file).is_file():
        key = SigningKey.generate()
        items.append(Wanted(key_file, key.pem(), "root", SERVICE_USERS["kiosk"], 0o640))
        plan.notes.append(f"made the kiosk's signing key {key_file}: give the platform its public key {key.public_b64} "
                          f"(key id {key.key_id}) so it accepts this kiosk's front-desk codes")
    elif key_file is not None:
        items.append(Owned(key_file, "root", SERVICE_USERS["kiosk"], 0o640))
    return items


def tls_plan(board: Board, mode: str, hosts: list[str], now: dt.datetime) -> tls.TlsPlan:
    """The broker's certificate, by the chosen way."""
    try:
        return (tls.csr_plan if mode == "csr" else tls.site_ca_plan)(board, hosts, now)
    except CertificateError as exc:
        raise SetupRefused([Missing("", str(exc))]) from None


def plan_setup(board: Board, cfg: FacilityConfig, site_file: Path, *, tls_mode: str = "site-ca",
               broker_names: list[str] | None = None, now: dt.datetime | None = None) -> SetupPlan:
    """Everything the board needs for this site, or SetupRefused naming all that is missing."""
    problems = board_problems(board, cfg) + operator_problems(board, cfg)
    if cfg.mqtt is None:
        problems.append(Missing("mqtt", "the site's programs talk over MQTT: add [mqtt]"))
    if problems:
        raise SetupRefused(problems)
    plan = SetupPlan(programs=[program_of(cfg)])
    plan.items += [Folder(SITE_DIR, "root", SHARED_GROUP, 0o750), Owned(site_file, "root", SHARED_GROUP, 0o640)]
    if broker_here(cfg):
        users, secrets = broker_users(board, cfg)
        certificates = tls_plan(board, tls_mode, tls.broker_hosts(board, broker_names or []),
                                now or dt.datetime.now(dt.UTC))
        if certificates.awaiting:  # only the request is written: the rest waits for the signed certificate
            return SetupPlan(items=certificates.items, awaiting=certificates.awaiting, programs=plan.programs)
        plan.items += secrets + certificates.items + broker_files(board, cfg, users) + bridge_files(board, cfg)
    plan.items += program_files(board, cfg, plan)
    plan.items = bring_in(board, plan)
    return plan


def bring_in(board: Board, plan: SetupPlan) -> list[Item]:
    """The operator's files, staged from their folder: each written where the site file names it, with the owner
    and mode the plan gives it; a file the site file does not name is left out, and said so."""
    items = [Wanted(item.path, board.source(item.path).read_bytes(), item.owner, item.group, item.mode)
             if isinstance(item, Owned) and item.path in board.staged else item for item in plan.items]
    used = {item.path for item in items}
    plan.notes += [f"left out {source}: the site file does not name it" for path, source in board.staged.items()
                   if path not in used]
    return items
