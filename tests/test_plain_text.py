"""Outside text is plain text (docs/kiosk.md): what a member, the platform or a facility file says is shown on every
screen of the kiosk and of the technician's panel as it is written (or as the one display rule,
facility/plaintext.py, makes it), never as Qt rich text, and it cannot break a line, reorder the words around it or
run off the screen; in logs it is escaped onto one line (facility/logsafe.py).

Every check walks all the labels of the window, so a label added later cannot slip by."""

from __future__ import annotations

import gc
import io
import logging
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget, QWidget

from facility import logsafe
from facility.models import EntryKind, Plan
from facility.plaintext import NAME_COLUMNS, ROOM_COLUMNS, displayed, escaped, unsafe
from facility.reasons import Reason
from facility.tokens.formats import NAME_MAX_BYTES
from kiosk.app import KioskApp
from kiosk.doorway import Doorway
from kiosk.outbox import OutboxStatus
from kiosk.reception import CheckinVerdict
from kiosk.sounds import Chime
from kiosk.texts import t
from kiosk.verdicts import Look, in_language, surname
from kiosk.widgets import PHRASE_BREAK, WORD_JOINER, Plain
from lockd.store import AuditRow
from simulator.phone import AppClient, Phone
from simulator.site import Site
from technician.panel import ControlPanel, show_line
from technician.panel_state import KioskView, kiosk_lines, lockd_alarm_text
from tests.conftest import CONFIG_DIR, REPO, bus_settings
from tests.kiosk_desk import running
from tests.rulebook import MEETING, REGUS, at
from tests.test_kiosk_screens import a_pass, clock_at, kiosk_for, tap, unlock

# What a member may call themselves (the app's sign-up, the platform's records, a staff member typing it in).
NAMES = {
    "markup": "<b></b><!--",  # hid the rest of the English welcome, and the number and reason in staff's line
    "image": "<img src=x>",
    "entity": "&amp;",
    "newline": "Sato\nWelcome Admin",
    "controls": "Sa\x00to\x1b[31m\x07\x7f\x9b\x1fX",
    "bidi": "\u202eotaS\u202c\u2066\u200f\u200e\u2069 1",
    "latin-200": ("Wolfeschlegelsteinhausenbergerdorff" * 6)[:200],
    "japanese-60": ("寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路の藪柑子" * 2)[:60],
}
LANGUAGES = ["ja", "en"]
MEMBER_REFUSED, MEMBER_TYPED = 3002, 3003


def full(name: str) -> str:
    """A member's name as every screen shows it: the one display rule."""
    return displayed(name, NAME_COLUMNS)


def family(name: str) -> str:
    """The family name as the welcome shows it (the queue behind hears no more)."""
    return displayed(surname(name), NAME_COLUMNS)


def shown(label: QLabel) -> str:
    """What a label paints: its text as Qt holds it, without the joiners the kiosk adds so Japanese wraps well."""
    return QLabel.text(label).replace(WORD_JOINER, "").replace(PHRASE_BREAK, "")


def labels_are_plain(root: QWidget) -> list[str]:
    """Every label under root is a Plain label showing plain text with nothing unsafe in it (the program's own line
    breaks apart); no tooltip is rich text; table cells hold one clean line. What the labels show."""
    texts = []
    for label in root.findChildren(QLabel):
        text = shown(label)
        assert isinstance(label, Plain), f"a {type(label).__name__} that is not a Plain label: {text!r}"
        assert label.textFormat() == Qt.TextFormat.PlainText, text
        assert not any(unsafe(ch) for ch in text.replace("\n", "")), repr(text)
        texts.append(text)
    for widget in [root, *root.findChildren(QWidget)]:
        assert not QtGui.Qt.mightBeRichText(widget.toolTip()), widget.toolTip()
    for table in root.findChildren(QTableWidget):
        for row in range(table.rowCount()):
            for column in range(table.columnCount()):
                item = table.item(row, column)
                if item is not None:
                    assert not any(unsafe(ch) for ch in item.text()), repr(item.text())
                    assert not QtGui.Qt.mightBeRichText(item.toolTip())
    assert texts, "no label found: the walk must see the window's labels"
    return texts


def in_order(text: str, *parts: str) -> None:
    """Each part is in the text, after the one before it."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} missing after position {position} of {text!r}"
        position = found + len(part)


def revocations_known(app: KioskApp) -> bool:
    """The kiosk has the platform's revocation list (a kiosk that has not yet asked accepts no pass)."""
    return getattr(app.reception.revocations(), "known", True)


def language_on_home(qtbot, app: KioskApp, language: str) -> None:
    """Back on the reception page (in the facility's language), then the language button if the other one is asked."""
    app.go_home()
    if app.language != language:
        tap(qtbot, app.window.home.language)
    assert app.language == language


def admitted(name: str, member_id: int, app: KioskApp) -> CheckinVerdict:
    """An admission as reception hands it to the screen, for a name longer than a pass can carry (staff's records,
    the platform's)."""
    return CheckinVerdict(
        True,
        name,
        member_id,
        entry=EntryKind.CHECK_IN,
        ends_at=app.clock.now() + timedelta(hours=4),
        plan=Plan.CORPORATE,
    )


@pytest.fixture
def drop_in(qtbot, offline_platform, tmp_path):
    """The Regus-like drop-in office on a Tuesday at 10:05 (temperature and photo ID owed at every visit), in a
    1920x1080 window, its revocation list fetched."""
    app = kiosk_for(REGUS, offline_platform.server.url, tmp_path, clock_at(at("2026-11-24 10:05")))
    app.window.resize(1920, 1080)
    qtbot.waitUntil(lambda: revocations_known(app), timeout=10000)
    yield app
    app.stop()
    gc.collect()


# --- the kiosk: a member's name on every screen that shows it, in both languages ------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", list(NAMES))
def test_a_member_s_name_is_plain_text_on_every_kiosk_screen(
    qtbot, drop_in: KioskApp, key: str, language: str, monkeypatch
) -> None:
    app, name = drop_in, NAMES[key]
    window, page, staff = drop_in.window, drop_in.window.verdict, drop_in.window.staff
    fits = len(name.encode()) <= NAME_MAX_BYTES  # a pass carries at most 30 bytes; longer names come from records

    # The welcome: the family name between the words around it, until when, and the counter.
    language_on_home(qtbot, app, language)
    welcomed = a_pass(app, 3001, name=name) if fits else ""
    if fits:
        app.on_scanned(welcomed)
    else:
        app.show_verdict(admitted(name, 3001, app))
    assert window.page is page and page.look is Look.ADMITTED
    greeting = {"ja": f"ようこそ、{family(name)}様", "en": f"Welcome, {family(name)}"}[language]
    assert shown(page.headline) == greeting
    assert re.search(r"\d\d:\d\d", shown(page.detail))
    labels_are_plain(window)
    if fits:  # the same pass again: not a welcome, and the name as plain
        app.on_scanned(welcomed)
        again = {"ja": f"{family(name)}様はチェックイン済みです", "en": f"{family(name)}, you are already checked in"}
        assert page.look is Look.RETRY and shown(page.headline) == again[language]
        labels_are_plain(window)
    # A refusal: the member reads the reason and the next step, never a name.
    language_on_home(qtbot, app, language)
    refusal = CheckinVerdict(False, name, MEMBER_REFUSED, (Reason.PLAN_NOT_ADMITTED,), plan=Plan.INDIVIDUAL_BASIC)
    if fits:
        app.on_scanned(a_pass(app, MEMBER_REFUSED, Plan.INDIVIDUAL_BASIC, name=name))
    else:  # as reception keeps a refusal for staff
        app.reception.last_refusal, app.reception.last_refusal_at = refusal, app.clock.now()
        app.show_verdict(refusal)
    assert page.look is Look.REFUSED
    assert shown(page.headline) == Reason.PLAN_NOT_ADMITTED.text(language)
    assert shown(page.next_step) == t("see_staff", language)
    labels_are_plain(window)

    # Staff: the last refusal says who (the whole name), the member number and the reason, in that order.
    language_on_home(qtbot, app, language)
    unlock(qtbot, app)
    assert window.page is staff
    staff.tabs.setCurrentIndex(2)
    reason = Reason.PLAN_NOT_ADMITTED.text(language)
    in_order(shown(staff.refusal), full(name), str(MEMBER_REFUSED), reason)
    labels_are_plain(window)

    # A manual check-in with the name typed in: the result names the member, the number and the time.
    for digit in str(MEMBER_TYPED):
        tap(qtbot, staff.keypad.keys[digit])
    staff.member_name.setText(name)
    tap(qtbot, staff.plan_buttons[Plan.CORPORATE])
    tap(qtbot, staff.reason_buttons["reason_phone_trouble"])
    tap(qtbot, staff.buttons["admit_manual"])
    (typed,) = [c.name for c in app.store.checkins() if c.member_id == MEMBER_TYPED]
    assert typed == name.strip()
    in_order(shown(staff.message), full(typed), str(MEMBER_TYPED))
    assert re.search(r"\d\d:\d\d", shown(staff.message).split(str(MEMBER_TYPED), 1)[1])
    labels_are_plain(window)

    # Today's check-ins: the name cell is the name, on one line.
    staff.tabs.setCurrentIndex(0)
    table = staff.today
    names = {table.item(row, 1).text(): table.item(row, 2).text() for row in range(table.rowCount())}
    assert names[str(MEMBER_TYPED)] == full(typed)
    if fits:
        assert names["3001"] == full(name)
    labels_are_plain(window)

    # Desk checks owed: each row says when, who, the number and the check.
    staff.tabs.setCurrentIndex(1)
    owed = [p for p in app.store.pending_desk_checks() if p.member_id == MEMBER_TYPED]
    rows = [shown(row.label) for row in staff.checklist_rows]
    assert owed
    for check in owed:
        (row,) = [row for row in rows if str(MEMBER_TYPED) in row and check.check.text(language) in row]
        in_order(row, full(typed), str(MEMBER_TYPED), check.check.text(language))
    labels_are_plain(window)

    # A member scanning meanwhile: the strip over the staff page names them by family name.
    if fits:
        app.on_scanned(a_pass(app, 3004, name=name))
    else:
        app.show_verdict(admitted(name, 3004, app))
    assert window.page is staff and family(name) in shown(window.member_strip)
    labels_are_plain(window)

    # Checking the typed-in member out says who left.
    staff.tabs.setCurrentIndex(0)
    app.staff.refresh()
    table.selectRow([table.item(row, 1).text() for row in range(table.rowCount())].index(str(MEMBER_TYPED)))
    tap(qtbot, staff.buttons["check_out"])
    in_order(shown(staff.message), full(typed), str(MEMBER_TYPED))

    # The facility is full: the question before admitting the refused member names them and their number.
    staff.tabs.setCurrentIndex(2)
    monkeypatch.setattr(app.reception, "doorway", lambda: Doorway.FULL)
    tap(qtbot, staff.reason_buttons["reason_confirmed"])
    tap(qtbot, staff.buttons["override"])
    assert staff.confirm.isVisible()
    in_order(shown(staff.confirm), full(name), str(MEMBER_REFUSED))
    labels_are_plain(window)
    tap(qtbot, staff.buttons["cancel_over"])

    # Companions at the desk: the page still plain with the names on it.
    tap(qtbot, staff.buttons["companion_in"])
    labels_are_plain(window)


# --- names from files and from the platform: the facility, its rooms ------------------------------------------------

HOSTILE_FACILITY = "<b>貸会議室</b><!-- \u202e神田\u202c\n&amp; <img src=x> Meeting rooms \x1b[2J"
HOSTILE_ROOM = "<b>会議室A</b><!--\u202e\x00 / <img src=x>\nRoom A\u2066 &amp;"


@pytest.fixture
def hostile_meeting(qtbot, camera, platform, broker, tmp_path, wall_clock):
    """The staffed meeting rooms (as tests/test_meeting_room.py builds them) with a facility file naming the facility
    and room A in markup, controls and bidi marks; the seed books room A for member 1001 with two guests."""
    rooms = [room.model_copy(update={"name": HOSTILE_ROOM}) if room.id == "room-a" else room for room in MEETING.rooms]
    cfg = MEETING.model_copy(
        update={
            "facility": MEETING.facility.model_copy(update={"name": HOSTILE_FACILITY}),
            "rooms": rooms,
            "platform": MEETING.platform.model_copy(update={"base_url": platform.server.url, "timeout_seconds": 2}),
            "kiosk": MEETING.kiosk.model_copy(update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}),
        }
    )
    app = KioskApp(
        cfg,
        camera,
        broker=bus_settings(broker, "lockd", "plain-meeting"),
        data_dir=tmp_path,
        clock=wall_clock,
        chime=Chime(None),
    )
    running(app)
    app.window.resize(1920, 1080)
    qtbot.waitUntil(
        lambda: app.bus.connected and app.parts.reservations.sync_count >= 1 and revocations_known(app), timeout=10000
    )
    yield app
    app.stop()
    gc.collect()


@pytest.mark.parametrize("language", LANGUAGES)
def test_facility_and_room_names_from_the_file_are_plain_text(
    qtbot, hostile_meeting: KioskApp, platform, language: str
) -> None:
    app, window = hostile_meeting, hostile_meeting.window
    language_on_home(qtbot, app, language)
    title = window.home.title
    assert title.text() == displayed(HOSTILE_FACILITY) and "\n" not in shown(title)
    assert shown(title).rstrip("…") in title.text() and title.width() <= window.width()
    labels_are_plain(window)
    app.on_scanned(Phone(1001, AppClient(platform.server.url, timeout=10)).show_pass("meeting-kanda"))
    assert window.page is window.verdict and window.verdict.look is Look.ADMITTED
    room = displayed(in_language(HOSTILE_ROOM, language), ROOM_COLUMNS)
    detail = shown(window.verdict.detail)
    words = {"ja": (room, "を", "までご利用いただけます", "2名様"), "en": (room, " is yours until ", ": 2")}
    in_order(detail, *words[language])
    labels_are_plain(window)


# --- layouts: the longest names stay inside the screen ----------------------------------------------------------------


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_longest_names_stay_on_the_screen(qtbot, drop_in: KioskApp, language: str, size) -> None:
    app, window = drop_in, drop_in.window
    window.resize(*size)
    for key in ("latin-200", "japanese-60", "markup"):
        language_on_home(qtbot, app, language)
        app.show_verdict(admitted(NAMES[key], 3001, app))
        QApplication.processEvents()
        assert (window.width(), window.height()) == size
        for label in window.verdict.findChildren(QLabel):
            if label.isVisible():
                corner = label.mapTo(window, QPoint(label.width(), label.height()))
                assert 0 <= corner.x() <= size[0] and 0 <= corner.y() <= size[1], shown(label)
                assert label.minimumSizeHint().width() <= size[0], shown(label)
                if label.wordWrap():  # all of it shows: tall enough for its lines at its width
                    assert label.heightForWidth(label.width()) <= label.height(), shown(label)


# --- the technician's panel -------------------------------------------------------------------------------------------


def test_the_technician_panel_shows_outside_text_plainly(qtbot, tmp_path) -> None:
    site = Site(tmp_path)
    site.start()
    members = {key: site.platform.state.add_member(name, Plan.CORPORATE).member_id for key, name in NAMES.items()}
    panel = ControlPanel(site)
    qtbot.addWidget(panel)
    try:
        qtbot.waitUntil(lambda: site.lockd.bus.connected and site.kiosk.bus.connected, timeout=15000)
        for key, member_id in members.items():  # the platform's member records, in the list of phones
            item = panel.members.itemText(panel.members.findData(member_id))
            assert item == f"{member_id} {full(NAMES[key])} (corporate)"
        # The platform's error, lockd's audit rows and what was done: one plain line each.
        error = "<b>502</b><!--\n12:00:00  kiosk platform: back (reachable)\x1b[2J\u202e"
        lines = kiosk_lines(KioskView(True, 0.1, True, OutboxStatus(0, 0, False, error)))
        show_line(panel.kiosk_status["platform"], lines["platform"])
        assert shown(panel.kiosk_status["platform"]) == f"UNREACHABLE: {displayed(error)}"
        row = AuditRow("2026-11-24T10:05:00+09:00", "booth-a\n12:00:00  forged", "held\x1b[2J_open")
        panel.alarm(site.clock.now(), lockd_alarm_text(row))
        panel.log(f"the app could not get a pass: {error}")
        assert panel.alarms.item(0).text().endswith("  booth-a 12:00:00  forged: held[2J_open")
        assert panel.activity.item(0).text().endswith(f"  the app could not get a pass: {displayed(error)}")
        labels_are_plain(panel)
        # A hostile member shows a pass: the kiosk welcomes them by name, plainly.
        verdicts: list = []
        site.kiosk.verdict_displayed.connect(verdicts.append)
        panel.members.setCurrentIndex(panel.members.findData(members["markup"]))
        panel.show_pass()
        qtbot.waitUntil(lambda: bool(verdicts), timeout=10000)
        assert verdicts[0].admitted and shown(site.kiosk.window.verdict.headline) == f"ようこそ、{NAMES['markup']}様"
        labels_are_plain(site.kiosk.window)
    finally:
        panel.timer.stop()
        site.stop()


# --- logs -------------------------------------------------------------------------------------------------------------


def test_a_log_record_quoting_a_name_stays_one_line_with_its_controls_escaped() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logsafe.install([handler])
    logger = logging.getLogger("tests.plain_text")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        name = "Sato\nINFO lockd: door booth-a opened for member 1\x1b[2J\x1b[31m\r\u202e\x00"
        logger.warning("refused %s (member %d)", name, 3002)
        try:
            raise ValueError(f"bad name {name}")
        except ValueError:
            logger.exception("a staff action failed for %s", name)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    first, *rest = out.getvalue().splitlines()
    assert first == (
        "WARNING tests.plain_text: refused Sato\\nINFO lockd: door booth-a opened for member 1"
        "\\x1b[2J\\x1b[31m\\r\\u202e\\x00 (member 3002)"
    )
    assert rest[0] == f"ERROR tests.plain_text: a staff action failed for {escaped(name)}"
    assert all(line.startswith("  ") for line in rest[1:])  # the traceback: no line of it reads as a record
    assert any("ValueError: bad name Sato" in line for line in rest[1:])
    assert not any(unsafe(ch) for ch in out.getvalue().replace("\n", ""))


def test_the_filter_escapes_once_and_install_adds_it_once() -> None:
    handlers = [logging.StreamHandler(io.StringIO()), logging.StreamHandler(io.StringIO())]
    logsafe.install(handlers)
    logsafe.install(handlers)
    assert all(handler.filters == [logsafe.FILTER] for handler in handlers)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s", ("b\nc",), None)
    for handler in handlers:
        handler.handle(record)
    assert [handler.stream.getvalue() for handler in handlers] == ["a b\\nc\n"] * 2


def test_a_program_without_handlers_escapes_through_logging_s_last_resort() -> None:
    script = (
        "import logging\nfrom facility import logsafe\nlogsafe.install()\n"
        "logging.getLogger('kiosk').warning('welcome %s', 'Sato\\nERROR forged\\x1b[2J')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0 and done.stderr == "welcome Sato\\nERROR forged\\x1b[2J\n"


def test_every_program_that_sets_up_logging_installs_the_filter() -> None:
    programs = [
        "kiosk/cli.py",
        "lockd/cli.py",
        "technician/cli.py",
        "technician/sim_cli.py",
        "simulator/fleet_standin.py",
    ]
    for folder in ("facility", "messagebus", "kiosk", "lockd", "simulator", "technician"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "basicConfig(" in text or "addHandler(" in text:
                assert "logsafe.install(" in text, path
    for program in programs:
        assert "logsafe.install()" in (REPO / program).read_text(encoding="utf-8"), program
