"""What the control panel says about the kiosk and the site's alarms: plain words, kept apart from the widgets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from facility.plaintext import displayed

if TYPE_CHECKING:
    from kiosk.outbox import OutboxStatus
    from kiosk.state import LinkStatus
    from lockd.store import AuditRow

STALE_PICTURES_SECONDS = 2.0  # the kiosk previews ~10 pictures a second: 2 s without one is a camera that stopped

# lockd's alarms as a technician would say them
LOCKD_ALARMS = {
    "forced": "forced open (no unlock command)",
    "held_open": "held open too long",
    "jammed": "strike jammed (it did not move with the relay)",
    "store_lost": "lockd's store was lost: commands issued before it are refused",
}


# A door reader's LED as the panel paints it; the words say the colour too
LED_STYLES = {"green": "color: #1b7f2a; font-weight: bold", "red": "color: #b00020; font-weight: bold", "off": ""}
LED_MEANINGS = {"green": "opened", "red": "refused"}


class ReaderLed(Protocol):
    """A simulated door reader, as the panel sees it: its LED's colour now ("green", "red" or "off")."""

    @property
    def led(self) -> str:
        """The LED's colour now."""
        ...


def reader_led_text(colour: str) -> str:
    """A reader's LED in words: the verdict lockd showed on it, or off."""
    meaning = LED_MEANINGS.get(colour)
    return f"reader LED {colour.upper()} ({meaning})" if meaning else f"reader LED {colour}"


@dataclass(frozen=True)
class Line:
    """One status line: its words, and whether it needs a technician."""

    text: str
    bad: bool = False


@dataclass(frozen=True)
class KioskView:
    """The kiosk as the panel can see it: the camera as the panel left it, the broker link and the outbox."""

    camera_plugged: bool
    pictures_age: float | None  # seconds since the kiosk last showed a picture; None: none yet
    broker: bool | None  # None: the kiosk runs without a broker
    outbox: OutboxStatus
    platform: LinkStatus | None = None  # the kiosk's own status (kiosk/state.py); None: from the outbox alone
    sound: LinkStatus | None = None  # None: not known


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 check-in', '2 check-ins'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def kiosk_lines(view: KioskView) -> dict[str, Line]:
    """The kiosk's camera, broker link, platform link and queue, each in a line."""
    return {
        "camera": _camera(view),
        "broker link": _broker(view.broker),
        "platform": _platform(view.outbox) if view.platform is None else _platform_link(view.platform),
        "queue": _queue(view.outbox),
        "sound": _sound(view.sound),
    }


def _camera(view: KioskView) -> Line:
    """Plugged in and giving pictures, or not."""
    if not view.camera_plugged:
        return Line("UNPLUGGED: the kiosk gets no pictures", bad=True)
    if view.pictures_age is None:
        return Line("plugged in, NO PICTURE yet", bad=True)
    if view.pictures_age > STALE_PICTURES_SECONDS:
        return Line(f"plugged in, but NO PICTURE for {view.pictures_age:.0f} s", bad=True)
    return Line("plugged in, pictures arriving")


def _broker(connected: bool | None) -> Line:
    """The kiosk's link to the site's broker (front-desk code check-ins come over it)."""
    if connected is None:
        return Line("none: the kiosk's file names no broker")
    if connected:
        return Line("connected")
    return Line("DOWN, reconnecting: front-desk code check-ins cannot reach the kiosk", bad=True)


def _platform(status: OutboxStatus) -> Line:
    """The platform as the kiosk last found it when sending."""
    if status.credentials:
        return Line("REFUSES the facility's credentials (401/403)", bad=True)
    if not status.reachable:
        return Line(f"UNREACHABLE: {displayed(status.last_error or 'no answer')}", bad=True)  # the platform's words
    return Line("reachable")


def _platform_link(link: LinkStatus) -> Line:
    """The platform as the kiosk's state says it: the same status its home page and staff page read."""
    detail = f": {displayed(link.detail)}" if link.detail else ""  # the platform's or the network's words
    if link.condition == "credentials":
        return Line(f"REFUSES the facility's credentials (401/403){detail}", bad=True)
    if link.condition == "unreachable":
        return Line(f"UNREACHABLE{detail}", bad=True)
    if link.condition == "errors":
        return Line(f"ANSWERING WITH ERRORS{detail}", bad=True)
    return Line("reachable")


def _sound(link: LinkStatus | None) -> Line:
    """Whether the verdicts are heard."""
    if link is None:
        return Line("not reported")
    if link.condition == "ok":
        return Line("verdicts are heard")
    return Line(f"NO SOUND: {displayed(link.detail) or 'the player fails'}", bad=True)


def _queue(status: OutboxStatus) -> Line:
    """Check-ins waiting for the platform, and those it refused for good."""
    text = f"{plural(status.queued, 'check-in')} waiting to be sent, {plural(status.dead, 'dead letter')}"
    return Line(text, bad=status.dead > 0)


class KioskAlarms:
    """The kiosk's lines as alarms: one when a line goes bad, a note when it comes back."""

    def __init__(self) -> None:
        self.before: dict[str, Line] | None = None
        self.quiet: set[str] = set()  # bad when the panel opened (a site starting up): shown in its line, not alarmed

    def changes(self, lines: dict[str, Line]) -> list[str]:
        """What changed for the worse or the better since the last look."""
        if self.before is None:
            self.before, self.quiet = lines, {name for name, line in lines.items() if line.bad}
            return []
        changes = []
        for name, line in lines.items():
            was_bad = self.before[name].bad and name not in self.quiet
            if line.bad and not was_bad and name not in self.quiet:
                changes.append(f"kiosk {name}: {line.text}")
            elif was_bad and not line.bad:
                changes.append(f"kiosk {name}: back ({line.text})")
            if not line.bad:
                self.quiet.discard(name)
        self.before = lines
        return changes


def lockd_alarms(rows: list[AuditRow]) -> list[AuditRow]:
    """The audit rows that are alarms: a door's (forced, held open, jammed) and a lost store."""
    return [row for row in rows if row.reason == "alarm" or row.action == "store_lost"]


def lockd_alarm_text(row: AuditRow) -> str:
    """One lockd alarm in words."""
    what = LOCKD_ALARMS.get(row.action, displayed(row.action))
    return f"{displayed(row.door)}: {what}" if row.door else what
