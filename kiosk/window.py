"""The kiosk's window: full screen, no decorations, and no way out but the staff PIN."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QScreen, QShowEvent
from PySide6.QtWidgets import QLayout, QSizePolicy, QStackedLayout, QWidget

from kiosk.screens import HomePage, VerdictPage
from kiosk.staff import PinPage, StaffPage
from kiosk.widgets import Plain, style

UNBOUNDED = 16777215  # QWIDGETSIZE_MAX: no cap on a window's size
STRIP_PADDING = 12  # px each side of a member's line in the strip

# Input that shows a person is at the screen (for the staff page's idle lock and the language's return).
_TOUCHES = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin}


class KioskWindow(QWidget):
    """Holds the pages and, above them, the strip that shows a member's verdict while staff work."""

    touched = Signal()

    def __init__(self, facility_name: str, camera_first: bool) -> None:
        super().__init__()
        self.setWindowTitle("受付 / Reception")
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setStyleSheet("KioskWindow { background: #eceff1; }")
        self.home, self.verdict = HomePage(facility_name, camera_first), VerdictPage()
        self.pin, self.staff = PinPage(), StaffPage()
        self.stack = QStackedLayout(self)
        # The pages never size the window: what a page cannot fit it wraps, shrinks or cuts with '…'. (By default a
        # layout makes its window at least as large as its largest page wants, so one long name once kept the window
        # wider than the screen until a restart.)
        self.stack.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        for page in (self.home, self.verdict, self.pin, self.staff):
            page.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            self.stack.addWidget(page)
        self._strip_text = ""
        for strip in (self.pin.strip, self.staff.strip):
            # A member's line is cut to the strip's width, never the other way round.
            strip.setSizePolicy(QSizePolicy.Policy.Ignored, strip.sizePolicy().verticalPolicy())
            strip.installEventFilter(self)
        self._may_close = False
        self._watched: QScreen | None = None

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
        """A member's verdict, at the top of the staff pages (staff stay where they are), cut with '…' to the strip."""
        self._strip_text = text
        for strip in (self.pin.strip, self.staff.strip):
            strip.setStyleSheet(
                style(20, True, ink, f"background: {background}; padding: 0 {STRIP_PADDING}px; border-radius: 8px;")
            )
            self._fit_strip(strip)

    def hide_member_strip(self) -> None:
        """No member's verdict on the staff pages (the room stays)."""
        self._strip_text = ""
        for strip in (self.pin.strip, self.staff.strip):
            strip.setText("")
            strip.setStyleSheet("background: transparent;")

    def _fit_strip(self, strip: Plain) -> None:
        """The member's line, cut with '…' to the strip's width (measured again: mixed scripts may come out wider)."""
        strip.ensurePolished()
        metrics = strip.fontMetrics()
        room = max(1, strip.contentsRect().width())
        shown = metrics.elidedText(self._strip_text, Qt.TextElideMode.ElideRight, room)
        while shown and shown != self._strip_text and metrics.horizontalAdvance(shown) > room:
            room -= max(1, metrics.averageCharWidth())
            shown = metrics.elidedText(self._strip_text, Qt.TextElideMode.ElideRight, room)
        strip.setText(shown)

    def fit_screen(self, screen_size: QSize | None = None) -> None:
        """Never larger than the screen: capped at `screen_size`, or at the screen's geometry while full screen (its
        available geometry otherwise); called again whenever the screen changes (rotated, replaced)."""
        screen = self.screen()
        if screen_size is None and screen is not None:
            area = screen.geometry() if self.isFullScreen() else screen.availableGeometry()
            screen_size = area.size()
        if screen_size is not None:
            self.setMaximumSize(screen_size)
            if self.width() > screen_size.width() or self.height() > screen_size.height():
                self.resize(self.size().boundedTo(screen_size))

    def showEvent(self, event: QShowEvent) -> None:
        """Full screen (the kiosk): capped at the screen, and kept so when the screen changes. A window for a
        developer (--windowed) or a test may be any size."""
        super().showEvent(event)
        if self.isFullScreen():
            self.fit_screen()
            self._watch_screen()

    def changeEvent(self, event: QEvent) -> None:
        """Going full screen caps the window at the screen; leaving it lifts the cap."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            if self.isFullScreen():
                self.fit_screen()
                self._watch_screen()
            else:
                self.setMaximumSize(UNBOUNDED, UNBOUNDED)

    def _watch_screen(self) -> None:
        """Fit the screen again when its geometry changes, or the window moves to another screen."""
        handle = self.windowHandle()
        screen = self.screen()
        if handle is not None and self._watched is None:
            handle.screenChanged.connect(lambda _screen: self._screen_changed())
        if screen is not None and screen is not self._watched:
            screen.geometryChanged.connect(lambda _rect: self._screen_changed())
            screen.availableGeometryChanged.connect(lambda _rect: self._screen_changed())
            self._watched = screen

    def _screen_changed(self) -> None:
        """The screen changed: fit it again, while full screen."""
        if self.isFullScreen():
            self.fit_screen()
            self._watch_screen()

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
        """Note any touch, click or key anywhere in the window (it still goes where it was going); a member's strip
        that changed width cuts its line again."""
        if event.type() in _TOUCHES:
            self.touched.emit()
        elif event.type() == QEvent.Type.Resize and watched in (self.pin.strip, self.staff.strip):
            assert isinstance(watched, Plain)
            if self._strip_text:
                self._fit_strip(watched)
        return False
