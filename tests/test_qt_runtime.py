"""The Qt binding the kiosk runs on must survive signals crossing threads (PySide6 6.12.0 did not)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage


class Emitter(QObject):
    """Emits the kinds of signal the kiosk's scanner and outbox send, from its own thread."""

    text, image, flag = Signal(str), Signal(QImage), Signal(bool)

    @Slot()
    def run(self) -> None:
        """Emit many times."""
        image = QImage(8, 8, QImage.Format.Format_RGB888)
        for _ in range(3000):
            self.text.emit("x")
            self.image.emit(image)
            self.flag.emit(True)


def test_cross_thread_signals_leave_reference_counts_alone(qapp) -> None:
    emitter, thread, heard = Emitter(), QThread(), []
    emitter.moveToThread(thread)
    thread.started.connect(emitter.run)
    emitter.flag.connect(lambda value: heard.append(value))  # noqa: PLW0108 (a Python slot, as the kiosk has)
    before = sys.getrefcount(True)
    thread.start()
    thread.quit()
    assert thread.wait(10000)
    QCoreApplication.sendPostedEvents()
    assert len(heard) == 3000
    assert abs(sys.getrefcount(True) - len(heard) - before) < 10  # a broken binding loses one per signal
