"""The staff side, behind the PIN: today's check-ins, the queue, overrides, companions, the report, exit."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from facility.models import Plan
from kiosk.screens import label
from kiosk.texts import t


class PinPage(QWidget):
    """Asks for the staff PIN; emits the digits typed."""

    entered = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompt, self.message = label("", 24, True), label("", 18, True, "#b3261e")
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self.pin.setStyleSheet("font-size: 28pt;")
        self.pin.returnPressed.connect(self._submit)
        self.back = QPushButton()
        self.back.clicked.connect(self.cancelled.emit)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (self.prompt, self.pin, self.message, self.back):
            layout.addWidget(widget, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    def _submit(self) -> None:
        """Hand over the PIN and clear the field."""
        pin = self.pin.text()
        self.pin.clear()
        self.entered.emit(pin)

    def retranslate(self, language: str) -> None:
        """Fixed texts in the language."""
        self.prompt.setText(t("pin_prompt", language))
        self.back.setText(t("back", language))


class StaffPage(QWidget):
    """What staff can see and do; the controller fills it and handles its buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary, self.message = label("", 18, True), label("", 16, True, "#1b7f3b")
        self.health = label("", 14, True, "#b3261e")  # background tasks that are failing, in words
        self.today = QTableWidget(0, 6)
        self.today.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.today.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.dead = QListWidget()
        self.dead_title = label("", 14, True)
        self.form_labels = {key: QLabel() for key in ("member_id", "name", "reason")}
        self.camera = QLabel()
        self.camera.setFixedSize(320, 180)
        self.member_id, self.member_name, self.reason = QLineEdit(), QLineEdit(), QLineEdit()
        self.plan = QComboBox()
        self.plan.addItems([plan.value for plan in Plan])
        self.buttons = {name: QPushButton() for name in (
            "back", "exit", "check_out", "retry_dead", "admit_manual", "override", "companion_in", "companion_out", "report")}
        self._layout()

    def _layout(self) -> None:
        """Summary and actions on top, today's check-ins in the middle, forms and the camera below."""
        actions = QHBoxLayout()
        for name in ("back", "check_out", "companion_in", "companion_out", "report", "retry_dead", "exit"):
            actions.addWidget(self.buttons[name])
        form = QGridLayout()
        for row, (key, field) in enumerate((("member_id", self.member_id), ("name", self.member_name))):
            form.addWidget(self.form_labels[key], row, 0)
            form.addWidget(field, row, 1)
        form.addWidget(self.plan, 2, 1)
        form.addWidget(self.form_labels["reason"], 3, 0)
        form.addWidget(self.reason, 3, 1)
        dead = QVBoxLayout()
        dead.addWidget(self.dead_title)
        dead.addWidget(self.dead)
        form.addWidget(self.buttons["admit_manual"], 4, 0)
        form.addWidget(self.buttons["override"], 4, 1)
        lower = QHBoxLayout()
        lower.addLayout(form, 2)
        lower.addLayout(dead, 2)
        lower.addWidget(self.camera)
        page = QVBoxLayout(self)
        page.addWidget(self.summary)
        page.addWidget(self.health)
        page.addLayout(actions)
        page.addWidget(self.today, 1)
        page.addLayout(lower)
        page.addWidget(self.message)

    def retranslate(self, language: str, companion_fee: int | None) -> None:
        """Fixed texts in the language."""
        for name, button in self.buttons.items():
            if name == "companion_in":
                button.setText(t("companion_in", language, fee=companion_fee) if companion_fee is not None
                               else t("companion_not_sold", language))
                button.setEnabled(companion_fee is not None)
            else:
                button.setText(t(name, language))
        for key, widget in self.form_labels.items():
            widget.setText(t(key, language))
        self.dead_title.setText(t("dead_title", language))
        self.member_id.setPlaceholderText(t("member_id", language))
        self.member_name.setPlaceholderText(t("name", language))
        self.reason.setPlaceholderText(t("reason", language))
        self.today.setHorizontalHeaderLabels([t(f"column_{c}", language) for c in ("time", "member", "name", "kind",
                                                                                  "until", "source")])

    def show_today(self, rows: Sequence[tuple[str, ...]]) -> None:
        """Today's check-ins, newest first; the row's key is kept for check-out."""
        self.today.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, value in enumerate(row[1:]):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, row[0])
                self.today.setItem(number, column, item)

    def selected_key(self) -> str | None:
        """The check-in chosen in the table."""
        items = self.today.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None
