"""The kiosk's building blocks for a touch screen: labels that break Japanese between phrases, big buttons, a keypad."""

from __future__ import annotations

from functools import lru_cache

import budoux
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

INK, GREEN, RED, AMBER = "#1c1c1c", "#1b5e20", "#b3261e", "#ffb300"
TOUCH = 64  # px: the smallest target a finger hits reliably (the issue asks at least 60)
WORD_JOINER, PHRASE_BREAK = "\u2060", "\u200b"


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    """BudouX's Japanese phrase model (loaded once)."""
    return budoux.load_default_japanese_parser()


def _japanese(text: str) -> bool:
    """True when the text holds kana or kanji (only those need phrase breaking)."""
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


@lru_cache(maxsize=512)
def keep_phrases(text: str) -> str:
    """Japanese that wraps only between phrases (読み取って never splits), by BudouX and Unicode joiners."""
    if not _japanese(text):
        return text
    lines = []
    for line in text.split("\n"):
        lines.append(PHRASE_BREAK.join(WORD_JOINER.join(phrase) for phrase in _parser().parse(line)))
    return "\n".join(lines)


def style(size: int, bold: bool = False, colour: str = INK, extra: str = "") -> str:
    """The kiosk's type as a style sheet."""
    return f"font-size: {size}pt; font-weight: {'bold' if bold else 'normal'}; color: {colour}; {extra}"


class Words(QLabel):
    """A word-wrapped label; text() gives back exactly what was set, without the joiners added for wrapping."""

    def __init__(
        self, text: str = "", size: int = 18, bold: bool = False, colour: str = INK, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._plain = ""
        self.setWordWrap(True)
        self.setStyleSheet(style(size, bold, colour))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Show the text, wrapping Japanese only between phrases."""
        self._plain = text
        super().setText(keep_phrases(text))

    def text(self) -> str:
        """The text as set."""
        return self._plain


class OneLine(QLabel):
    """A label kept to one line: a text too long for the width ends in '…' rather than pushing the page taller."""

    def __init__(self, text: str = "", size: int = 18, bold: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self.setStyleSheet(style(size, bold))
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._fit()

    def setText(self, text: str) -> None:
        """Show as much of the text as fits."""
        self._full = text
        self._fit()

    def text(self) -> str:
        """The whole text."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit the text again to the new width."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The text, cut with '…' to the width."""
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(40, self.width())))


def big_button(text: str = "", colour: str = "#e8eaed", ink: str = INK, size: int = 18) -> QPushButton:
    """A button a finger hits: at least TOUCH px tall, large type."""
    button = QPushButton(text)
    button.setMinimumHeight(TOUCH)
    button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    button.setStyleSheet(
        f"QPushButton {{ font-size: {size}pt; font-weight: bold; color: {ink}; background: {colour}; "
        f"border: 1px solid #9aa0a6; border-radius: 10px; padding: 4px 16px; }} "
        f"QPushButton:checked {{ background: #1565c0; color: white; }} "
        f"QPushButton:disabled {{ color: #80868b; background: #f1f3f4; }}"
    )
    return button


class Keypad(QWidget):
    """A numeric keypad for a touch screen: digits, delete, clear and OK; it keeps what was typed."""

    typed = Signal(str)  # the digits so far, after each key
    submitted = Signal(str)

    def __init__(self, max_digits: int = 12, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_digits = max_digits
        self.digits = ""
        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout(self)
        grid.setSpacing(8)
        for index, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete"]):
            button = big_button(key if key.isdigit() else "", size=24)
            button.setMinimumSize(TOUCH + 32, TOUCH + 8)
            button.clicked.connect(lambda _=False, key=key: self.press(key))
            self.keys[key] = button
            grid.addWidget(button, index // 3, index % 3)
        self.keys["delete"].setText("⌫")
        self.ok = big_button("OK", "#1565c0", "white", 24)
        self.ok.setMinimumHeight(TOUCH + 8)
        self.ok.clicked.connect(lambda: self.submitted.emit(self.digits))
        grid.addWidget(self.ok, 4, 0, 1, 3)

    def press(self, key: str) -> None:
        """One key: a digit, delete or clear."""
        if key == "delete":
            self.digits = self.digits[:-1]
        elif key == "clear":
            self.digits = ""
        elif len(self.digits) < self.max_digits:
            self.digits += key
        self.typed.emit(self.digits)

    def clear(self) -> None:
        """Forget what was typed."""
        self.digits = ""
        self.typed.emit("")

    def retranslate(self, clear: str, ok: str) -> None:
        """The clear and OK keys' words."""
        self.keys["clear"].setText(clear)
        self.ok.setText(ok)


def centred(widget: QLabel) -> QLabel:
    """The label, centred."""
    widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget
