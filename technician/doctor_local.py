"""What `officepass-site doctor` checks on the machine itself: the clock, GPIO, the camera, and demo secrets left in."""

from __future__ import annotations

import io
import queue
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from facility.config import FacilityConfig
from facility.errors import KeyFileError
from facility.packaged import DEMO_KEYS
from facility.tokens import SigningKey
from facility.tokens.demo import DEMO_KEY_IDS, is_demo_key
from facility.tokens.keys import key_id_of
from kiosk import kiosk_libraries_installed
from kiosk.security import pin_matches

if TYPE_CHECKING:
    from kiosk.camera import Frame, FrameSource
    from technician.doctor import Findings

DEMO_PIN = "2580"  # the staff PIN of every example file: published in the repository, so never on a site
Run = Callable[..., subprocess.CompletedProcess]


class Advice(NamedTuple):
    """A problem in plain words, and what to do about it."""

    text: str
    fix: str


# --- the clock -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockReading:
    """Whether this machine's clock is synchronised (None: cannot tell), and who said so."""

    synchronised: bool | None
    source: str


def timedatectl_reading(run: Run = subprocess.run) -> ClockReading | None:
    """systemd's NTPSynchronized; None where timedatectl is missing or systemd does not run (a container)."""
    try:
        result = run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):  # not installed, or hanging without systemd
        return None
    answer = result.stdout.strip()
    if result.returncode != 0 or answer not in ("yes", "no"):
        return None
    return ClockReading(answer == "yes", f"timedatectl NTPSynchronized={answer}")


def kernel_reading() -> ClockReading | None:
    """The kernel's own flag (adjtimex), the one lockd's clock_check = "kernel" trusts; None where it cannot be read."""
    from lockd.clocktrust import kernel_synchronised

    try:
        synchronised = kernel_synchronised()
    except (OSError, AttributeError):  # no C library or no adjtimex: not Linux
        return None
    return ClockReading(synchronised, "the kernel's adjtimex flag, which lockd reads")


def system_clock() -> ClockReading:
    """The best reading this machine gives: timedatectl, else the kernel's flag."""
    for read in (timedatectl_reading, kernel_reading):
        reading = read()
        if reading is not None:
            return reading
    return ClockReading(None, "neither timedatectl nor the kernel's adjtimex answered")


def check_clock(cfg: FacilityConfig, found: Findings, reading: ClockReading) -> None:
    """Passes, desk codes and unlock commands are judged by this clock: it must follow NTP."""
    if reading.synchronised:
        found.ok(f"the clock is synchronised ({reading.source})")
    elif reading.synchronised is None:
        found.warn(
            f"cannot tell whether the clock is synchronised ({reading.source})",
            fix="check by hand: chronyc tracking, or timedatectl timesync-status",
        )
    else:
        refuses = (
            " lockd refuses every command until it is."
            if cfg.lockd and cfg.lockd_settings.clock_check == "kernel"
            else ""
        )
        found.fail(
            f"the clock is not synchronised ({reading.source}): passes and codes are judged by it.{refuses}",
            fix="apt-get install chrony (or systemctl enable --now systemd-timesyncd); "
            "then chronyc tracking shows the source",
        )


# --- the kiosk's camera --------------------------------------------------------------------------


def check_camera(
    cfg: FacilityConfig,
    found: Findings,
    timeout: float,
    running: bool | None,
    sources: Mapping[str, Callable[[str], FrameSource]] | None = None,
) -> None:
    """The camera gives pictures: as the running kiosk reports (it holds the device), else opened here once."""
    setting = cfg.kiosk_settings.camera
    if setting == "simulated":
        bench_only(
            cfg,
            found,
            "[kiosk] camera = 'simulated' is the simulator's camera",
            "set [kiosk] camera to the device number (0) or the camera's RTSP URL",
        )
    if running is not None:
        _report_camera(found, setting, running, "as the kiosk running here reports in its metrics")
        return
    if not kiosk_libraries_installed():
        found.fail(
            f"camera {setting!r} not checked: the kiosk's libraries are not installed here",
            fix="pip install 'officepass-edge[kiosk]'",
        )
        return
    from kiosk.camera import frame_source

    frame = first_frame(frame_source(setting, sources), timeout)
    if frame is None:
        _report_camera(found, setting, False, f"opened here, no picture within {timeout:g} s")
    else:
        found.ok(f"camera {setting!r} opens and gives {frame.shape[1]}x{frame.shape[0]} pictures")


def _report_camera(found: Findings, setting: str, ok: bool, how: str) -> None:
    """One line on the camera, with what to look at when it gives nothing."""
    if ok:
        found.ok(f"camera {setting!r} gives pictures ({how})")
    else:
        found.fail(f"camera {setting!r} gives no picture ({how})", fix=camera_fix(setting))


def camera_fix(setting: str) -> str:
    """What a technician checks for this kind of camera."""
    if "://" in setting:
        return "check the URL, its user and password, and that the camera is on and reachable from this board"
    if setting.isdigit():
        return (
            f"is the camera plugged in (ls /dev/video{setting})? is the kiosk's user in group video? "
            "a kiosk that is running holds the camera: stop it (systemctl stop officepass-kiosk) and run doctor again"
        )
    return f"check that {setting!r} exists and that OpenCV can read it"


def first_frame(source: FrameSource, timeout: float) -> Frame | None:
    """The first picture within timeout, read on a thread so a stream that hangs cannot hold the doctor."""
    frames: queue.Queue[Frame | None] = queue.Queue()
    give_up = threading.Event()

    def read() -> None:
        deadline = time.monotonic() + timeout
        while not give_up.is_set() and time.monotonic() < deadline:
            frame = source.read()
            if frame is not None:
                frames.put(frame)
                return
            give_up.wait(0.1)  # a device that is still opening: try again shortly
        frames.put(None)

    reader = threading.Thread(target=read, name="doctor-camera", daemon=True)
    reader.start()
    try:
        return frames.get(timeout=timeout + 1)
    except queue.Empty:
        return None  # the read hangs: leave the source to the thread rather than release it under a read
    finally:
        give_up.set()
        if not reader.is_alive() or not frames.empty():
            source.close()


# --- the kiosk's sound ---------------------------------------------------------------------------

SOUND_FIX = (
    "plug in the speaker (USB or HDMI audio) and check its volume; aplay -l lists the cards; the kiosk's user "
    "must be in group audio; apt-get install alsa-utils for aplay"
)


def check_sound(
    cfg: FacilityConfig,
    found: Findings,
    running: bool | None,
    run: Run = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> None:
    """The verdicts' sounds can be heard: as the running kiosk reports (from its metrics), else by asking ALSA for
    a card and playing a moment of silence through aplay, as the kiosk does. A bench may have no sound."""
    if running is not None:
        if running:
            found.ok("sound: the kiosk running here plays its verdicts (as it reports in its metrics)")
        else:
            found.fail(
                "sound: the kiosk running here cannot play its verdicts (as it reports in its metrics)", SOUND_FIX
            )
        return
    player = which("aplay")
    if player is None:
        bench_only(cfg, found, "sound: no aplay on this machine: the kiosk's verdicts would be silent", SOUND_FIX)
        return
    try:
        cards = run([player, "-l"], capture_output=True, text=True, timeout=5)
        played = run([player, "-q", "-"], input=_silence(), capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        bench_only(cfg, found, f"sound: aplay does not answer ({exc})", SOUND_FIX)
        return
    card = next((line for line in cards.stdout.splitlines() if line.startswith("card ")), None)
    if cards.returncode != 0 or card is None:
        said = (cards.stderr or cards.stdout).strip().splitlines()
        bench_only(cfg, found, f"sound: no sound card ({said[0] if said else 'aplay -l lists none'})", SOUND_FIX)
        return
    if played.returncode != 0:
        said = played.stderr.decode("utf-8", "replace").strip().splitlines()
        problem = said[-1] if said else f"status {played.returncode}"
        bench_only(cfg, found, f"sound: aplay cannot play on {card} ({problem})", SOUND_FIX)
        return
    found.ok(f"sound: aplay plays on {card}")


def _silence() -> bytes:
    """A twentieth of a second of silence as a WAV file, played to test the device without a noise."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(b"\0\0" * 1102)
    return buffer.getvalue()


# --- demo secrets --------------------------------------------------------------------------------


def bench_only(cfg: FacilityConfig, found: Findings, text: str, fix: str) -> None:
    """Something only a bench may have: a problem on a site, a note on a site on this machine (demo, rehearsal)."""
    if cfg.on_loopback:
        found.warn(f"{text} (tolerated on this machine's bench, never on a site)", fix=fix)
    else:
        found.fail(text, fix=fix)


def check_demo_secrets(cfg: FacilityConfig, found: Findings) -> None:
    """The demo PIN, the demo keys and the demo broker passwords are published in the repository: none may be used."""
    problems = [*_demo_pin(cfg), *_demo_trusted_keys(cfg), *_demo_kiosk_key(cfg, found), *_demo_broker_password(cfg)]
    for text, fix in problems:
        bench_only(cfg, found, text, fix)
    if not problems:
        found.ok("no demo PIN, demo key or demo broker password in use")


def _demo_pin(cfg: FacilityConfig) -> list[Advice]:
    """The staff PIN, when it is the demo one."""
    if cfg.kiosk is None or not pin_matches(DEMO_PIN, cfg.kiosk.staff_pin_hash):
        return []
    return [
        Advice(
            f"the staff PIN is the demo PIN {DEMO_PIN}, which anyone can read in the repository",
            "officepass-kiosk --hash-pin, and put the hash in [kiosk] staff_pin_hash",
        )
    ]


def _demo_trusted_keys(cfg: FacilityConfig) -> list[Advice]:
    """Trusted keys whose private half is published."""
    return [
        Advice(
            f"tokens.trusted_keys {key.name!r} is the demo key {key_id_of(key.raw)} "
            f"(config/demo-keys/{DEMO_KEY_IDS[key_id_of(key.raw)]}): anyone can sign passes with it",
            "trust the platform's real public key instead",
        )
        for key in cfg.tokens.trusted_keys
        if is_demo_key(key_id_of(key.raw))
    ] + [
        Advice(
            f"tokens.root_keys {key.name!r} is the demo root key {key_id_of(key.raw)} "
            f"(config/demo-keys/{DEMO_KEY_IDS[key_id_of(key.raw)]}): anyone can certify signing keys with it",
            "pin the network's real root key instead",
        )
        for key in cfg.tokens.root_keys
        if is_demo_key(key_id_of(key.raw))
    ]


def _demo_kiosk_key(cfg: FacilityConfig, found: Findings) -> list[Advice]:
    """The kiosk's desk-code key, when it is the demo one (or cannot be read at all)."""
    if cfg.kiosk is None or cfg.kiosk.signing_key_file is None:
        return []
    try:
        key_id = SigningKey.load(cfg.kiosk.signing_key_file).key_id
    except KeyFileError as exc:
        found.fail(f"cannot read the kiosk's signing key: {exc}", fix="point [kiosk] signing_key_file at its PEM file")
        return []
    if not is_demo_key(key_id):
        return []
    return [
        Advice(
            f"the kiosk signs its front-desk codes with the demo key {key_id} ({cfg.kiosk.signing_key_file.name}): "
            "anyone can forge them",
            "openssl genpkey -algorithm ed25519 -out /etc/officepass/kiosk.pem, set [kiosk] signing_key_file "
            "to it and give its public key to the platform",
        )
    ]


def _demo_broker_password(cfg: FacilityConfig) -> list[Advice]:
    """The broker password, when it is one of the demo files' (compared, never printed)."""
    if cfg.mqtt is None or cfg.mqtt.password_file is None:
        return []
    try:
        password = Path(cfg.mqtt.password_file).read_text().strip()
    except OSError:
        return []  # the broker check says the file cannot be read
    demo = [path.name for path in sorted(DEMO_KEYS.glob("*.pass")) if path.read_text().strip() == password]
    if not demo:
        return []
    return [
        Advice(
            f"the broker password of {cfg.mqtt.username!r} is the demo one (config/demo-keys/{demo[0]})",
            f"mosquitto_passwd /etc/mosquitto/officepass.passwd {cfg.mqtt.username} on the broker, "
            f"and the same new password in {cfg.mqtt.password_file}",
        )
    ]
