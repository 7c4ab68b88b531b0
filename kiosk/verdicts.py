"""How a verdict looks to the member: admitted (green ○), try again (amber △, with the fix) or refused (red ×).

A refusal the member can put right with their own phone (an expired screenshot, a payment
code, the app's other screen, a phone clock that runs ahead) is not a refusal to them: it is
amber and says what to do. A real refusal is red, gives the reason and sends them to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from facility.reasons import Reason
from facility.tokens import family_name
from kiosk.reception import CheckinVerdict


class Look(Enum):
    """The three things a member can see after a scan, each with its mark, colours, sound and time on screen."""

    ADMITTED = ("○", "#1b5e20", "#ffffff", 5.0)
    RETRY = ("△", "#ffb300", "#1c1c1c", 8.0)  # dark ink on amber: white on amber is unreadable (1.97:1)
    REFUSED = ("×", "#b3261e", "#ffffff", 10.0)

    def __init__(self, mark: str, background: str, ink: str, seconds: float) -> None:
        self.mark = mark
        self.background = background
        self.ink = ink
        self.seconds = seconds


# Refusals the member fixes on their phone, and the text key of the fix (kiosk/texts.py).
MEMBER_FIXES: dict[Reason, str] = {
    Reason.BAD_FORMAT: "fix_show_pass",
    Reason.TOO_LARGE: "fix_show_pass",
    Reason.WRONG_TYPE: "fix_show_pass",
    Reason.EXPIRED: "fix_fresh_code",
    Reason.REPLAYED: "fix_fresh_code",
    Reason.ISSUED_BEFORE_STORE: "fix_fresh_code",
    Reason.NOT_YET_VALID: "fix_phone_clock",
    Reason.UNSUPPORTED_VERSION: "fix_update_app",
    Reason.WRONG_FACILITY: "fix_scan_desk",
    Reason.NO_FACILITY: "fix_scan_desk",
    Reason.NOT_REPRESENTATIVE: "fix_with_representative",
}
NEEDS_DESK_CODE = {"fix_scan_desk"}  # a fix that only works while the desk code is on screen
# Long enough to read; a tap cannot dismiss a verdict before this.
MIN_SECONDS = 1.5
DESK_CHECK_SECONDS = 8.0  # an admission that sends the member to the counter stays a little longer


@dataclass(frozen=True)
class Presentation:
    """The look of one verdict and, for the amber and red ones, the reason and the next step (text keys)."""

    look: Look
    reason: Reason | None = None
    next_step: str = ""

    @property
    def seconds(self) -> float:
        """How long the verdict stays before the kiosk goes back to scanning."""
        return self.look.seconds


def present(verdict: CheckinVerdict, desk_code_shown: bool = True) -> Presentation:
    """How this verdict is shown to the member; a fix that needs the desk code is offered only while it shows."""
    if verdict.repeat:  # the same pass again (a second tap, or a photo of it): not a welcome, and no one more in
        return Presentation(Look.RETRY, None, "repeat_note")
    if verdict.admitted:
        return Presentation(Look.ADMITTED)
    reason = verdict.reasons[0] if verdict.reasons else Reason.BAD_FORMAT
    fix = MEMBER_FIXES.get(reason)
    if fix is not None and (desk_code_shown or fix not in NEEDS_DESK_CODE):
        return Presentation(Look.RETRY, reason, fix)
    return Presentation(Look.REFUSED, reason, "see_staff")


def verdict_seconds(verdict: CheckinVerdict, shown: Presentation) -> float:
    """Time on screen: longer for refusals, and for an admission with a visit to the counter."""
    if shown.look is Look.ADMITTED and verdict.desk_checks:
        return DESK_CHECK_SECONDS
    return shown.seconds


def surname(name: str) -> str:
    """The family name alone, so the queue behind does not read a member's full name (a pass of format 1, staff's
    records and the platform may still carry the whole name).

    How a member is greeted, decided for issue 26: by the family name, never the given name, with 様 in Japanese
    (ようこそ、Smith様) and, in English, the name alone after the greeting ("Welcome, Smith": no Mr or Ms, which the
    kiosk cannot know). Member records write the family name first, whatever the script (佐藤 葵, Smith John), and a
    pass carries that first word only (facility/tokens/formats.py, display_name); the kiosk never reorders a name,
    since "John Smith" and "Smith John" cannot be told apart by looking. A name written in the Western way with a
    comma ("Smith, John", "van der Berg, Anna") says itself which part is the family name: the part before the
    comma. A record written
    given name first is put right where it is kept (the platform), not guessed at here."""
    family, comma, _ = name.partition(",")
    if comma and family.strip():
        return family.strip()
    return family_name(name).rstrip(",")


def in_language(name: str, language: str) -> str:
    """The part of a bilingual name ('会議室A / Room A') in the language shown; a name with one part as it is."""
    parts = [part.strip() for part in name.split(" / ")]
    return parts[1] if language == "en" and len(parts) == 2 else parts[0]
