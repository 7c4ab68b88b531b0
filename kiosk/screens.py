"""The member's pages: the reception page (desk code, camera, doorway, time, hours) and the verdict (○ △ ×)."""

from __future__ import annotations

import math
import time

import qrcode
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.doorway import Doorway, SpaceVacancy, TodaysHours
from kiosk.reception import CheckinVerdict
from kiosk.state import KioskState
from kiosk.texts import t
from kiosk.verdicts import Look, Presentation, in_language, surname
from kiosk.widgets import INK, RED, OneLine, Plain, Words, big_button, centred, style

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
        self._code_shown = ("", 0)
        self._layout()

    def _layout(self) -> None:
        """Top bar, the doorway and hours, the two ways in (desk code, camera), the notice."""
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.clock)
        top.addWidget(self.language)
        status = QHBoxLayout()
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
        self._draw_code(self._code_shown[0], force=True)
        super().resizeEvent(event)

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
        counted = state.rooms and door in (Doorway.VACANT, Doorway.FEW_LEFT, Doorway.FULL)
        self.doorway.setText(t(f"door_{door.code}" + ("_rooms" if counted else ""), language))
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
        self.closed_note.setText(t("closed_note", language))
        if not state.camera_ok:
            self.camera.clear()
            self.camera.setText(t("camera_preparing", language))
        self.show_hint.setText(t(self._camera_hint(state), language))
        self.notice.setText(t(state.member_notice(), language) if state.member_notice() else "")
        self.notice.setVisible(bool(state.member_notice()))
        self.staff.setText(
            t("staff_badge", language, n=state.needs_staff) if state.needs_staff else t("staff", language)
        )

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

    @staticmethod
    def _camera_hint(state: KioskState) -> str:
        """What the camera card asks: nothing while the camera is away; re-entry only when no new member is taken."""
        if not state.camera_ok:
            return "camera_wait"
        return "or_show" if state.doorway.takes_new_members else "re_entry_only"

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


class VerdictPage(QFrame):
    """A big mark (○ △ ×), the words and the next step, in the look's colours; a tap goes back once it was seen."""

    tapped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.look = Look.ADMITTED
        self.shown_at = 0.0  # monotonic: when the verdict on screen appeared (a tap cannot dismiss it sooner)
        self.mark = centred(Plain())
        self.headline, self.detail = centred(Words("", 40, True)), centred(Words("", 26))
        self.next_step = centred(Words("", 26, True))
        self.counter = centred(Words("", 26, True))  # desk checks owed: the member goes to the counter
        self.secondary = centred(Words("", 18))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addStretch(1)
        for widget in (self.mark, self.headline, self.detail, self.next_step, self.counter, self.secondary):
            layout.addWidget(widget)
        layout.addStretch(1)

    def shown_for(self) -> float:
        """Seconds the verdict on the page has been up."""
        return time.monotonic() - self.shown_at

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A tap asks to go back to scanning (the kiosk decides whether it has been seen long enough)."""
        self.tapped.emit()

    def show_verdict(self, verdict: CheckinVerdict, shown: Presentation, language: str) -> None:
        """Fill the page for a verdict, as it is presented."""
        self.look, self.shown_at = shown.look, time.monotonic()
        self.setStyleSheet(f"VerdictPage {{ background: {shown.look.background}; }}")
        ink = shown.look.ink
        self.mark.setText(shown.look.mark)
        self.mark.setStyleSheet(style(120, True, ink))
        for widget, size, bold in (
            (self.headline, 40, True),
            (self.detail, 26, False),
            (self.next_step, 26, True),
            (self.secondary, 18, False),
        ):
            widget.setStyleSheet(style(size, bold, ink))
        if verdict.admitted:
            self._admitted(verdict, language)
            self.next_step.setText(t(shown.next_step, language) if shown.next_step else "")
            return
        assert shown.reason is not None
        other = "en" if language == "ja" else "ja"
        self.headline.setText(shown.reason.text(language))
        self.detail.setText("")
        self.next_step.setText(t(shown.next_step, language))
        self.counter.hide()
        self.secondary.setText(f"{shown.reason.text(other)}\n{t(shown.next_step, other)}")

    def _admitted(self, verdict: CheckinVerdict, language: str) -> None:
        """Welcome by surname, until when, and the counter if staff owe a check."""
        name = surname(verdict.name)
        key = (
            "already"
            if verdict.repeat
            else ("welcome_back" if verdict.entry and verdict.entry.value == "re_entry" else "welcome")
        )
        self.headline.setText(t(key, language, name=name) if name else t(f"{key}_anonymous", language))
        ends = verdict.ends_at.strftime("%H:%M") if verdict.ends_at else None
        if verdict.room:  # a staffed meeting room: the room, its end and the representative's guests
            guests = t("guests_free", language, n=verdict.companions) if verdict.companions else ""
            room = in_language(verdict.room, language)
            self.detail.setText("\n".join(filter(None, [t("room_until", language, room=room, time=ends), guests])))
        else:
            self.detail.setText(t("until", language, time=ends) if ends else t("no_end", language))
        self.counter.setVisible(bool(verdict.desk_checks) and not verdict.repeat)
        self.counter.setText(t("to_counter", language))
        self.counter.setStyleSheet(style(26, True, INK, "background: #ffd54f; border-radius: 12px; padding: 14px;"))
        self.secondary.setText("")
