"""The kiosk's building blocks for a touch screen: labels that break Japanese between phrases, big buttons, a keypad.

Every label is a Plain label: plain text, never Qt rich text (a member's name like `<b></b><!--` is shown as it is
written), with the display rule of facility/plaintext.py applied to whatever it is given."""

from __future__ import annotations

from functools import lru_cache

import budoux
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

from facility.plaintext import displayed

INK, GREEN, RED, AMBER = "#1c1c1c", "#1b5e20", "#b3261e", "#ffb300"
TOUCH = 64  # px: the smallest target a finger hits reliably (the issue asks at least 60)
WORD_JOINER, PHRASE_BREAK = "\u2060", "\u200b"
LONGEST_RUN = 16  # characters with nowhere to wrap, at most: a longer one (a name of one long word) may wrap inside


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


def breakable(text: str) -> str:
    """The text with somewhere to wrap at least every LONGEST_RUN characters: a longer run without a space or a phrase
    break (a member's name of one long word, a path) gets a phrase break, so no label grows wider than the screen."""
    out: list[str] = []
    run = 0
    for ch in text:
        if ch.isspace() or ch == PHRASE_BREAK:
            run = 0
        elif ch != WORD_JOINER:
            if run == LONGEST_RUN:
                if out and out[-1] == WORD_JOINER:
                    out.pop()  # the joiner would forbid the break
                out.append(PHRASE_BREAK)
                run = 0
            run += 1
        out.append(ch)
    return "".join(out)


def style(size: int, bold: bool = False, colour: str = INK, extra: str = "") -> str:
    """The kiosk's type as a style sheet."""
    return f"font-size: {size}pt; font-weight: {'bold' if bold else 'normal'}; color: {colour}; {extra}"


class Plain(QLabel):
    """A label that shows plain text only. QLabel's default (Qt.AutoText) renders anything that looks like HTML as
    rich text, so a name could hide or restyle the words around it; here the format is fixed to plain text, and the
    text loses its controls and bidi marks (facility/plaintext.py; the program's own line breaks stay). Every label
    of the kiosk and the technician's panel is one (tests/test_plain_text.py walks them all)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        super().setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Show the text, plainly."""
        super().setText(displayed(text, None, lines=True))

    def setTextFormat(self, format: Qt.TextFormat) -> None:
        """Plain text it stays."""
        if format != Qt.TextFormat.PlainText:
            raise ValueError("a Plain label shows plain text only; escape outside text into rich text elsewhere")


class Words(Plain):
    """A word-wrapped label; text() gives back exactly what was set, without the joiners and breaks added for
    wrapping (Japanese between phrases, and any run too long for the screen)."""

    def __init__(
        self, text: str = "", size: int = 18, bold: bool = False, colour: str = INK, parent: QWidget | None = None
    ) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setStyleSheet(style(size, bold, colour))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Show the text, wrapping Japanese only between phrases."""
        self._plain = displayed(text, None, lines=True)
        super().setText(breakable(keep_phrases(self._plain)))

    def text(self) -> str:
        """The text as set (and as shown: plain, without controls or bidi marks)."""
        return self._plain


class OneLine(Plain):
    """A label kept to one line: a text too long for the width ends in '…' rather than pushing the page taller."""

    def __init__(self, text: str = "", size: int = 18, bold: bool = False, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self._full = displayed(text)
        self.setStyleSheet(style(size, bold))
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._fit()

    def setText(self, text: str) -> None:
        """Show as much of the text as fits (on one line: a line break in it is a space)."""
        self._full = displayed(text)
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
        Plain.setText(
            self, self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(40, self.width()))
        )


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
