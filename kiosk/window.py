"""The kiosk's window: full screen, no decorations, and no way out but the staff PIN."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QStackedLayout, QWidget

from kiosk.screens import HomePage, VerdictPage
from kiosk.staff import PinPage, StaffPage


class KioskWindow(QWidget):
    """Holds the pages; refuses to close until staff choose to exit."""

    def __init__(self, facility_name: str) -> None:
        super().__init__()
        self.setWindowTitle("officepass kiosk")
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setStyleSheet("KioskWindow { background: #fafafa; }")
        self.home, self.verdict = HomePage(facility_name), VerdictPage()
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
