"""Log lines that outside text cannot forge: a member's name, a pass's text or a platform's error quoted in a log
message cannot start a line of its own, colour the terminal or reorder the line (newlines, ANSI escapes, other
control characters and bidi marks are written as visible escapes, facility/plaintext.py).

Every program installs it where it sets up its logging: `install()` puts the filter on the root logger's handlers
and on logging's last resort (a program that configures no handler), so every record any module logs is escaped,
whatever format the program chose.
"""

from __future__ import annotations

import logging

from facility.plaintext import escaped

ESCAPED = "officepass_escaped"  # set on a record once its message is escaped


def _escaped_lines(text: str) -> str:
    """A traceback or stack keeps its lines; what is inside a line (an exception's message quoting outside text) is
    escaped, and every line is indented, so no line of it reads as a record of its own."""
    return "\n".join("  " + escaped(line) for line in text.split("\n"))


class EscapeControls(logging.Filter):
    """Rewrites a record's message with its control characters escaped (one line); tracebacks are indented."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Escape the record in place, once (the same record may pass several handlers)."""
        if getattr(record, ESCAPED, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a message that does not format: logging's own handleError reports it when formatting
            return True
        record.msg, record.args = escaped(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _escaped_lines(record.exc_text)
        if record.stack_info:
            record.stack_info = _escaped_lines(record.stack_info)
        setattr(record, ESCAPED, True)
        return True


FILTER = EscapeControls()


def install(handlers: list[logging.Handler] | None = None) -> None:
    """Escape every record written by these handlers (default: the root logger's and logging's last resort). Call
    it after logging.basicConfig; calling it again adds nothing."""
    chosen = list(logging.getLogger().handlers) if handlers is None else list(handlers)
    if handlers is None and logging.lastResort is not None:
        chosen.append(logging.lastResort)
    for handler in chosen:
        if FILTER not in handler.filters:
            handler.addFilter(FILTER)
