"""The screens a member sees: the reception page (desk code and camera) and the verdict (green or red)."""

from __future__ import annotations

import qrcode
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from facility.rules.capacity import Vacancy
from kiosk.reception import Verdict
from kiosk.texts import t

GREEN, RED, INK = "#1b7f3b", "#b3261e", "#1c1c1c"
VACANCY_COLOURS = {"blue": "#1565c0", "yellow": "#f9a825", "red": "#c62828"}


def qr_pixmap(text: str, size: int) -> QPixmap:
    """A QR code as a pixmap of about size pixels, crisp (no smoothing)."""
    matrix = qrcode.QRCode(border=4)
    matrix.add_data(text)
    matrix.make(fit=True)
    modules = matrix.get_matrix()
    scale = max(1, size // len(modules))
    image = QImage(len(modules), len(modules), QImage.Format.Format_Mono)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            image.setPixel(x, y, 0 if dark else 1)
    image.setColor(0, 0xFF000000)
    image.setColor(1, 0xFFFFFFFF)
    return QPixmap.fromImage(image.scaled(len(modules) * scale, len(modules) * scale))


def label(text: str = "", size: int = 18, bold: bool = False, colour: str = INK) -> QLabel:
    """A word-wrapped label in the kiosk's type."""
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setStyleSheet(f"font-size: {size}pt; font-weight: {'bold' if bold else 'normal'}; color: {colour};")
    return widget


class HomePage(QWidget):
    """The page waiting for members: the rotating desk code, the camera, vacancy and status."""

    def __init__(self, facility_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label(facility_name, 26, True)
        self.vacancy = label("", 18, True, "white")
        self.language = QPushButton()
        self.language.setMinimumHeight(56)
        self.status = label("", 16, True, RED)
        self.code = QLabel()
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scan_hint, self.countdown = label("", 20, True), label("", 14)
        for centred in (self.scan_hint, self.countdown):
            centred.setMinimumWidth(640)
            centred.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.camera = QLabel()
        self.camera.setFixedSize(480, 270)
        self.camera.setStyleSheet("background: #222; border-radius: 8px;")
        self.show_hint = label("", 18)
        self._code_shown = ""
        self.staff = QPushButton()
        self.staff.setFlat(True)
        self._layout()

    def _layout(self) -> None:
        """Title bar on top, desk code on the left, camera on the right, status and staff below."""
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.vacancy)
        top.addWidget(self.language)
        left = QVBoxLayout()
        for widget in (self.code, self.scan_hint, self.countdown):
            left.addWidget(widget, alignment=Qt.AlignmentFlag.AlignHCenter)
        right = QVBoxLayout()
        right.addWidget(self.camera, alignment=Qt.AlignmentFlag.AlignHCenter)
        right.addWidget(self.show_hint)
        right.addStretch(1)
        middle = QHBoxLayout()
        middle.addLayout(left, 3)
        middle.addLayout(right, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.staff)
        page = QVBoxLayout(self)
        page.addLayout(top)
        page.addLayout(middle, 1)
        page.addLayout(bottom)

    def show_code(self, text: str, seconds_left: int, period: int, language: str) -> None:
        """Show the desk code (drawn again only when it changed) and how long it lasts."""
        if text != self._code_shown:
            self.code.setPixmap(qr_pixmap(text, 420))
            self._code_shown = text
        self.countdown.setText(t("refresh_in", language, s=period, left=seconds_left))

    def show_vacancy(self, state: Vacancy | None, language: str) -> None:
        """The vacancy badge in its colour."""
        if state is None:
            self.vacancy.hide()
            return
        self.vacancy.show()
        self.vacancy.setText(f"  {state.text(language)}  ")
        self.vacancy.setStyleSheet(f"font-size: 18pt; font-weight: bold; color: white; border-radius: 8px; "
                                   f"background: {VACANCY_COLOURS[state.colour]}; padding: 6px;")

    def retranslate(self, language: str) -> None:
        """Put every fixed text in the language."""
        self.scan_hint.setText(t("scan_desk", language))
        self.show_hint.setText(t("or_show", language))
        self.language.setText(t("other_language", language))
        self.staff.setText(t("staff", language))


class VerdictPage(QFrame):
    """Green with the member's name and the visit's end, or red with the reason; then back to scanning."""

    tapped = Signal()

    def mousePressEvent(self, event) -> None:
        """A tap anywhere goes back to scanning at once."""
        self.tapped.emit()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headline = label("", 40, True, "white")
        self.detail = label("", 24, False, "white")
        self.checks = label("", 22, True, INK)
        self.secondary = label("", 16, False, "white")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (self.headline, self.detail, self.checks, self.secondary):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_verdict(self, verdict: Verdict, language: str) -> None:
        """Fill the page for a verdict."""
        self.setStyleSheet(f"VerdictPage {{ background: {GREEN if verdict.admitted else RED}; }}")
        if verdict.admitted:
            self._admitted(verdict, language)
        else:
            self._refused(verdict, language)

    def _admitted(self, verdict: Verdict, language: str) -> None:
        """Welcome, until when, and the desk checks staff must do."""
        key = "already" if verdict.repeat else ("welcome_back" if verdict.entry and verdict.entry.value == "re_entry" else "welcome")
        self.headline.setText(t(key, language, name=verdict.name))
        ends = verdict.ends_at.strftime("%H:%M") if verdict.ends_at else None
        if verdict.room:  # a staffed meeting room: the room, its end and the representative's guests
            guests = t("guests_free", language, n=verdict.companions) if verdict.companions else ""
            self.detail.setText("\n".join(filter(None, [t("room_until", language, room=verdict.room, time=ends), guests])))
        else:
            self.detail.setText(t("until", language, time=ends) if ends else t("no_end", language))
        checks = [c.text(language) for c in verdict.desk_checks]
        self.checks.setVisible(bool(checks))
        self.checks.setText(f"{t('staff_checks', language)}: " + " / ".join(checks))
        self.checks.setStyleSheet("font-size: 22pt; font-weight: bold; color: #1c1c1c; background: #ffd54f; "
                                  "border-radius: 8px; padding: 10px;")
        self.secondary.setText("")

    def _refused(self, verdict: Verdict, language: str) -> None:
        """Refused: the reason, in the language shown and, smaller, in the other."""
        reason = verdict.reasons[0]
        self.headline.setText(t("refused", language))
        self.detail.setText(reason.text(language))
        self.checks.hide()
        other = "en" if language == "ja" else "ja"
        self.secondary.setText(f"{reason.text(other)}\n{t('see_staff', language)}")
