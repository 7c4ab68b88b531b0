"""Every member screen fits every screen (issue 26): for each screen the kiosk can show a member (the reception page in
each of its states, every verdict, the member strip over the PIN page), at 1920x1080, 1280x800 and 1080x1920, in
Japanese and English, with the longest texts the formats allow (a 30-byte name, the longest facility, space and room
names, every reason, the largest counts), no visible widget extends past the window, the window never grows past the
screen, and every word-wrapped label is tall enough for its lines (a text is never cut without '…').

The screens are filled the way the kiosk fills them (kiosk/screens.py's show_state, show_code, show_verdict and the
window's member strip), on one window per size, without a running kiosk: the whole file takes seconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from facility.models import EntryKind, Plan
from facility.plaintext import NAME_COLUMNS, ROOM_COLUMNS
from facility.reasons import Reason
from facility.rules.capacity import Vacancy
from facility.rules.desk import DeskCheckDue
from facility.tokens.formats import NAME_MAX_BYTES
from kiosk.doorway import Doorway, SpaceVacancy, TodaysHours
from kiosk.outbox import OutboxStatus
from kiosk.reception import REPEAT_SECONDS, CheckinVerdict
from kiosk.state import KioskState
from kiosk.texts import t
from kiosk.verdicts import Look, present, surname
from kiosk.widgets import PHRASE_BREAK, WORD_JOINER, OneLine, Words, text_lines
from kiosk.window import KioskWindow
from simulator.clock import ShiftedClock
from tests.kiosk_desk import member_pass, reception
from tests.rulebook import KARAOKE, REGUS, at

SIZES = [(1920, 1080), (1280, 800), (1080, 1920)]
LANGUAGES = ["ja", "en"]

# The longest texts the formats allow.
LATIN_NAME = "W" * NAME_MAX_BYTES  # 30 bytes of the widest Latin letter, one word: nowhere to wrap but inside it
KANJI_NAME = "寿限無五劫擦切海砂利"  # 10 kanji: 30 bytes in UTF-8
SPACED_NAME = "Wolfeschlegel Steinhausen Berg"  # 30 bytes with spaces (a family name of several words)
NAMES = [LATIN_NAME, KANJI_NAME, SPACED_NAME, ""]
FACILITY = ("とても長い名前のコワーキングスペース 新宿駅南口前 本館 / " + "W" * 80)[:80]  # the schema's 80 characters
ROOM = "会議室" + "Ｗ" * (ROOM_COLUMNS // 2)  # cut to 48 columns by the display rule, with '…'
ROOM_EN = "W" * (ROOM_COLUMNS + 12)
SPACE = "オープンスペース" + "W" * 52  # a space's name: 60 characters at most
MANY = 9999  # the largest counts a screen shows (seats, rooms, guests, things for staff)
HOURS = TodaysHours(("0:00–2:00", "8:00–12:00", "13:00–18:30", "19:00–24:00"))
ENDS = datetime(2026, 11, 24, 23, 59)
DESK_CODE = "OP1." + "A" * 180  # as long as a desk code gets: the QR's version does not change the pixmap's size


@dataclass(frozen=True)
class Screen:
    """One member screen: its name (in failures) and how the kiosk fills it, in a language."""

    name: str
    fill: Callable[[KioskWindow, str], None]


def _state(
    doorway: Doorway, *, rooms: bool = False, broker: bool = True, camera: bool = True, platform: bool = True
) -> KioskState:
    """The kiosk's state as the reception page reads it, with every space listed and a long staff count."""
    state = KioskState(KARAOKE if rooms else REGUS)
    spaces = tuple(
        SpaceVacancy(f"space-{n}", f"{SPACE} / {SPACE}", n != 0, vacancy, MANY, unit)
        for n, (vacancy, unit) in enumerate(
            [(None, ""), (Vacancy.VACANT, "seats"), (Vacancy.FEW_LEFT, "rooms"), (Vacancy.FULL, "seats"), (None, "")]
        )
    )
    state.update(
        doorway=doorway,
        rooms=rooms,
        broker=broker,
        camera_ok=camera,
        outbox=OutboxStatus(MANY, MANY, platform, "" if platform else "unreachable"),
        spaces=spaces,
        hours_today=HOURS,
        pending_checks=[None] * MANY,  # only counted on the members' page: the staff button says how many
    )
    return state


def home(name: str, doorway: Doorway, **situation: bool) -> Screen:
    """The reception page in one situation (the doorway, the desk code's chain, the camera)."""

    def fill(window: KioskWindow, language: str) -> None:
        page = window.home
        page.retranslate(language)
        page.clock.setText("23:59")
        page.show_state(_state(doorway, **situation), language)
        page.show_code(DESK_CODE, MANY, MANY, language)
        window.show_page(page)

    return Screen(f"home {name} {doorway.code}", fill)


def verdict(name: str, shown: CheckinVerdict, desk_code_shown: bool = True) -> Screen:
    """A verdict as the kiosk presents it."""

    def fill(window: KioskWindow, language: str) -> None:
        window.verdict.show_verdict(shown, present(shown, desk_code_shown), language)
        window.show_page(window.verdict)

    return Screen(name, fill)


def strip(name: str, key: str) -> Screen:
    """A member's verdict in the strip over the PIN page (staff at work stay where they are)."""

    def fill(window: KioskWindow, language: str) -> None:
        window.pin.retranslate(language)
        look = Look.ADMITTED if key == "strip_admitted" else Look.RETRY
        window.show_page(window.pin)
        window.show_member_strip(f"{look.mark}  {t(key, language, name=name)}", look.background, look.ink)

    return Screen(f"strip {key} {name[:12]!r}", fill)


def member_screens() -> Iterator[Screen]:
    """Every member screen the kiosk can show, with the longest texts."""
    for doorway in Doorway:
        yield home("desk code", doorway)
        yield home("no broker", doorway, broker=False)
        yield home("platform down", doorway, platform=False)
        yield home("camera lost", doorway, camera=False)
        yield home("camera and broker lost", doorway, camera=False, broker=False)
        yield home("rooms", doorway, rooms=True)
    checks = (DeskCheckDue.TEMPERATURE, DeskCheckDue.PHOTO_ID)
    for name in NAMES:
        for entry, repeat in ((EntryKind.CHECK_IN, False), (EntryKind.RE_ENTRY, False), (EntryKind.CHECK_IN, True)):
            kind = "already" if repeat else entry.value
            for ends in (ENDS, None):
                admitted = CheckinVerdict(True, name, 1, (), entry, ends, checks, repeat, plan=Plan.CORPORATE)
                yield verdict(f"{kind} {name[:12]!r} until {ends}", admitted)
            for room in (ROOM, ROOM_EN, f"{ROOM} / {ROOM_EN}"):
                booked = CheckinVerdict(
                    True, name, 1, (), entry, ENDS, (), repeat, plan=Plan.CORPORATE, room=room, companions=MANY
                )
                yield verdict(f"{kind} {name[:12]!r} room {room[:12]!r}", booked)
        for key in ("strip_admitted", "already"):
            yield strip(name, key)
    for reason in Reason:
        refused = CheckinVerdict(False, reasons=(reason,))
        for desk_code_shown in (True, False):
            yield verdict(f"refused {reason.code} desk code {desk_code_shown}", refused, desk_code_shown)


SCREENS = list(member_screens())


@pytest.fixture(scope="module")
def windows(qapp) -> Iterator[dict[bool, KioskWindow]]:
    """A kiosk window for each branch kind (the desk code first, or the camera first), as the kiosk makes it."""
    made = {camera_first: KioskWindow(FACILITY, camera_first) for camera_first in (False, True)}
    yield made
    for window in made.values():
        window.hide()
        window.deleteLater()
    QApplication.processEvents()


def settle() -> None:
    """Let the layouts take the new texts (a word-wrapped label's height follows its width: two passes)."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def overflows(window: KioskWindow, size: tuple[int, int]) -> list[str]:
    """What does not fit: the window grown past the screen, a visible widget past the window, a wrapped label too
    short for its lines, a one-line label whose whole text neither fits nor ends in '…'."""
    problems = []
    if window.width() > size[0] or window.height() > size[1]:
        problems.append(f"the window grew to {window.width()}x{window.height()}")
    bounds = window.rect()
    for widget in window.page.findChildren(QWidget):
        if not widget.isVisible():
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        what = f"{type(widget).__name__} {QLabel.text(widget)[:40]!r}" if isinstance(widget, QLabel) else widget
        if not bounds.contains(rect):
            problems.append(f"{what} at {rect.getRect()} is past the window {bounds.getRect()}")
        if isinstance(widget, QLabel) and widget.wordWrap() and widget.heightForWidth(widget.width()) > widget.height():
            problems.append(f"{what} is cut: {widget.heightForWidth(widget.width())} px of lines in {widget.height()}")
        if isinstance(widget, Words | OneLine):
            painted = QLabel.text(widget)
            if (
                not widget.wordWrap()
                and widget.fontMetrics().horizontalAdvance(painted) > widget.contentsRect().width()
            ):
                problems.append(f"{what} is wider than its {widget.contentsRect().width()} px")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_every_member_screen_fits_every_screen_in_both_languages(
    windows: dict[bool, KioskWindow], size: tuple[int, int], language: str
) -> None:
    problems = []
    for camera_first, window in windows.items():
        window.resize(*size)
        window.show()
        settle()
        for screen in SCREENS:
            if camera_first and not screen.name.startswith("home"):
                continue  # the branch kind changes the reception page only
            screen.fill(window, language)
            settle()
            problems += [f"{screen.name} (camera first: {camera_first}): {p}" for p in overflows(window, size)]
            if window.size() != QSize(*size):
                window.resize(*size)  # report each screen's own overflow, not the last one's
                settle()
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_the_screens_cover_every_doorway_reason_and_look() -> None:
    names = {screen.name for screen in SCREENS}
    assert {d.code for d in Doorway} <= {name.split()[-1] for name in names if name.startswith("home")}
    assert all(any(f"refused {reason.code} " in name for name in names) for reason in Reason)
    looks = {
        present(CheckinVerdict(False, reasons=(reason,)), shown).look for reason in Reason for shown in (True, False)
    }
    assert looks == {Look.RETRY, Look.REFUSED}
    assert len(NAMES[0].encode()) == len(NAMES[1].encode()) == len(NAMES[2].encode()) == NAME_MAX_BYTES
    assert len(LATIN_NAME) <= NAME_COLUMNS


def test_a_full_screen_kiosk_is_capped_at_its_screen_whatever_a_page_holds(qapp) -> None:
    window = KioskWindow(FACILITY, False)
    try:
        window.showFullScreen()
        settle()
        screen = window.screen().geometry().size()
        assert window.size() == screen and window.maximumSize() == screen
        size = (screen.width(), screen.height())
        problems = []
        for language in LANGUAGES:
            for screen_shown in SCREENS:
                screen_shown.fill(window, language)
                settle()
                problems += [f"{screen_shown.name}: {p}" for p in overflows(window, size)]
        assert not problems, "\n".join(problems[:40])
        window.showNormal()
        settle()
        assert window.maximumSize().width() > screen.width()  # a window for a developer may be any size
    finally:
        window.close()
        window.deleteLater()


def shown(label: QLabel) -> str:
    """What a label paints, without the joiners and breaks added for wrapping."""
    return QLabel.text(label).replace(WORD_JOINER, "").replace(PHRASE_BREAK, "")


def test_a_headline_shrinks_to_its_floor_then_cuts_the_name_with_an_ellipsis(qapp) -> None:
    label = Words("", 40, True, floor=20, lines=2)
    label.resize(360, 400)
    label.show()
    label.setText(f"ようこそ、{LATIN_NAME}様", cut=LATIN_NAME)
    assert label.point_size == 20 and label.text() == f"ようこそ、{LATIN_NAME}様"  # text() is what was set
    painted = shown(label)
    assert painted.startswith("ようこそ、W") and painted.endswith("…様") and len(painted) < len(label.text())
    assert text_lines(QLabel.text(label), label.font(), label.contentsRect().width()) == (2, True)
    label.resize(2600, 400)  # room again: the whole name, at the full size
    assert shown(label) == label.text() and label.point_size == 40


def test_a_long_word_wraps_between_its_letters_only_when_it_is_wider_than_the_label(qapp) -> None:
    label = Words("", 26)
    label.resize(300, 400)
    label.show()
    label.setText(f"Welcome, {LATIN_NAME}")
    assert PHRASE_BREAK in QLabel.text(label) and label.minimumSizeHint().width() == 0
    lines, fits = text_lines(QLabel.text(label), label.font(), label.contentsRect().width())
    assert fits and lines > 2
    label.setText("Welcome, Smith")  # a word that fits is never cut
    assert PHRASE_BREAK not in QLabel.text(label)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_welcome_is_bilingual_and_the_other_language_is_readable(windows, language: str) -> None:
    window = windows[False]
    window.resize(1920, 1080)
    window.show()
    other = "en" if language == "ja" else "ja"
    welcome = CheckinVerdict(True, "Smith John", 1, (), EntryKind.CHECK_IN, ENDS, (DeskCheckDue.PHOTO_ID,))
    verdict("welcome", welcome).fill(window, language)
    settle()
    page = window.verdict
    assert page.headline.text() == t("welcome", language, name="Smith")  # the family name: ようこそ、Smith様
    assert page.secondary.text() == t("welcome", other, name="Smith") and page.secondary.isVisible()
    assert page.secondary_detail.text().split("\n") == [t("until", other, time="23:59"), t("to_counter", other)]
    assert {"ja": "ようこそ、Smith様", "en": "Welcome, Smith"}[language] == page.headline.text()
    refused = CheckinVerdict(False, reasons=(Reason.PLAN_NOT_ADMITTED,))
    for shown_verdict in (welcome, refused):
        verdict("", shown_verdict).fill(window, language)
        settle()
        assert page.secondary.point_size >= 0.7 * page.headline.point_size
        below = page.detail if shown_verdict.admitted else page.next_step
        assert page.secondary_detail.point_size >= 0.7 * below.point_size
    assert page.secondary.text() == Reason.PLAN_NOT_ADMITTED.text(other)
    assert page.secondary_detail.text() == t("see_staff", other)


def test_a_name_written_family_name_first_or_with_a_comma_is_greeted_by_the_family_name() -> None:
    assert [surname(name) for name in ("Smith John", "Smith, John", "van der Berg, Anna", "佐藤 葵", "")] == [
        "Smith",
        "Smith",
        "van der Berg",
        "佐藤",
        "",
    ]
    assert (
        t("welcome", "en", name="Smith") == "Welcome, Smith" and t("welcome", "ja", name="Smith") == "ようこそ、Smith様"
    )


def test_member_screens_speak_plain_english() -> None:
    assert Reason.PLAN_NOT_ADMITTED.en == "Your plan does not cover this facility"
    assert Reason.NO_RESERVATION.en == "We could not find your booking"
    assert Reason.NOT_YET_VALID.en == "The code's time is ahead of this device's clock"
    assert not [reason for reason in Reason if "reservation" in reason.en.lower() or "admitted" in reason.en]


# --- a second scan moments later is the same arrival, not a re-entry ---------------------------------------------


def test_a_second_scan_ten_seconds_later_is_already_in_and_records_nothing(tmp_path) -> None:
    desk = reception(REGUS, tmp_path, at("2026-11-24 10:05"))
    clock = desk.clock
    assert isinstance(clock, ShiftedClock)

    def scan() -> CheckinVerdict:
        """The member's app shows a fresh code (a new pass each time) at the camera."""
        return desk.present(member_pass(REGUS, at=clock.now().timestamp()))

    first = scan()
    clock.shift(10)
    second = scan()
    assert first.admitted and not first.repeat and first.entry is EntryKind.CHECK_IN
    assert second.admitted and second.repeat and second.entry is EntryKind.CHECK_IN
    assert present(second).look is Look.RETRY and present(second).next_step == "repeat_note"
    assert len(desk.store.checkins()) == 1 and len(desk.store.outbox()) == 1
    clock.shift(REPEAT_SECONDS + 60)  # stepped out and came back: a re-entry, kept
    back = scan()
    assert back.admitted and not back.repeat and back.entry is EntryKind.RE_ENTRY
    assert len(desk.store.checkins()) == 2
    clock.shift(10)
    assert scan().repeat and len(desk.store.checkins()) == 2  # moments after the re-entry: the same arrival
    (visit, _) = desk.store.checkins()
    for kept in desk.store.checkins():
        desk.check_out(kept.key, "left")
    clock.shift(10)
    again = scan()  # checked out by staff a moment ago: not "already in"
    assert again.admitted and not again.repeat and len(desk.store.checkins()) == 3
    assert visit.member_id == 1001
