"""`officepass-kiosk`: the reception kiosk's command line."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from facility import logsafe
from facility.config import FacilityConfig, load_config
from facility.config.check import check_config, located, program_parser
from facility.config.files import program_problems, service_user
from facility.errors import ConfigError, ConfigProblem, FacilityError
from facility.systemd import notify
from kiosk import KIOSK_EXTRA, kiosk_libraries_installed
from kiosk.security import hash_pin

if TYPE_CHECKING:
    pass

NEEDS_EXTRA = f"officepass-kiosk needs its own libraries (Qt, OpenCV, zxing-cpp): {KIOSK_EXTRA}"


def kiosk_needs(cfg: FacilityConfig) -> list[ConfigProblem]:
    """What a facility file must hold for a kiosk to run it."""
    problems = []
    if not any(space.kind.checks_in_at_reception for space in cfg.spaces):
        kinds = ", ".join(sorted(kind.value for kind in cfg.kinds()))
        problems.append(ConfigProblem("spaces", f"no space checks members in at reception ({kinds}): no kiosk here"))
    if cfg.kiosk is None:
        problems.append(ConfigProblem("kiosk", "the kiosk needs a [kiosk] table (id, decoder, camera, ...)"))
    elif cfg.kiosk_settings.signing_key_file is None:
        problems.append(
            ConfigProblem("kiosk.signing_key_file", "the kiosk signs its front-desk code: give its key file")
        )
    return problems


def build_parser() -> argparse.ArgumentParser:
    """The program's arguments."""
    parser, action = program_parser(
        "officepass-kiosk", "Reception kiosk of a coworking-pass facility.", "config/regus-shinjuku.toml"
    )
    action.add_argument("--hash-pin", action="store_true", help="ask for a staff PIN and print its hash for [kiosk]")
    parser.add_argument("--windowed", action="store_true", help="run in a window instead of full screen (bench, demo)")
    return parser


def decode_parser() -> argparse.ArgumentParser:
    """`officepass-kiosk decode IMAGE...`."""
    parser = argparse.ArgumentParser(
        prog="officepass-kiosk decode",
        description="Decode 2D codes in image files.",
        epilog="example: officepass-kiosk decode --decoder pyzbar photo1.png photo2.jpg",
    )
    parser.add_argument("images", nargs="+", type=Path)
    parser.add_argument("--decoder", choices=["zxing", "pyzbar"], help="default: the facility file's, else zxing")
    parser.add_argument("--config", help="take the decoder from this facility file")
    return parser


def decode(argv: list[str]) -> int:
    """Print one JSON line per image: {"file": ..., "texts": [...]} (and "error" when unreadable)."""
    args = decode_parser().parse_args(argv)
    name = args.decoder or (load_config(args.config).kiosk_settings.decoder if args.config else "zxing")
    import cv2

    from kiosk.decoding import make_decoder

    decoder, failed = make_decoder(name), False
    for path in args.images:
        image = cv2.imread(str(path))
        line = {"file": str(path), "texts": [d.text for d in decoder.decode(image)] if image is not None else []}
        if image is None:
            line["error"] = "not a readable image"
            failed = True
        print(json.dumps(line, ensure_ascii=False))
    return 1 if failed else 0


def run(cfg: FacilityConfig, windowed: bool) -> int:
    """Open the kiosk until staff exit it (or SIGTERM)."""
    from PySide6.QtWidgets import QApplication

    from kiosk.app import KioskApp
    from messagebus import BrokerSettings

    application = QApplication.instance() or QApplication(sys.argv[:1])
    broker = (
        BrokerSettings.from_config(cfg.mqtt, f"kiosk-{cfg.facility.id}-{cfg.kiosk_settings.id}") if cfg.mqtt else None
    )
    from kiosk.camera import frame_source

    kiosk = KioskApp(cfg, frame_source(cfg.kiosk_settings.camera), broker=broker)
    signal.signal(signal.SIGTERM, lambda *_: kiosk.stop())
    kiosk.start(full_screen=not windowed)
    kiosk.window.destroyed.connect(application.quit)
    notify("READY=1")  # Type=notify: from here the screen's heartbeat feeds WatchdogSec
    try:
        return application.exec()
    finally:
        notify("STOPPING=1")
        if kiosk.left_by_staff:
            mark_left_by_staff()


LEFT_BY_STAFF = "left-by-staff"


def mark_left_by_staff() -> None:
    """Leave a mark that staff closed the kiosk, so the unit's ExecCondition does not start it again.

    cage ends with status 0 whatever its client did, so systemd cannot tell a crash from a staff
    exit by the status: the mark, in the unit's runtime directory, tells it. systemd removes the
    directory when the unit stops for good, so the next `systemctl start` or boot starts the kiosk."""
    runtime = os.environ.get("RUNTIME_DIRECTORY")
    if runtime:
        (Path(runtime.split(":")[0]) / LEFT_BY_STAFF).write_text("closed from the staff page\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-kiosk."""
    argv = sys.argv[1:] if argv is None else argv
    logsafe.install()  # warnings go to stderr (logging's last resort); a name in one cannot forge a line
    needs_extra = argv[:1] == ["decode"] or not any(
        flag in argv for flag in ("--check-config", "--hash-pin", "-h", "--help")
    )
    if needs_extra and not kiosk_libraries_installed():
        print(NEEDS_EXTRA, file=sys.stderr)
        return 1
    if argv[:1] == ["decode"]:
        return decode(argv[1:])
    args = build_parser().parse_args(argv)
    if args.check_config:
        return check_config(
            args.check_config,
            "officepass-kiosk",
            lambda cfg: kiosk_needs(cfg) + program_problems(cfg, "kiosk", service_user("kiosk")),
            migrated=args.migrated,
        )
    if args.hash_pin:
        print(hash_pin(getpass.getpass("staff PIN: ")))
        return 0
    try:
        cfg = load_config(args.config)
        problems = kiosk_needs(cfg) + program_problems(cfg, "kiosk", None)  # None: as this process runs
        if problems:
            raise ConfigError(args.config, located(args.config, problems))
        return run(cfg, args.windowed)
    except (FacilityError, OSError) as exc:
        print(f"officepass-kiosk: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
