"""The kiosk's window: full screen, no decorations, and no way out but the staff PIN."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QStackedLayout, QWidget

from kiosk.screens import HomePage, VerdictPage
from kiosk.staff import PinPage, StaffPage
from kiosk.widgets import Plain, style

# Input that shows a person is at the screen (for the staff page's idle lock and the language's return).
_TOUCHES = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin}


class KioskWindow(QWidget):
    """Holds the pages and, above them, the strip that shows a member's verdict while staff work."""

    touched = Signal()

    def __init__(self, facility_name: str, camera_first: bool) -> None:
        super().__init__()
        self.setWindowTitle("officepass kiosk")
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setStyleSheet("KioskWindow { background: #eceff1; }")
        self.home, self.verdict = HomePage(facility_name, camera_first), VerdictPage()
        self.pin, self.staff = PinPage(), StaffPage()
        self.stack = QStackedLayout(self)
        for page in (self.home, self.verdict, self.pin, self.staff):
            self.stack.addWidget(page)
        self._may_close = False

    def show_page(self, page: QWidget) -> None:
        """Bring a page to the front."""
        self.stack.setCurrentWidget(page)

    @property
    def page(self) -> QWidget:
        """The page in front."""
        page = self.stack.currentWidget()
        assert page is not None, "the stack always holds the pages"
        return page

    def show_member_strip(self, text: str, background: str, ink: str) -> None:
        """A member's verdict, at the top of the staff pages (staff stay where they are)."""
        for strip in (self.pin.strip, self.staff.strip):
            strip.setText(
                strip.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(100, self.width() - 40))
            )
            strip.setStyleSheet(style(20, True, ink, f"background: {background}; padding: 0 12px; border-radius: 8px;"))

    def hide_member_strip(self) -> None:
        """No member's verdict on the staff pages (the room stays)."""
        for strip in (self.pin.strip, self.staff.strip):
            strip.setText("")
            strip.setStyleSheet("background: transparent;")

    @property
    def member_strip(self) -> Plain:
        """The strip on the page in front (the PIN's or the staff page's)."""
        return self.staff.strip if self.page is self.staff else self.pin.strip

    def allow_close(self) -> None:
        """Staff chose to exit: the next close goes through."""
        self._may_close = True

    def closeEvent(self, event: QCloseEvent) -> None:
        """Alt+F4 and the window manager cannot close an unattended kiosk."""
        if self._may_close:
            event.accept()
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape does nothing; everything else goes to the focused widget."""
        if event.key() != Qt.Key.Key_Escape:
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Note any touch, click or key anywhere in the window (it still goes where it was going)."""
        if event.type() in _TOUCHES:
            self.touched.emit()
        return False
