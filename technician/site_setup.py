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
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from facility.config import FacilityConfig
from facility.config.files import PROGRAM_FILES, SERVICE_USERS, SHARED_GROUP, named_file
from facility.packaged import SITE_BROKER_FILE
from facility.tokens import SigningKey
from lockd.acl import acl_text
from lockd.bridge import CloudLink, bridge_text, bridged
from messagebus.certificates import CertificateError
from technician import passwords, tls
from technician.board import Board
from technician.files import Folder, Gone, Item, Owned, Wanted
from technician.site_checks import (
    BROKER_SECRETS,
    DOCTOR_USER,
    HOME_ASSISTANT_USER,
    MOSQUITTO,
    PLATFORM_USER,
    SITE_DIR,
    TECHNICIAN_USER,
    Missing,
    SetupRefused,
    all_problems,
    broker_here,
    program_of,
)

PLATFORM_CA = MOSQUITTO / "certs" / "platform-ca.crt"  # the bridge's copy of [mqtt.bridge] ca_file
BRIDGE_FILE = MOSQUITTO / "conf.d" / "officepass-bridge.conf"


@dataclass
class SetupPlan:
    """Everything the board needs, in the order it is written, and what a technician should hear."""

    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    awaiting: str | None = None  # a certificate the platform's CA has still to sign
    programs: list[str] = field(default_factory=list)
    inputs: dict[str, list[Path]] = field(default_factory=dict)  # each unit ("mosquitto", "lockd", ...): what it reads


def _secret(board: Board, path: Path) -> str:
    """The password kept at path on the board, or a new one."""
    here = board.source(path)
    return here.read_text().strip() if here.is_file() and here.read_text().strip() else passwords.new_password()


def broker_users(board: Board, cfg: FacilityConfig) -> tuple[dict[str, str], list[Item]]:
    """Each user of the site's broker with its password, and the files that keep the passwords."""
    mqtt, program = cfg.mqtt_settings, program_of(cfg)
    assert mqtt.username is not None and mqtt.password_file is not None  # site_problems says so before
    kept = {mqtt.username: (mqtt.password_file, SERVICE_USERS[program])}
    others = [HOME_ASSISTANT_USER, TECHNICIAN_USER, DOCTOR_USER] + ([] if mqtt.bridge else [PLATFORM_USER])
    kept |= {user: (BROKER_SECRETS / f"{user}.pass", "root") for user in others}
    users = {user: _secret(board, path) for user, (path, _) in kept.items()}
    items: list[Item] = [Folder(BROKER_SECRETS, mode=0o700)]
    items += [
        Wanted(path, f"{users[user]}\n".encode(), "root", group, 0o640 if group != "root" else 0o600)
        for user, (path, group) in kept.items()
    ]
    if mqtt.bridge:  # the platform reaches this broker through the bridge now: its old login goes
        items.append(Gone(BROKER_SECRETS / f"{PLATFORM_USER}.pass"))
    return users, items


def broker_files(board: Board, cfg: FacilityConfig, users: dict[str, str]) -> list[Item]:
    """The password file, the ACL and the broker's own file (read by Mosquitto after it drops to its user)."""
    passwd = board.at(MOSQUITTO / "officepass.passwd")
    existing = passwd.read_text() if passwd.is_file() else ""
    acl = acl_text([cfg], monitor_users=(TECHNICIAN_USER, DOCTOR_USER), home_assistant_user=HOME_ASSISTANT_USER)
    return [
        Wanted(
            MOSQUITTO / "officepass.passwd",
            passwords.password_file(users, existing).encode(),
            "root",
            "mosquitto",
            0o640,
        ),
        Wanted(MOSQUITTO / "officepass.acl", acl.encode(), "root", "mosquitto", 0o640),
        Wanted(MOSQUITTO / "conf.d" / "officepass.conf", SITE_BROKER_FILE.read_bytes()),
    ]


def bridge_files(board: Board, cfg: FacilityConfig) -> list[Item]:
    """The bridge to the platform's broker, which holds the bridge password: Mosquitto's group only."""
    bridge = cfg.mqtt_settings.bridge
    if bridge is None or not bridged([cfg]):  # none, or no longer: a bridge left behind would carry on
        return [Gone(BRIDGE_FILE), Gone(PLATFORM_CA)]
    password = board.source(bridge.password_file).read_text().strip()
    items: list[Item] = [Owned(bridge.password_file, "root", "root", 0o600)]
    ca_file = None
    if bridge.ca_file is not None:  # Mosquitto reads only what is in /etc/mosquitto: /etc/officepass is not its own
        ca_file = PLATFORM_CA
        items += [
            Owned(bridge.ca_file, "root", "root", 0o644),
            Folder(PLATFORM_CA.parent),
            Wanted(PLATFORM_CA, board.source(bridge.ca_file).read_bytes()),
        ]
    else:
        items.append(Gone(PLATFORM_CA))
    try:
        text = bridge_text(cfg, CloudLink(bridge.host, bridge.port, ca_file), password)
    except ValueError as exc:
        raise SetupRefused([Missing("mqtt.bridge", str(exc))]) from None
    return [*items, Wanted(BRIDGE_FILE, text.encode(), "root", "mosquitto", 0o640)]


def osdp_keys(board: Board, cfg: FacilityConfig, plan: SetupPlan) -> list[Item]:
    """Each OSDP device's Secure Channel key, readable by lockd; one that is missing is made (and said)."""
    devices = {
        (part.address, part.key_file): door.id
        for door in cfg.doors
        for part in (door.reader, door.osdp)
        if part is not None and part.key_file is not None
    }
    items: list[Item] = []
    for (address, key_file), door_id in devices.items():
        if board.source(key_file).is_file():
            items.append(Owned(key_file, "root", SERVICE_USERS["lockd"], 0o640))
            continue
        items.append(Wanted(key_file, f"{secrets.token_hex(16)}\n".encode(), "root", SERVICE_USERS["lockd"], 0o640))
        plan.notes.append(
            f"made the Secure Channel key {key_file} for OSDP address {address} (door {door_id}): set the same key "
            "in that device with its maker's tool (docs/doors.md, 'Keys')"
        )
    return items


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
    items += osdp_keys(board, cfg, plan)
    key_file = cfg.kiosk.signing_key_file if cfg.kiosk is not None else None
    if key_file is not None and not board.source(key_file).is_file():
        key = SigningKey.generate()
        items.append(Wanted(key_file, key.pem(), "root", SERVICE_USERS["kiosk"], 0o640))
        plan.notes.append(
            f"made the kiosk's signing key {key_file}: give the platform its public key {key.public_b64} "
            f"(key id {key.key_id}) so it accepts this kiosk's front-desk codes"
        )
    elif key_file is not None:
        items.append(Owned(key_file, "root", SERVICE_USERS["kiosk"], 0o640))
    return items


def tls_plan(board: Board, mode: str | None, names: list[str], now: dt.datetime) -> tls.TlsPlan:
    """The broker's certificate, by the chosen way, or the way this board took before (a platform-signed certificate
    is never replaced by one of the site's own CA because a later run did not say --tls csr again)."""
    mode = mode or tls.mode_in_use(board)
    try:
        hosts = tls.broker_hosts(board, names)
        return (tls.csr_plan if mode == "csr" else tls.site_ca_plan)(board, hosts, now)
    except (CertificateError, ValueError) as exc:
        raise SetupRefused([Missing("", str(exc))]) from None


def plan_setup(
    board: Board,
    cfg: FacilityConfig,
    site_file: Path,
    *,
    tls_mode: str | None = None,
    broker_names: list[str] | None = None,
    now: dt.datetime | None = None,
) -> SetupPlan:
    """Everything the board needs for this site, or SetupRefused naming all that is missing."""
    problems = all_problems(board, cfg, site_file)
    if problems:
        raise SetupRefused(problems)
    plan = SetupPlan(programs=[program_of(cfg)])
    plan.items += [Folder(SITE_DIR, "root", SHARED_GROUP, 0o750), Owned(site_file, "root", SHARED_GROUP, 0o640)]
    if broker_here(cfg):
        users, secrets = broker_users(board, cfg)
        certificates = tls_plan(board, tls_mode, broker_names or [], now or dt.datetime.now(dt.UTC))
        if certificates.awaiting:  # only the request is written: the rest waits for the signed certificate
            return SetupPlan(items=certificates.items, awaiting=certificates.awaiting, programs=plan.programs)
        plan.items += secrets + certificates.items + broker_files(board, cfg, users) + bridge_files(board, cfg)
    plan.items += program_files(board, cfg, plan)
    plan.items = bring_in(board, plan)
    plan.inputs = unit_inputs(cfg, site_file, plan.items)
    return plan


def unit_inputs(cfg: FacilityConfig, site_file: Path, items: list[Item]) -> dict[str, list[Path]]:
    """What each unit reads of what setup manages: Mosquitto its files (where the broker runs here), the program
    the site file and the files it names."""
    program = program_of(cfg)
    inputs: dict[str, list[Path]] = {}
    if broker_here(cfg):
        inputs["mosquitto"] = sorted(
            {item.path for item in items if isinstance(item, Wanted | Gone) and item.path.is_relative_to(MOSQUITTO)}
        )
    keys = [*PROGRAM_FILES[program]] + ["kiosk.signing_key_file"] * (program == "kiosk")
    named = [path for key in dict.fromkeys(keys) if (path := named_file(cfg, key)) is not None]
    inputs[program] = [site_file, *named]
    return inputs


def bring_in(board: Board, plan: SetupPlan) -> list[Item]:
    """The operator's files, staged from their folder: each written where the site file names it, with the owner
    and mode the plan gives it; a file the site file does not name is left out, and said so."""
    items = [
        Wanted(item.path, board.source(item.path).read_bytes(), item.owner, item.group, item.mode)
        if isinstance(item, Owned) and item.path in board.staged
        else item
        for item in plan.items
    ]
    used = {item.path for item in items}
    plan.notes += [
        f"left out {source}: the site file does not name it"
        for path, source in board.staged.items()
        if path not in used
    ]
    return items
