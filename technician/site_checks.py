"""What `officepass-site setup` checks before it writes anything: each problem one line, naming the key (with its
line in the site file) or the thing, and the fix. Any problem and nothing is written."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from facility.config import FacilityConfig
from facility.config.files import SERVICE_USERS, SHARED_GROUP, STATE_DIRS
from facility.config.locate import key_lines, line_of
from facility.config.models import is_loopback
from facility.errors import FacilityError
from technician.board import Board

SITE_DIR = Path("/etc/officepass")
SITE_FILE = SITE_DIR / "site.toml"  # what the units read
BROKER_SECRETS = SITE_DIR / "broker"  # passwords of the users that are not a program here: root's only
MOSQUITTO = Path("/etc/mosquitto")
HOME_ASSISTANT_USER = "homeassistant"
TECHNICIAN_USER = "technician"
DOCTOR_USER = "doctor"  # officepass-site doctor's own login: never a program's, never a technician's
PLATFORM_USER = "platform"
SETUP_USERS = {
    HOME_ASSISTANT_USER: "Home Assistant",
    TECHNICIAN_USER: "technicians'",
    DOCTOR_USER: "doctor's",
    PLATFORM_USER: "the platform's",
}
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


class SetupRefused(FacilityError):
    """The site command found something missing and changed nothing."""

    def __init__(self, problems: list[Missing]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def with_lines(site_text: str, problems: list[Missing]) -> list[Missing]:
    """The problems with the line of the key each names in the site file."""
    lines = key_lines(site_text)
    return [Missing(p.key, p.text, line_of(lines, tuple(p.key.split(".")))) if p.key else p for p in problems]


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
        problems.append(
            Missing(
                "",
                f"user {SERVICE_USERS[program]} is missing: install the {PACKAGES[program]} "
                f"package first (apt-get install ./{PACKAGES[program]}_*.deb)",
            )
        )
    if broker_here(cfg) and not (board.has_user("mosquitto") and board.at(MOSQUITTO / "conf.d").is_dir()):
        problems.append(
            Missing(
                "mqtt.host",
                f"the broker runs here ({cfg.mqtt_settings.host}) but Mosquitto is not "
                "installed: apt-get install --no-install-recommends mosquitto",
            )
        )
    return problems


def site_problems(cfg: FacilityConfig, site_file: Path) -> list[Missing]:
    """The file itself: where the units read it, what it needs, and what one file cannot say (yet)."""
    problems = []
    if site_file != SITE_FILE:
        problems.append(
            Missing(
                "",
                f"the programs read {SITE_FILE}, not {site_file}: give --from FOLDER (the "
                f"operator's folder), or put the file at {SITE_FILE}",
            )
        )
    if cfg.mqtt is None:
        problems.append(Missing("mqtt", "the site's programs talk over MQTT: add [mqtt]"))
    elif cfg.mqtt.username is None or cfg.mqtt.password_file is None:
        problems.append(
            Missing(
                "mqtt.username",
                "the site's program needs a broker user of its own: set [mqtt] username and password_file",
            )
        )
    elif cfg.mqtt.username in SETUP_USERS:
        problems.append(
            Missing(
                "mqtt.username",
                f"{cfg.mqtt.username!r} is the name of {SETUP_USERS[cfg.mqtt.username]}"
                f" user here: give the site's program its own, e.g. "
                f"{program_of(cfg)}-{cfg.facility.id}",
            )
        )
    if cfg.doors and cfg.kiosk is not None:
        problems.append(
            Missing(
                "kiosk",
                "this file has doors and a [kiosk]: each needs a broker user of its own, "
                "which one [mqtt] section cannot give; set the kiosk up from a file of its "
                "own",
            )
        )
    return problems


def operator_problems(board: Board, cfg: FacilityConfig) -> list[Missing]:
    """Files only the platform's operator (or, for a program whose broker is elsewhere, that board) can give."""
    wanted = [
        (
            "platform.api_token_file",
            cfg.platform.api_token_file,
            ("the site's API token (from the platform's operator)"),
        ),
        (
            "platform.ca_file",
            cfg.platform.ca_file,
            ("the CA of the platform's HTTPS certificate (from the platform's operator)"),
        ),
    ]
    if cfg.mqtt is not None and cfg.mqtt.bridge is not None:
        wanted += [
            (
                "mqtt.bridge.password_file",
                cfg.mqtt.bridge.password_file,
                "the site's bridge password (from the platform's operator)",
            ),
            (
                "mqtt.bridge.ca_file",
                cfg.mqtt.bridge.ca_file,
                "the CA of the platform broker's certificate (from the platform's operator)",
            ),
        ]
    if cfg.mqtt is not None and not broker_here(cfg):
        wanted += [
            (
                "mqtt.password_file",
                cfg.mqtt.password_file,
                ("this program's broker password, copied from the board that runs the site's broker"),
            ),
            ("mqtt.ca_file", cfg.mqtt.ca_file, "the site broker's CA (site-ca.crt on the broker's board)"),
        ]
    return [
        Missing(key, f"{path} does not exist: put {what} there, then run officepass-site setup again")
        for key, path, what in wanted
        if path is not None and not board.source(path).is_file()
    ]


def certificate_problems(board: Board, cfg: FacilityConfig) -> list[Missing]:
    """Each CA file the site names must hold a certificate: a garbled one would leave the link dead for good."""
    named = [("platform.ca_file", cfg.platform.ca_file)]
    if cfg.mqtt is not None:
        named += [
            ("mqtt.ca_file", cfg.mqtt.ca_file),
            ("mqtt.bridge.ca_file", cfg.mqtt.bridge.ca_file if cfg.mqtt.bridge else None),
        ]
    problems = []
    for key, path in named:
        source = board.source(path) if path is not None else None
        if source is None or not source.is_file():
            continue
        try:
            x509.load_pem_x509_certificates(source.read_bytes())
        except ValueError:
            problems.append(
                Missing(
                    key,
                    f"{path} holds no PEM certificate: ask the platform's operator for the CA's "
                    "certificate (-----BEGIN CERTIFICATE-----)",
                )
            )
    return problems


def placement_problems(board: Board, cfg: FacilityConfig) -> list[Missing]:
    """Files setup writes go where the program can read them, and no file serves two roles."""
    if cfg.mqtt is None or cfg.mqtt.password_file is None:
        return []
    problems = []
    program, password = program_of(cfg), cfg.mqtt.password_file
    folder = password.parent
    if broker_here(cfg) and folder != SITE_DIR and not _searchable(board, folder, SERVICE_USERS[program]):
        problems.append(
            Missing(
                "mqtt.password_file",
                f"{folder} is not a folder {SERVICE_USERS[program]} can reach "
                f"(it must exist and let it in): put the file in {SITE_DIR}",
            )
        )
    roles = {
        "mqtt.password_file": password,
        "mqtt.bridge.password_file": cfg.mqtt.bridge.password_file if cfg.mqtt.bridge else None,
        "platform.api_token_file": cfg.platform.api_token_file,
        "kiosk.signing_key_file": cfg.kiosk.signing_key_file if cfg.kiosk else None,
    }
    seen: dict[Path, str] = {}
    for key, path in roles.items():
        if path is not None and path in seen:
            problems.append(Missing(key, f"{path} is also {seen[path]}: each secret needs a file of its own"))
        elif path is not None:
            seen[path] = key
    return problems + _data_dir_problems(cfg, program)


def _data_dir_problems(cfg: FacilityConfig, program: str) -> list[Missing]:
    """The program writes only in its unit's state folder."""
    folder = cfg.lockd_settings.data_dir if program == "lockd" else cfg.kiosk_settings.data_dir
    state = STATE_DIRS[program]
    if Path(folder).is_relative_to(state):
        return []
    return [
        Missing(
            f"{program}.data_dir",
            f"{folder} is outside {state}, the only folder the unit lets {program} "
            f"write: e.g. {state / program if program == 'lockd' else state / 'data'}",
        )
    ]


def _searchable(board: Board, folder: Path, user: str) -> bool:
    """True when the folder exists on the board and the user may pass through it and its parents."""
    uid = board.uid(user)
    groups = board.groups_of(user)
    for path in (folder, *folder.parents):
        try:
            info = board.at(path).stat()
        except FileNotFoundError:
            return False
        shift = 0 if info.st_uid == uid else 3 if info.st_gid in groups else 6
        if not info.st_mode & (stat.S_IXUSR >> shift):
            return False
    return True


def all_problems(board: Board, cfg: FacilityConfig, site_file: Path) -> list[Missing]:
    """Every reason not to write anything yet."""
    problems = site_problems(cfg, site_file) + board_problems(board, cfg) + operator_problems(board, cfg)
    if problems:
        return problems
    return certificate_problems(board, cfg) + placement_problems(board, cfg)
