"""What each `officepass-sim` subcommand does; sim_cli.py only parses arguments."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from facility.errors import FacilityError
from facility.platform import PlatformError
from facility.rules.calendar import TOKYO
from facility.topics import SiteTopics
from kiosk import KIOSK_EXTRA, kiosk_libraries_installed
from messagebus import BrokerSettings, BusClient
from simulator.phone import AppClient, Phone
from simulator.runtime import start_platform


def opencv() -> Any:
    """OpenCV, which drawing and reading phone screens need; one line naming the extra where it is missing."""
    if not kiosk_libraries_installed():
        raise FacilityError(f"this command draws or reads 2D codes: {KIOSK_EXTRA}")
    import cv2

    return cv2


def _print(answer: dict) -> int:
    """Print an answer as one JSON line."""
    print(json.dumps(answer, ensure_ascii=False))
    return 0


def _broker(args: argparse.Namespace, client_id: str) -> BrokerSettings | None:
    """Broker settings from the command line, if a broker was named."""
    if not args.broker_port:
        return None
    password = Path(args.broker_password_file).read_text().strip() if args.broker_password_file else None
    ca_file = Path(args.broker_ca) if args.broker_ca else None
    return BrokerSettings(
        args.broker_host,
        args.broker_port,
        args.broker_user,
        password,
        tls=ca_file is not None,
        ca_file=ca_file,
        client_id=client_id,
    )


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


def run_platform(args: argparse.Namespace) -> int:
    """Serve the stand-in platform until interrupted."""
    platform = start_platform(args.seed, args.host, args.port, _broker(args, "officepass-platform"), args.topic_prefix)
    print(
        f"platform serving {platform.server.url}"
        + (f", broker {args.broker_host}:{args.broker_port}" if platform.bus else ", no broker"),
        flush=True,
    )
    try:
        wait_for_interrupt()
    finally:
        platform.stop()
    return 0


def add_member(args: argparse.Namespace) -> int:
    """Register a member."""
    return _print(AppClient(args.platform).add_member(args.name, args.plan))


def parse_start(text: str) -> datetime:
    """A start time: ISO 8601 (Tokyo if no offset) or '+30m' / '+2h' from now."""
    if text.startswith("+") and text[-1] in "mh" and text[1:-1].isdigit():
        minutes = int(text[1:-1]) * (60 if text[-1] == "h" else 1)
        return datetime.now(TOKYO) + timedelta(minutes=minutes)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)


def reserve(args: argparse.Namespace) -> int:
    """Book a room for a member."""
    phone = Phone(args.member, AppClient(args.platform))
    return _print(phone.book(args.facility, args.room, parse_start(args.start), args.minutes, args.guests))


def cancel(args: argparse.Namespace) -> int:
    """Cancel a member's booking."""
    return _print(Phone(args.member, AppClient(args.platform)).cancel(args.reservation))


def show_pass(args: argparse.Namespace) -> int:
    """Save the member's phone screen with a fresh pass as a PNG."""
    cv2 = opencv()
    from simulator.screen import phone_screen

    text = Phone(args.member, AppClient(args.platform)).show_pass(args.facility)
    if not cv2.imwrite(str(args.out), phone_screen(text, args.width, args.dark)):
        raise OSError(f"could not write {args.out}")
    return _print({"pass": text, "png": str(args.out)})


def scan_desk(args: argparse.Namespace) -> int:
    """Read a front-desk code from a photo and submit it as the member's phone would."""
    image = opencv().imread(str(args.image))
    if image is None:
        raise OSError(f"cannot read the image {args.image}")
    from kiosk.decoding import make_decoder

    found = make_decoder(args.decoder).decode(image)
    if not found:
        _print(
            {"result": "no_code", "message_en": "no 2D code in the image", "message_ja": "2次元コードが見つかりません"}
        )
        return 1
    return _print(Phone(args.member, AppClient(args.platform)).scan_desk_code(found[0].text))


def unlock(args: argparse.Namespace) -> int:
    """Tap 'unlock' for a member at a door."""
    answer = Phone(args.member, AppClient(args.platform)).unlock(args.facility, args.door)
    _print(answer)
    return 0 if answer.get("result") == "opened" else 1


def watch_door(args: argparse.Namespace) -> int:
    """Print a door's state, events and answers as they arrive."""
    settings = _broker(args, "")
    if settings is None:
        raise ValueError("watch-door needs --broker-port")
    seen = threading.Semaphore(0)
    bus = BusClient(settings)

    def show(message) -> None:
        print(
            f"{datetime.now(TOKYO):%H:%M:%S} {message.topic} {message.payload.decode('utf-8', 'replace')}", flush=True
        )
        seen.release()

    bus.start()
    if not bus.wait_connected(args.timeout):
        raise ConnectionError(f"cannot reach the broker at {settings.host}:{settings.port}")
    bus.subscribe(SiteTopics(args.topic_prefix, args.facility).door(args.door, "#"), show)
    try:
        return _count_or_wait(seen, args.count, args.timeout)
    finally:
        bus.stop()


def _count_or_wait(seen: threading.Semaphore, count: int | None, timeout: float) -> int:
    """Wait for count messages (0 when they came, 1 when they did not), or until interrupted."""
    if count is None:
        wait_for_interrupt()
        return 0
    return 0 if all(seen.acquire(timeout=timeout) for _ in range(count)) else 1


def guarded(command) -> int:
    """Run a command, turning the platform's refusals into a message and exit code 1."""
    try:
        return command()
    except PlatformError as exc:
        print(json.dumps({"status": exc.status} | exc.body, ensure_ascii=False))
        return 1
    except (FacilityError, OSError, ValueError, ConnectionError) as exc:  # a file that is not there or not valid...
        print(f"officepass-sim: {exc}", file=sys.stderr)
        return 1
