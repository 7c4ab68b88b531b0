"""The member's pages: the reception page (desk code, camera, doorway, time, hours) and the verdict (○ △ ×)."""

from __future__ import annotations

import math
import time

import qrcode
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from facility.plaintext import NAME_COLUMNS, displayed
from kiosk.doorway import Doorway, SpaceVacancy, TodaysHours
from kiosk.reception import CheckinVerdict
from kiosk.state import KioskState
from kiosk.texts import t
from kiosk.verdicts import Look, Presentation, in_language, surname
from kiosk.widgets import INK, RED, OneLine, Plain, Words, big_button, centred, style

HOURS_ROOM = 360  # px today's hours need beside the badge and the staff button (less: they go under the badge)
CODE_SHARE = 0.40  # of the screen's short side, at least: phones read the desk code from arm's length
QUIET_ZONE = 4


def qr_pixmap(text: str, size: int) -> QPixmap:
    """A QR code as a size x size pixmap, sharp-edged (modules of whole pixels, a pixel wider here and there)."""
    matrix = qrcode.QRCode(border=QUIET_ZONE)
    matrix.add_data(text)
    matrix.make(fit=True)
    modules = matrix.get_matrix()
    image = QImage(len(modules), len(modules), QImage.Format.Format_Mono)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            image.setPixel(x, y, 0 if dark else 1)
    image.setColor(0, 0xFF000000)
    image.setColor(1, 0xFFFFFFFF)
    # Nearest-neighbour: no grey edges; exactly the size asked, so the code is the share of the screen it should be.
    return QPixmap.fromImage(
        image.scaled(size, size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation)
    )


def panel() -> QFrame:
    """A white card on the page's grey."""
    frame = QFrame()
    frame.setObjectName("panel")
    frame.setStyleSheet("QFrame#panel { background: white; border-radius: 16px; }")
    return frame


class HomePage(QWidget):
    """The page waiting for members; what it invites is always what the kiosk can do now."""

    def __init__(self, facility_name: str, camera_first: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera_first = camera_first
        self.title = OneLine(facility_name, 22, True)
        self.clock = centred(Plain())
        self.clock.setStyleSheet(style(30, True))
        self.language, self.staff = big_button(), big_button(size=16)
        self.doorway, self.hours = centred(Plain()), Words("", 18)  # the badge never wraps
        # Each space's vacancy, where the facility has several: one line whatever their number or names ('…' at the
        # end), so the page never grows past the screen.
        self.spaces = OneLine("", 15, True)
        self.code, self.camera = centred(Plain()), centred(Plain())
        self.camera.setStyleSheet("background: #202124; border-radius: 8px; color: white; font-size: 18pt;")
        # The preview fills what the layout gives it; a frame's size must never push the page off the screen.
        self.camera.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.camera.setMinimumSize(320, 180)
        self.scan_hint, self.countdown = centred(Words("", 20, True)), centred(Words("", 15))
        self.show_hint = centred(Words("", 20, True))
        self.closed_note = centred(Words("", 30, True))
        self.notice = centred(Words("", 18, True, RED))
        self.desk_panel, self.camera_panel, self.closed_panel = panel(), panel(), panel()
        self.middle = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.status = QBoxLayout(QBoxLayout.Direction.LeftToRight)  # the badge, today's hours, the staff button
        self._code_shown = ("", 0)
        self._layout()

    def _layout(self) -> None:
        """Top bar, the doorway and hours, the two ways in (desk code, camera), the notice."""
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.clock)
        top.addWidget(self.language)
        status = self.status
        status.addWidget(self.doorway)
        told = QVBoxLayout()  # today's hours, and under them each space's vacancy: no taller than the staff button
        told.setSpacing(0)
        told.addWidget(self.hours)
        told.addWidget(self.spaces)
        status.addLayout(told, 1)
        status.addWidget(self.staff)
        desk = QVBoxLayout(self.desk_panel)
        for widget in (self.code, self.scan_hint, self.countdown):
            desk.addWidget(widget)
        camera = QVBoxLayout(self.camera_panel)
        camera.addWidget(self.camera, 1)
        camera.addWidget(self.show_hint)
        QVBoxLayout(self.closed_panel).addWidget(self.closed_note)
        if self.camera_first:  # members show their app's screen here: the camera is the main way in
            self.middle.addWidget(self.camera_panel, 3)
            self.middle.addWidget(self.desk_panel, 2)
        else:
            self.middle.addWidget(self.desk_panel, 1)
            self.middle.addWidget(self.camera_panel, 1)
        self.middle.addWidget(self.closed_panel, 1)
        page = QVBoxLayout(self)
        page.setContentsMargins(20, 10, 20, 10)
        page.addLayout(top)
        page.addLayout(status)
        page.addLayout(self.middle, 1)
        page.addWidget(self.notice)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Side by side on a landscape screen, one above the other in portrait; the code scales with the screen."""
        size = event.size()
        portrait = size.height() > size.width()
        self.middle.setDirection(QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight)
        self._arrange_status()
        self._draw_code(self._code_shown[0], force=True)
        super().resizeEvent(event)

    def _arrange_status(self) -> None:
        """The badge, today's hours and the staff button side by side where the hours keep room to be read beside
        them; one above the other on a narrow screen (the hours are never squeezed into a column of words)."""
        page = self.layout()
        margins = page.contentsMargins().left() + page.contentsMargins().right() if page is not None else 0
        beside = self.doorway.sizeHint().width() + self.staff.sizeHint().width() + HOURS_ROOM
        width = self.width() - margins
        wanted = QBoxLayout.Direction.LeftToRight if width >= beside else QBoxLayout.Direction.TopToBottom
        if self.status.direction() != wanted:
            self.status.setDirection(wanted)

    def code_size(self) -> int:
        """The desk code's side in pixels: a share of the screen's short side."""
        return math.ceil(CODE_SHARE * min(self.width(), self.height()))

    def show_code(self, text: str, seconds_left: int, period: int, language: str) -> None:
        """Show the desk code (drawn again only when it or the screen changed) and how long it lasts."""
        self._draw_code(text)
        self.countdown.setText(t("refresh_in", language, s=period, left=seconds_left))

    def _draw_code(self, text: str, force: bool = False) -> None:
        """Draw the code at the screen's size."""
        size = self.code_size()
        if text and (force or (text, size) != self._code_shown):
            self.code.setPixmap(qr_pixmap(text, size))
            self._code_shown = (text, size)

    def show_state(self, state: KioskState, language: str) -> None:
        """Show only the ways in that work now, the doorway, today's hours and the member notice."""
        door = state.doorway
        self.doorway.setText(t(state.doorway_key(), language))  # never 空席あり when no way in works
        between = "　｜　" if language == "ja" else "  |  "
        self.spaces.setText(between.join(self._space(space, language) for space in state.spaces))
        self.spaces.setVisible(bool(state.spaces))
        self.doorway.setStyleSheet(
            style(22, True, door.ink, f"background: {door.background}; border-radius: 10px; padding: 6px 18px;")
        )
        self.hours.setText(self._hours(state.hours_today, language))
        closed = door is Doorway.CLOSED
        self.desk_panel.setVisible(state.desk_code_shown)
        self.camera_panel.setVisible(not closed)
        self.closed_panel.setVisible(closed)
        self.closed_note.setText(state.closed_line(language))  # when it opens next
        if not state.camera_ok:
            self.camera.clear()
            self.camera.setText(t("camera_preparing", language))
        self.show_hint.setText(t(state.camera_hint(), language))
        line = state.member_line(language)  # what is wrong for members, else the next step (one status: kiosk/state.py)
        self.notice.setText(line)
        self.notice.setVisible(bool(line))
        self.staff.setText(
            t("staff_badge", language, n=state.needs_staff) if state.needs_staff else t("staff", language)
        )
        self._arrange_status()

    @staticmethod
    def _space(space: SpaceVacancy, language: str) -> str:
        """One space's vacancy in words: closed, taken by booking only, or its state with what is free in its unit."""
        name = in_language(space.name, language)
        if not space.open:
            return t("space_closed", language, name=name)
        if space.state is None:
            return t("space_booked", language, name=name)
        return t(f"space_{space.state.code}_{space.unit}", language, name=name, n=space.free or 0)

    @staticmethod
    def _hours(hours: TodaysHours, language: str) -> str:
        """Today's hours in words: closed all day, open around the clock, or the ranges."""
        if not hours.ranges:
            return t("closed_today", language)
        if hours.around_the_clock:
            return t("hours_24h", language)
        return t("hours_today", language, hours=" / ".join(hours.ranges))

    def show_preview(self, image: QImage, camera_ok: bool) -> None:
        """The camera's latest frame (a lost camera's last frame is not kept on screen)."""
        if camera_ok:
            self.camera.setPixmap(
                QPixmap.fromImage(image).scaled(self.camera.size(), Qt.AspectRatioMode.KeepAspectRatio)
            )

    def retranslate(self, language: str) -> None:
        """Put every fixed text in the language."""
        self.scan_hint.setText(t("scan_desk", language))
        self.language.setText(t("other_language", language))


# The verdict's type, in points: the mark, the headline (and the smallest it shrinks to for a long name), the words
# under it, and the other language's lines, at least 70% of the size of those they translate (read from a step back).
MARK_PT, HEADLINE_PT, HEADLINE_FLOOR_PT, WORDS_PT = 120, 40, 24, 26
OTHER_HEADLINE_PT, OTHER_WORDS_PT = 28, 20
HEADLINE_LINES = 3  # a headline longer than this at its floor cuts the name with '…'
PAGE_SCALES = (1.0, 0.9, 0.8, 0.7, 0.6)  # the whole verdict shrinks by these steps until it fits the screen's height


class VerdictPage(QFrame):
    """A big mark (○ △ ×), the words and the next step, and the same in the other language under them, in the look's
    colours; a tap goes back once it was seen. Whatever the name and the screen, it fits: the headline shrinks for a
    long name (a name still too long ends in '…'), and the whole page shrinks a step at a time for a short screen."""

    tapped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.look = Look.ADMITTED
        self.shown_at = 0.0  # monotonic: when the verdict on screen appeared (a tap cannot dismiss it sooner)
        self.scale = 1.0
        self.mark = centred(Words("", MARK_PT, True))
        self.headline = centred(Words("", HEADLINE_PT, True, floor=HEADLINE_FLOOR_PT, lines=HEADLINE_LINES))
        self.detail = centred(Words("", WORDS_PT))
        self.next_step = centred(Words("", WORDS_PT, True))
        self.counter = centred(Words("", WORDS_PT, True))  # desk checks owed: the member goes to the counter
        # The other language: the headline (or the reason), then the words and the next step.
        self.secondary = centred(Words("", OTHER_HEADLINE_PT, True, floor=HEADLINE_FLOOR_PT * 7 // 10, lines=2))
        self.secondary_detail = centred(Words("", OTHER_WORDS_PT))
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(48, 32, 48, 32)
        self.column.addStretch(1)
        for widget in self.words:
            self.column.addWidget(widget)
        self.column.addStretch(1)

    @property
    def words(self) -> tuple[Words, ...]:
        """Every label of the page, top to bottom."""
        return (
            self.mark,
            self.headline,
            self.detail,
            self.next_step,
            self.counter,
            self.secondary,
            self.secondary_detail,
        )

    def shown_for(self) -> float:
        """Seconds the verdict on the page has been up."""
        return time.monotonic() - self.shown_at

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A tap asks to go back to scanning (the kiosk decides whether it has been seen long enough)."""
        self.tapped.emit()

    def show_verdict(self, verdict: CheckinVerdict, shown: Presentation, language: str) -> None:
        """Fill the page for a verdict, as it is presented: in the language, then in the other one."""
        self.look, self.shown_at = shown.look, time.monotonic()
        self.setStyleSheet(f"VerdictPage {{ background: {shown.look.background}; }}")
        ink = shown.look.ink
        for widget, size, bold in (
            (self.mark, MARK_PT, True),
            (self.headline, HEADLINE_PT, True),
            (self.detail, WORDS_PT, False),
            (self.next_step, WORDS_PT, True),
            (self.secondary, OTHER_HEADLINE_PT, True),
            (self.secondary_detail, OTHER_WORDS_PT, False),
        ):
            widget.set_look(size, bold, ink)
        self.counter.set_look(WORDS_PT, True, INK, "background: #ffd54f; border-radius: 12px; padding: 14px;")
        self.mark.setText(shown.look.mark)
        other = "en" if language == "ja" else "ja"
        if verdict.admitted:
            self._admitted(verdict, shown, language, other)
        else:
            assert shown.reason is not None
            self.headline.setText(shown.reason.text(language))
            self.detail.setText("")
            self.next_step.setText(t(shown.next_step, language))
            self.counter.hide()
            self.secondary.setText(shown.reason.text(other))
            self.secondary_detail.setText(t(shown.next_step, other))
        for widget in (self.detail, self.next_step, self.secondary, self.secondary_detail):
            widget.setVisible(bool(widget.text()))
        self.fit()

    def _admitted(self, verdict: CheckinVerdict, shown: Presentation, language: str, other: str) -> None:
        """Welcome by family name, until when, and the counter if staff owe a check; the same in the other language."""
        name = surname(verdict.name)
        key = (
            "already"
            if verdict.repeat
            else ("welcome_back" if verdict.entry and verdict.entry.value == "re_entry" else "welcome")
        )
        counter = bool(verdict.desk_checks) and not verdict.repeat
        shown_name = displayed(name, NAME_COLUMNS)  # as t() fills it in: the part of the headline cut first

        def said(language: str) -> tuple[str, str, str]:
            """The headline, the words under it and the next step, in a language."""
            headline = t(key, language, name=name) if name else t(f"{key}_anonymous", language)
            return headline, self._until(verdict, language), t(shown.next_step, language) if shown.next_step else ""

        headline, detail, next_step = said(language)
        self.headline.setText(headline, cut=shown_name)
        self.detail.setText(detail)
        self.next_step.setText(next_step)
        self.counter.setVisible(counter)
        self.counter.setText(t("to_counter", language))
        headline, detail, next_step = said(other)
        self.secondary.setText(headline, cut=shown_name)
        told = [detail, next_step, t("to_counter", other) if counter else ""]
        self.secondary_detail.setText("\n".join(filter(None, told)))

    @staticmethod
    def _until(verdict: CheckinVerdict, language: str) -> str:
        """Until when the visit runs, and at a staffed meeting room the room and the representative's guests."""
        ends = verdict.ends_at.strftime("%H:%M") if verdict.ends_at else None
        if verdict.room:
            guests = t("guests_free", language, n=verdict.companions) if verdict.companions else ""
            room = in_language(verdict.room, language)
            return "\n".join(filter(None, [t("room_until", language, room=room, time=ends), guests]))
        return t("until", language, time=ends) if ends else t("no_end", language)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit the words to the new size."""
        super().resizeEvent(event)
        self.fit()

    def fit(self) -> None:
        """The largest of the page's scales at which every word shown fits the page's height (the smallest one
        otherwise: the headline has cut the name by then)."""
        margins = self.column.contentsMargins()
        width = self.width() - margins.left() - margins.right()
        room = self.height() - margins.top() - margins.bottom()
        shown = [widget for widget in self.words if widget.isVisibleTo(self)]
        spacing = max(0, self.column.spacing()) * max(0, len(shown) - 1)
        for scale in PAGE_SCALES:
            for widget in self.words:
                widget.set_scale(scale)
            if sum(widget.height_at(width) for widget in shown) + spacing <= room:
                break
        self.scale = scale
        self.column.invalidate()
