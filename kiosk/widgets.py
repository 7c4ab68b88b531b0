"""The kiosk's building blocks for a touch screen: labels that break Japanese between phrases, big buttons, a keypad.

Every label is a Plain label: plain text, never Qt rich text (a member's name like `<b></b><!--` is shown as it is
written), with the display rule of facility/plaintext.py applied to whatever it is given."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import budoux
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QTextLayout, QTextOption
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

from facility.plaintext import ELLIPSIS, displayed

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


def breakable(text: str, too_wide: Callable[[str], bool] | None = None) -> str:
    """The text with somewhere to wrap inside every run that has nowhere to wrap (no space, no phrase break) and is too
    wide for the label (`too_wide`, given the run; without it: longer than LONGEST_RUN characters). Such a run (a
    member's name of one long word, a path) may wrap between any two of its characters, as Japanese may: a label never
    needs more width than it has, and a word that fits is never cut."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        shown = "".join(ch for ch in run if ch != WORD_JOINER)
        wide = too_wide(shown) if too_wide is not None else len(shown) > LONGEST_RUN
        out.append(PHRASE_BREAK.join(shown) if wide and len(shown) > 1 else "".join(run))
        run.clear()

    for ch in text:
        if ch.isspace() or ch == PHRASE_BREAK:
            flush()
            out.append(ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


_MEASURES: dict[str, QFontMetrics] = {}


def _metrics(key: str, font: QFont) -> QFontMetrics:
    """The font's metrics, made once per font (measuring runs is the hot part of fitting a text)."""
    if key not in _MEASURES:
        _MEASURES[key] = QFontMetrics(font)
    return _MEASURES[key]


def _font(base: QFont, size: int) -> QFont:
    """The font at this size in points."""
    font = QFont(base)
    font.setPointSize(size)
    return font


def text_lines(text: str, font: QFont, width: int) -> tuple[int, bool]:
    """How many lines the text takes at this width, word-wrapped as a label wraps it, and whether every line fits
    (False: a run with nowhere to wrap is wider than the width)."""
    layout = QTextLayout(text.replace("\n", "\u2028"), font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    count, fits = 0, True
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        count += 1
        fits = fits and line.naturalTextWidth() <= width
    layout.endLayout()
    return count, fits


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
    """A word-wrapped label that never asks for more width than it is given: Japanese wraps between phrases, and a
    run with nowhere to wrap that is wider than the label (a name of one long word) wraps between its characters.
    text() gives back exactly what was set, without the joiners and breaks added for wrapping.

    With a `floor`, it is a headline that shrinks to fit: the largest type from its size down to the floor at which
    every word fits the width in at most `lines` lines; at the floor, long words wrap anywhere, and the part of the
    text set as `cut` (a member's name) is shortened to end in '…' until the text fits its lines."""

    def __init__(
        self,
        text: str = "",
        size: int = 18,
        bold: bool = False,
        colour: str = INK,
        parent: QWidget | None = None,
        *,
        floor: int | None = None,
        lines: int = 0,
    ) -> None:
        super().__init__("", parent)
        self._plain, self._cut = "", ""
        self._look = (size, bold, colour, "")
        self._floor, self._lines = floor, lines
        self._scale = 1.0
        self._fitted: tuple[int, str] = (0, "")  # the width and the style sheet of the last fit
        self._sheet = ""  # the style sheet the last fit applied
        self.setWordWrap(True)
        # Preferred: laid out at its natural width where there is room; never a minimum wider than it is given
        # (minimumSizeHint), so no text can push a page, or the window, past the screen.
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setText(text)

    def setText(self, text: str, cut: str = "") -> None:
        """Show the text, wrapping Japanese only between phrases; `cut`, a part of it, is what may end in '…'."""
        if not hasattr(self, "_look"):
            return  # QLabel's constructor, before this one's: the text comes once the label is made
        self._plain = displayed(text, None, lines=True)
        self._cut = displayed(cut, None) if cut and displayed(cut, None) in self._plain else ""
        self._fitted = (0, "")
        self._fit()

    def text(self) -> str:
        """The text as set (and as shown: plain, without controls or bidi marks)."""
        return self._plain

    def set_look(self, size: int, bold: bool = False, colour: str = INK, extra: str = "") -> None:
        """The type and colour (and any further style, e.g. a box): at most `size` points (see set_scale)."""
        self._look = (size, bold, colour, extra)
        self._fitted = (0, "")
        self._fit()

    def set_scale(self, scale: float) -> None:
        """Type at this share of its size (a page that does not fit its screen shrinks all of its words)."""
        if scale != self._scale:
            self._scale = scale
            self._fitted = (0, "")
            self._fit()

    @property
    def point_size(self) -> int:
        """The size of the type as shown now."""
        return self.font().pointSize()

    def minimumSizeHint(self) -> QSize:
        """No minimum width: the text wraps to whatever width the page gives it."""
        return QSize(0, super().minimumSizeHint().height())

    def height_at(self, width: int) -> int:
        """The height the label needs at this width, fitted to it first (a page fitting itself asks before it lays
        its words out)."""
        self._fit(width)
        return self.heightForWidth(width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit the text to the new width."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def _room(self, width: int | None) -> int:
        """The width the text has: the label's (or the width given), less its margins and padding."""
        margins = self.contentsMargins()
        whole = self.width() if width is None else width
        return whole - margins.left() - margins.right() - 2 * self.margin()

    def _fit(self, width: int | None = None) -> None:
        """Choose the type's size and where the text may wrap for the width; show it."""
        size, bold, colour, extra = self._look
        top = max(1, round(size * self._scale))
        floor = min(top, max(1, round(self._floor * self._scale))) if self._floor else top
        room = self._room(width)
        sheet = style(top, bold, colour, extra)
        if (room, sheet + self._plain) == self._fitted:
            return
        self._fitted = (room, sheet + self._plain)
        phrased = keep_phrases(self._plain)
        shown, chosen = breakable(phrased), top
        if room > 0:
            base = QFont(self.font())
            base.setBold(bold)
            shown, chosen = self._sized(phrased, base, room, top, floor)
        self._show(style(chosen, bold, colour, extra), shown)

    def _sized(self, phrased: str, base: QFont, room: int, top: int, floor: int) -> tuple[str, int]:
        """The text as it will wrap and the largest size (top down to floor) at which it fits the room."""
        sizes = range(top, floor - 1, -1 if top - floor <= 12 else -2)
        for size in sizes:  # whole words first: the largest type at which no word is cut
            font = _font(base, size)
            lines, fits = text_lines(phrased, font, room)
            if fits and (not self._lines or lines <= self._lines):
                return phrased, size
        for size in sizes:  # a word that fits at no size (a long name) wraps inside: the largest type that then fits
            font = _font(base, size)
            wrapped = self._anywhere(phrased, font, room)
            if not self._lines or text_lines(wrapped, font, room)[0] <= self._lines:
                return wrapped, size
        font = _font(base, floor)
        return (self._shortened(font, room) if self._cut else self._anywhere(phrased, font, room)), floor

    @staticmethod
    def _anywhere(phrased: str, font: QFont, room: int) -> str:
        """The text wrapping inside any run wider than the room."""
        metrics = _metrics(font.key(), font)
        return breakable(phrased, lambda run: metrics.horizontalAdvance(run) > room)

    def _shortened(self, font: QFont, room: int) -> str:
        """The text with its cut part shortened (ending in '…') until it fits the lines, or down to one letter."""
        cut = self._cut
        for keep in range(len(cut) - 1, 0, -1):
            text = keep_phrases(self._plain.replace(cut, cut[:keep].rstrip() + ELLIPSIS, 1))
            wrapped = self._anywhere(text, font, room)
            if text_lines(wrapped, font, room)[0] <= self._lines:
                return wrapped
        return self._anywhere(keep_phrases(self._plain.replace(cut, cut[:1] + ELLIPSIS, 1)), font, room)

    def _show(self, sheet: str, shown: str) -> None:
        """Apply the style and the text (only what changed: each costs a new layout)."""
        if sheet != self._sheet:  # a style sheet set from outside stays until the fitted one changes
            self._sheet = sheet
            self.setStyleSheet(sheet)
            self.ensurePolished()
        if shown != QLabel.text(self):
            Plain.setText(self, shown)


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

    def minimumSizeHint(self) -> QSize:
        """No minimum width: the text is cut to whatever width the page gives it."""
        return QSize(0, super().minimumSizeHint().height())

    def _fit(self) -> None:
        """The text, cut with '…' to the width (measured again: a text mixing scripts may come out a little wider
        than the width it was cut for)."""
        self.ensurePolished()
        metrics = self.fontMetrics()
        room = max(1, self.contentsRect().width() - 2 * self.margin())
        shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        while shown and shown != self._full and metrics.horizontalAdvance(shown) > room:
            room -= max(1, metrics.averageCharWidth())
            shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        Plain.setText(self, shown)


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


Label = TypeVar("Label", bound=QLabel)


def centred(widget: Label) -> Label:
    """The label, centred."""
    widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget
