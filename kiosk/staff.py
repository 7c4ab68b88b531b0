"""The staff side, for fingers: the PIN keypad, then tabs for today's list (and rooms), desk checks, admissions, rooms
held by phone, the queue, more."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QBoxLayout,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QScroller,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from facility.models import Plan
from facility.plaintext import displayed
from facility.rules.rooms import HOLD_EARLY, HOLD_LAPSE
from kiosk.texts import t
from kiosk.verdicts import in_language
from kiosk.widgets import AMBER, GREEN, INK, RED, TOUCH, Keypad, Plain, Words, big_button, centred, style

REASONS = ("reason_app_trouble", "reason_phone_trouble", "reason_confirmed")  # an override's reason, one touch
HOLD_STEPS = {  # the buttons that move a hold's start, in minutes: earlier on the first row, later on the second
    "hold_minus_day": -24 * 60,
    "hold_minus_hour": -60,
    "hold_minus_quarter": -15,
    "hold_plus_quarter": 15,
    "hold_plus_hour": 60,
    "hold_plus_day": 24 * 60,
}
TODAY_COLUMNS = ("time", "member", "name", "kind", "until", "source", "room")
TABLE_POINTS, HEADER_POINTS = 17, 15  # the check-in table's type: read at arm's length, as every other staff text
LEFT_INK, RE_ENTRY_INK = "#80868b", "#1565c0"  # a member who left: grey; a re-entry: blue (a first entry: ink)
RE_ENTRY_MARK = "↩"


@dataclass(frozen=True)
class TodayRow:
    """One check-in in the staff table: its key (kept in every cell), its cells in words, and how it looks: a member
    who left in grey, a re-entry marked and blue, so nobody mistakes them for members in or first entries."""

    key: str
    cells: tuple[str, ...]
    re_entry: bool = False
    left: bool = False


@dataclass(frozen=True)
class Draft:
    """What staff had typed and chosen on the staff page: kept when the page locks (or staff step back to the
    reception page) and given back after the PIN, for a while (kiosk/staff_actions.py's DRAFT_KEPT)."""

    tab: int = 0
    member: str = ""
    name: str = ""
    reason: str = ""
    plan: Plan | None = None
    reason_key: str | None = None
    hold_member: str = ""
    hold_name: str = ""
    hold_space: str | None = None

    def empty(self) -> bool:
        """True when nothing was typed or chosen (the tab and the space chosen by default are no work to lose)."""
        return not any(
            (self.member, self.name, self.reason, self.plan, self.reason_key, self.hold_member, self.hold_name)
        )


def restyle(label: Words, size: int, bold: bool = False, colour: str = INK, extra: str = "") -> None:
    """A label's type and colour changed after it was made (a Words label that fits its text keeps its look, and
    would put back a style sheet set from outside)."""
    set_look = getattr(label, "set_look", None)
    if set_look is not None:
        set_look(size, bold, colour, extra)
    else:
        label.setStyleSheet(style(size, bold, colour, extra))


def qualified(widget: QWidget, sheet: str) -> str:
    """A style sheet of plain declarations ("font-size: 15pt; color: ...") as a rule for the widget's class, so more
    rules can follow it: Qt drops a sheet that mixes the two, whole, and logs "Could not parse stylesheet"."""
    sheet = sheet.strip()
    if not sheet or "{" in sheet:
        return sheet
    return f"{type(widget).__name__} {{ {sheet} }}"


STRIP_HEIGHT = 56


def member_strip() -> Plain:
    """The line that shows a member's verdict on a staff page. Its room is always kept, so nothing under a
    finger moves when a verdict appears."""
    strip = Plain()
    strip.setFixedHeight(STRIP_HEIGHT)
    return strip


def finger_scrolling(area: QAbstractScrollArea) -> QAbstractScrollArea:
    """A list a finger drags (a touch screen has no wheel, and a thin scroll bar is hard to hit)."""
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)  # mouse clicks stay clicks
    area.setStyleSheet(
        qualified(area, area.styleSheet())
        + " QScrollBar:vertical { width: 28px; } QScrollBar:horizontal { height: 28px; }"
    )
    return area


def scrolled(widget: QWidget) -> QScrollArea:
    """The widget in a scroll area without a frame, as wide as the tab, dragged by a finger."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the tab fits its width
    scroll.setWidget(widget)
    finger_scrolling(scroll)
    return scroll


class PinPage(QWidget):
    """The staff PIN on a keypad (no keyboard under cage); dots show how many digits were typed."""

    entered = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt, self.message = centred(Words("", 24, True)), centred(Words("", 18, True, RED))
        self.strip = member_strip()
        self.dots = centred(Plain())
        self.dots.setStyleSheet(style(32, True))
        self.keypad = Keypad(12)
        self.keypad.setMaximumWidth(480)
        self.keypad.typed.connect(lambda digits: self.dots.setText("●" * len(digits) or " "))
        self.keypad.submitted.connect(self._submit)
        self.back = big_button()
        self.back.clicked.connect(self.cancelled.emit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.strip)
        layout.addStretch(1)
        for widget in (self.prompt, self.dots, self.message):
            layout.addWidget(widget)
        layout.addWidget(self.keypad, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.back, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    def _submit(self, pin: str) -> None:
        """Hand over the PIN and forget it here."""
        self.keypad.clear()
        self.entered.emit(pin)

    def reset(self) -> None:
        """No half-typed PIN and no old message is left for the next person."""
        self.keypad.clear()
        self.message.setText("")

    def retranslate(self, language: str) -> None:
        """Fixed texts in the language."""
        self.prompt.setText(t("pin_prompt", language))
        self.back.setText(t("back", language))
        self.keypad.retranslate(t("key_clear", language), t("key_ok", language))


class ChecklistRow(QWidget):
    """One line and its button: a desk check owed and its tick, or a room held and its cancel."""

    def __init__(self, text: str, button_text: str) -> None:
        super().__init__()
        self.label = Words(text, 18)
        self.tick = big_button(button_text, "#1565c0", "white")
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.tick)


class StaffPage(QWidget):
    """What staff can see and do; the controller (kiosk/staff_actions.py) fills it and handles its buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary, self.message = Words("", 18, True), Words("", 18, True, GREEN)
        # The last few seconds before the page locks: over the bottom of the page (nothing moves when it comes or
        # goes), and any touch takes it away.
        self.lock_warning = centred(Words("", 20, True))
        self.lock_warning.setParent(self)
        restyle(
            self.lock_warning,
            20,
            True,
            INK,
            f"background: {AMBER}; border: 2px solid {INK}; border-radius: 10px; padding: 8px;",
        )
        self.lock_warning.hide()
        self.kept: tuple[float, Draft] | None = None  # a draft kept when the page was left, and when (seconds)
        self.now: Callable[[], float] = lambda: 0.0  # the clock drafts are kept by (kiosk/staff_actions.py sets it)
        self.strip = member_strip()
        self.alerts = Words("", 16, True, RED)  # problems for staff, in words, with the next step
        self.buttons = {
            name: big_button()
            for name in (
                "back",
                "exit",
                "exit_confirm",
                "exit_cancel",
                "check_out",
                "retry_dead",
                "admit_manual",
                "override",
                "companion_in",
                "companion_out",
                "report",
                "report_upload",
                "confirm_over",
                "cancel_over",
                "room_new",
                "room_join",
                "room_join_cancel",
                "hold",
                "hold_shorter",
                "hold_longer",
                *HOLD_STEPS,
            )
        }
        self.buttons["exit_confirm"].setStyleSheet(
            self.buttons["exit_confirm"].styleSheet() + f" QPushButton {{ background: {RED}; color: white; }}"
        )
        self.tabs = QTabWidget()
        self.tabs.setStyleSheet(
            f"QTabBar::tab {{ min-height: {TOUCH}px; padding: 0 18px; font-size: 17pt; }} "
            "QTabBar::tab:selected { font-weight: bold; }"
        )
        self.today = self._table()
        self._today_shown: list[TodayRow] = []
        self.checklist = QVBoxLayout()
        self.checklist_rows: list[ChecklistRow] = []
        self.checklist_empty = Words("", 18)
        self.ticked_heading, self.ticked_list = Words("", 16, True), QVBoxLayout()
        self.ticked_rows: list[ChecklistRow] = []
        self.checks_earlier = Words("", 16, False, LEFT_INK)  # checks never ticked on an earlier business day
        self.refusal = Words("", 18, True)
        self.member_id = QLineEdit()
        self.member_id.setReadOnly(True)  # typed on the keypad; a keyboard may still type into the keypad's field
        self.member_id.setStyleSheet(style(24, True))
        self.keypad = Keypad(10)
        self.member_name, self.reason = QLineEdit(), QLineEdit()
        for field in (self.member_id, self.member_name, self.reason):
            field.setMinimumHeight(TOUCH - 8)
            field.setStyleSheet(style(18))
        self.plans = QButtonGroup(self)
        self.plan_buttons = {plan: big_button() for plan in Plan}
        self.reasons = QButtonGroup(self)
        self.reason_buttons = {key: big_button() for key in REASONS}
        self.confirm = Words("", 18, True, RED)
        self.queue = Words("", 18, True)
        self.dead = Words("", 16)
        self.exit_question = Words("", 18, True, RED)
        self.camera = Plain()
        self.camera.setFixedSize(320, 180)
        # Rooms held by phone: for whom (the number on the keypad, a name if a keyboard is there), where, when, how
        # long.
        self.holds_hint = Words("", 16)
        self.hold_member = QLineEdit()
        self.hold_member.setReadOnly(True)
        self.hold_member.setStyleSheet(style(24, True))
        self.hold_name = QLineEdit()
        for field in (self.hold_member, self.hold_name):
            field.setMinimumHeight(TOUCH - 8)
        self.hold_name.setStyleSheet(style(18))
        self.hold_keypad = Keypad(10)
        self.hold_spaces = QButtonGroup(self)
        self.hold_space_buttons: dict[str, QPushButton] = {}
        self._hold_space_names: dict[str, str] = {}
        self.hold_space_row = QHBoxLayout()
        self.hold_start, self.hold_length = Words("", 20, True), Words("", 20, True)
        self.hold_list = QVBoxLayout()
        self.hold_rows: list[ChecklistRow] = []
        self.holds_empty = Words("", 18)
        self.tab_titles: dict[str, QWidget] = {}
        self._layout()

    @staticmethod
    def _table() -> QTableWidget:
        """A read-only table of today's check-ins, a row chosen by touch."""
        table = QTableWidget(0, len(TODAY_COLUMNS))
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().setDefaultSectionSize(TOUCH - 8)
        table.verticalHeader().hide()
        table.horizontalHeader().setMinimumSectionSize(40)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setWordWrap(True)
        table.setStyleSheet(  # rules with their selectors: plain declarations beside the scroll bars' rules break all
            f"QTableWidget {{ font-size: {TABLE_POINTS}pt; color: {INK}; }} "
            f"QHeaderView::section {{ font-size: {HEADER_POINTS}pt; font-weight: bold; padding: 4px; }}"
        )
        table.verticalHeader().setDefaultSectionSize(TOUCH)
        finger_scrolling(table)
        return table

    def _layout(self) -> None:
        """Summary, alerts and the way back on top; a tab per task below; the last action's result at the bottom."""
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.buttons["back"])
        for key, build in (
            ("tab_today", self._today_tab),
            ("tab_checks", self._checks_tab),
            ("tab_admit", self._admit_tab),
            ("tab_queue", self._queue_tab),
            ("tab_more", self._more_tab),
            ("tab_holds", self._holds_tab),  # last: the other tabs keep their places where it is hidden
        ):
            tab = scrolled(build())  # a small screen scrolls a tab; the page itself never outgrows the screen
            self.tab_titles[key] = tab
            self.tabs.addTab(tab, "")
        page = QVBoxLayout(self)
        page.addWidget(self.strip)
        page.addLayout(top)
        page.addWidget(self.alerts)
        page.addWidget(self.tabs, 1)
        page.addWidget(self.message)

    def _today_tab(self) -> QWidget:
        """Today's check-ins, check-out and companions; where a space counts rooms, a member's own room or another's."""
        tab = QWidget()
        actions, rooms = QHBoxLayout(), QHBoxLayout()
        for name in ("check_out", "companion_in", "companion_out"):
            actions.addWidget(self.buttons[name])
        for name in ("room_new", "room_join", "room_join_cancel"):
            rooms.addWidget(self.buttons[name])
        layout = QVBoxLayout(tab)
        layout.addWidget(self.today, 1)
        layout.addLayout(actions)
        layout.addLayout(rooms)
        return tab

    def _checks_tab(self) -> QWidget:
        """Desk checks owed, each with its tick."""
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self.checklist_empty)
        column.addLayout(self.checklist)
        column.addWidget(self.ticked_heading)
        column.addLayout(self.ticked_list)
        column.addWidget(self.checks_earlier)
        column.addStretch(1)
        self.ticked_heading.hide()
        self.checks_earlier.hide()
        return inner

    def _admit_tab(self) -> QWidget:
        """The last refusal and its override; a manual check-in by member number on the keypad."""
        tab = QWidget()
        plans, reasons = QGridLayout(), QGridLayout()
        for group, buttons, grid, columns in (
            (self.plans, self.plan_buttons.values(), plans, 3),
            (self.reasons, self.reason_buttons.values(), reasons, 2),
        ):
            group.setExclusive(True)
            for index, button in enumerate(buttons):
                button.setCheckable(True)
                group.addButton(button)
                grid.addWidget(button, index // columns, index % columns)
        form = QGridLayout()
        form.addWidget(self.member_id, 0, 0)
        form.addWidget(self.member_name, 0, 1)
        form.addLayout(plans, 1, 0, 1, 2)
        form.addLayout(reasons, 2, 0, 1, 2)
        form.addWidget(self.reason, 3, 0, 1, 2)
        confirm = QHBoxLayout()
        confirm.addWidget(self.confirm, 1)
        confirm.addWidget(self.buttons["confirm_over"])
        confirm.addWidget(self.buttons["cancel_over"])
        actions = QHBoxLayout()
        actions.addWidget(self.buttons["override"])
        actions.addWidget(self.buttons["admit_manual"])
        left = QVBoxLayout()
        left.addWidget(self.refusal)
        left.addLayout(form)
        left.addLayout(actions)
        left.addLayout(confirm)
        left.addStretch(1)
        body = self.admit_body = QBoxLayout(QBoxLayout.Direction.LeftToRight, tab)
        body.addLayout(left, 3)
        body.addWidget(self.keypad, 2, alignment=Qt.AlignmentFlag.AlignTop)
        self.keypad.ok.hide()  # the form's own buttons act; the keypad only types the number
        self.keypad.typed.connect(self.member_id.setText)
        self.show_confirm(False)
        return tab

    def _holds_tab(self) -> QWidget:
        """A room held for a booking taken by phone: for whom, where, from when and how long; the rooms held, each with
        its cancel."""
        tab = QWidget()
        form = QGridLayout()
        form.addWidget(self.hold_member, 0, 0)
        form.addWidget(self.hold_name, 0, 1)
        form.addLayout(self.hold_space_row, 1, 0, 1, 2)
        steps = QGridLayout()
        for index, name in enumerate(HOLD_STEPS):
            steps.addWidget(self.buttons[name], index // 3, index % 3)
        length = QHBoxLayout()
        length.addWidget(self.hold_length, 1)
        length.addWidget(self.buttons["hold_shorter"])
        length.addWidget(self.buttons["hold_longer"])
        left = QVBoxLayout()
        left.addWidget(self.holds_hint)
        left.addLayout(form)
        left.addWidget(self.hold_start)
        left.addLayout(steps)
        left.addLayout(length)
        left.addWidget(self.buttons["hold"])
        left.addWidget(self.holds_empty)
        left.addLayout(self.hold_list)
        left.addStretch(1)
        body = self.holds_body = QBoxLayout(QBoxLayout.Direction.LeftToRight, tab)
        body.addLayout(left, 3)
        body.addWidget(self.hold_keypad, 2, alignment=Qt.AlignmentFlag.AlignTop)
        self.hold_keypad.ok.hide()  # the hold button acts; the keypad only types the number
        self.hold_keypad.typed.connect(self.hold_member.setText)
        self.hold_spaces.setExclusive(True)
        return tab

    def configure(self, rooms: bool, hold_spaces: Sequence[tuple[str, str]], room_column: bool) -> None:
        """What this facility's staff page offers: the room buttons where a space counts rooms, the phone holds tab
        (with a choice of space where several take holds), the table's room column where it says something."""
        for name in ("room_new", "room_join"):
            self.buttons[name].setVisible(rooms)
        self.show_joining(False)
        self.today.setColumnHidden(TODAY_COLUMNS.index("room"), not room_column)
        self.tabs.setTabVisible(list(self.tab_titles).index("tab_holds"), bool(hold_spaces))
        self._hold_space_names = dict(hold_spaces)
        for space_id, _ in hold_spaces:
            button = big_button()
            button.setCheckable(True)
            self.hold_spaces.addButton(button)
            self.hold_space_row.addWidget(button)
            self.hold_space_buttons[space_id] = button
        if hold_spaces:
            self.hold_space_buttons[hold_spaces[0][0]].setChecked(True)
        for button in self.hold_space_buttons.values():
            button.setVisible(len(hold_spaces) > 1)  # one space: nothing to choose

    def chosen_hold_space(self) -> str | None:
        """The space touched for a hold (the only one, where one takes holds)."""
        return next((space for space, button in self.hold_space_buttons.items() if button.isChecked()), None)

    def show_joining(self, joining: bool) -> None:
        """Moving a member into another's room: the second touch names the room, and the way out shows."""
        self.buttons["room_join_cancel"].setVisible(joining)

    def show_holds(self, rows: Sequence[str], button_text: str) -> list[ChecklistRow]:
        """The rooms held (text, and the cancel's words); returns the rows so their buttons can be wired."""
        for old in self.hold_rows:
            self.hold_list.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.hold_rows = [ChecklistRow(text, button_text) for text in rows]
        for row in self.hold_rows:
            self.hold_list.addWidget(row)
        self.holds_empty.setVisible(not rows)
        return self.hold_rows

    def _queue_tab(self) -> QWidget:
        """The link to the platform: what waits, what failed and what to do."""
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.queue)
        layout.addWidget(self.dead, 1, alignment=Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.buttons["retry_dead"])
        return tab

    def _more_tab(self) -> QWidget:
        """The report, the camera, and leaving the kiosk (asked twice)."""
        tab = QWidget()
        exit_row = QHBoxLayout()
        exit_row.addWidget(self.exit_question, 1)
        exit_row.addWidget(self.buttons["exit_confirm"])
        exit_row.addWidget(self.buttons["exit_cancel"])
        layout = QVBoxLayout(tab)
        layout.addWidget(self.buttons["report"])
        layout.addWidget(self.buttons["report_upload"])
        layout.addWidget(self.camera)
        layout.addStretch(1)
        layout.addWidget(self.buttons["exit"])
        layout.addLayout(exit_row)
        self.ask_exit(False)
        return tab

    def resizeEvent(self, event: QResizeEvent) -> None:
        """On a portrait screen the keypad goes under the form rather than beside it."""
        portrait = event.size().height() > event.size().width()
        for body in (self.admit_body, self.holds_body):
            body.setDirection(QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight)
        super().resizeEvent(event)
        self._place_lock_warning()

    def _place_lock_warning(self) -> None:
        """The lock warning across the bottom of the page, as tall as its words need."""
        width = max(100, self.width() - 40)
        height = max(TOUCH, self.lock_warning.heightForWidth(width))
        self.lock_warning.setGeometry(20, max(0, self.height() - height - 12), width, height)

    def show_lock_warning(self, text: str) -> None:
        """The countdown before the page locks ("" takes it away)."""
        if not text:
            self.lock_warning.hide()
            return
        if text != self.lock_warning.text() or not self.lock_warning.isVisible():
            self.lock_warning.setText(text)
            self._place_lock_warning()
            self.lock_warning.show()
            self.lock_warning.raise_()

    def say(self, text: str, ok: bool = True) -> None:
        """A line of feedback: what was done in green, what went wrong in red."""
        restyle(self.message, 18, True, GREEN if ok else RED)
        self.message.setText(text)

    def show_confirm(self, shown: bool, text: str = "") -> None:
        """The question before admitting past capacity."""
        self.confirm.setText(text)
        for widget in (self.confirm, self.buttons["confirm_over"], self.buttons["cancel_over"]):
            widget.setVisible(shown)

    def ask_exit(self, shown: bool) -> None:
        """The question before closing the kiosk."""
        for widget in (self.exit_question, self.buttons["exit_confirm"], self.buttons["exit_cancel"]):
            widget.setVisible(shown)

    def retranslate(self, language: str, companion_fee: int | None) -> None:
        """Fixed texts in the language."""
        for name, button in self.buttons.items():
            if name in ("companion_in", "companion_out"):  # only where companions are sold at the desk
                button.setText(t(name, language, fee=companion_fee))
                button.setVisible(companion_fee is not None)
            else:
                button.setText(t(name, language))
        for index, key in enumerate(self.tab_titles):
            self.tabs.setTabText(index, t(key, language))
        for plan, button in self.plan_buttons.items():
            button.setText(t(f"plan_{plan.value}", language))
        for key, button in self.reason_buttons.items():
            button.setText(t(key, language))
        self.member_id.setPlaceholderText(t("member_id_hint", language))
        self.member_name.setPlaceholderText(t("name_hint", language))
        self.reason.setPlaceholderText(t("reason_hint", language))
        self.exit_question.setText(t("exit_question", language))
        self.checklist_empty.setText(t("checks_none", language))
        self.keypad.retranslate(t("key_clear", language), t("key_ok", language))
        self.hold_keypad.retranslate(t("key_clear", language), t("key_ok", language))
        self.hold_member.setPlaceholderText(t("member_id_hint", language))
        self.hold_name.setPlaceholderText(t("hold_name_hint", language))
        self.holds_hint.setText(
            t(
                "holds_hint",
                language,
                early=int(HOLD_EARLY.total_seconds() // 60),
                lapse=int(HOLD_LAPSE.total_seconds() // 60),
            )
        )
        self.holds_empty.setText(t("holds_none", language))
        for space_id, button in self.hold_space_buttons.items():
            button.setText(in_language(self._hold_space_names[space_id], language))
        self.today.setHorizontalHeaderLabels([t(f"column_{c}", language) for c in TODAY_COLUMNS])

    def show_today(self, rows: Sequence[TodayRow]) -> None:
        """Today's check-ins, newest first, each row holding its check-in's key. Built again only when they
        changed, and the chosen check-in stays chosen however the rows move (a new arrival goes on top). A member
        who left is grey; a re-entry is marked and blue, its kind in italics."""
        if list(rows) == self._today_shown:
            return
        chosen = self.selected_key()
        self._today_shown = list(rows)
        self.today.clearSelection()
        self.today.setRowCount(len(rows))
        kind = TODAY_COLUMNS.index("kind")
        for number, row in enumerate(rows):
            for column, value in enumerate(row.cells):
                item = QTableWidgetItem(displayed(value))  # a cell is plain text: one line, no controls
                item.setData(Qt.ItemDataRole.UserRole, row.key)
                if row.left:
                    item.setForeground(QBrush(QColor(LEFT_INK)))
                elif row.re_entry and column == kind:
                    item.setForeground(QBrush(QColor(RE_ENTRY_INK)))
                if column == kind:
                    font = QFont(self.today.font())
                    font.setItalic(row.re_entry)
                    font.setBold(not row.re_entry and not row.left)
                    item.setFont(font)
                self.today.setItem(number, column, item)
            if row.key == chosen:
                self.today.selectRow(number)

    def show_checklist(self, rows: Sequence[tuple[str, str]], button_text: str) -> list[ChecklistRow]:
        """The desk checks owed (text, and the button's words); returns the rows so their buttons can be wired."""
        for old in self.checklist_rows:
            self.checklist.removeWidget(old)
            old.hide()  # gone from the screen now, not when Qt gets round to deleting it
            old.deleteLater()
        self.checklist_rows = [ChecklistRow(text, button_text) for text, _ in rows]
        for row in self.checklist_rows:
            self.checklist.addWidget(row)
        self.checklist_empty.setVisible(not rows)
        return self.checklist_rows

    def show_ticked(self, heading: str, rows: Sequence[str], button_text: str) -> list[ChecklistRow]:
        """The checks ticked a moment ago, each with its undo (grey: done), under a heading; returns the rows."""
        for old in self.ticked_rows:
            self.ticked_list.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.ticked_rows = [ChecklistRow(text, button_text) for text in rows]
        for row in self.ticked_rows:
            restyle(row.label, 16, False, LEFT_INK)
            row.tick.setStyleSheet(row.tick.styleSheet().replace("#1565c0", "#e8eaed").replace("white", INK))
            self.ticked_list.addWidget(row)
        self.ticked_heading.setText(heading)
        self.ticked_heading.setVisible(bool(rows))
        return self.ticked_rows

    def selected_key(self) -> str | None:
        """The check-in chosen in the table."""
        items = self.today.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def chosen_plan(self) -> Plan | None:
        """The plan touched for a manual check-in."""
        return next((plan for plan, button in self.plan_buttons.items() if button.isChecked()), None)

    def chosen_reason(self) -> str:
        """The reason typed, else the one touched (in Japanese, as the audit keeps it), else ''."""
        typed = self.reason.text().strip()
        if typed:
            return typed
        return next((t(key, "ja") for key, button in self.reason_buttons.items() if button.isChecked()), "")

    def draft(self) -> Draft:
        """What is typed and chosen now."""
        return Draft(
            tab=self.tabs.currentIndex(),
            member=self.keypad.digits,
            name=self.member_name.text(),
            reason=self.reason.text(),
            plan=self.chosen_plan(),
            reason_key=next((key for key, button in self.reason_buttons.items() if button.isChecked()), None),
            hold_member=self.hold_keypad.digits,
            hold_name=self.hold_name.text(),
            hold_space=self.chosen_hold_space(),
        )

    def restore(self, draft: Draft) -> None:
        """Put a kept draft back as it was (the tab too)."""
        for keypad, digits in ((self.keypad, draft.member), (self.hold_keypad, draft.hold_member)):
            keypad.digits = digits
            keypad.typed.emit(digits)
        self.member_name.setText(draft.name)
        self.reason.setText(draft.reason)
        self.hold_name.setText(draft.hold_name)
        if draft.plan is not None:
            self.plan_buttons[draft.plan].setChecked(True)
        if draft.reason_key in self.reason_buttons:
            self.reason_buttons[draft.reason_key].setChecked(True)
        if draft.hold_space in self.hold_space_buttons:
            self.hold_space_buttons[draft.hold_space].setChecked(True)
        self.tabs.setCurrentIndex(draft.tab)

    def take_kept(self, longest: float) -> Draft | None:
        """The kept draft, if it was kept at most `longest` seconds ago (an older one is forgotten: privacy); it is
        kept no more either way."""
        kept, self.kept = self.kept, None
        if kept is None or not 0 <= self.now() - kept[0] <= longest:
            return None
        return kept[1]

    def clear_forms(self, keep: bool = True) -> None:
        """Nothing typed or chosen is left on screen for the next person; unless `keep` is False (the work was done),
        a half-done form is kept as a draft for the staff member who comes back with the PIN."""
        draft = self.draft()
        if not keep:
            self.kept = None
        elif not draft.empty():
            self.kept = (self.now(), draft)
        self.lock_warning.hide()
        self.keypad.clear()
        self.member_name.clear()
        self.reason.clear()
        self.hold_keypad.clear()
        self.hold_name.clear()
        for group in (self.plans, self.reasons):
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)
        self.show_confirm(False)
        self.ask_exit(False)
        self.message.setText("")
