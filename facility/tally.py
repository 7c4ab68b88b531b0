"""Refusals of what anyone may send, audited in aggregate: the first of each reason per period at once, the rest
as a count carried by the next row.

A key set or a desk check-in can be sent by an insider as often as the broker lets it through; one audit row each
would let them grow the audit trail (and the platform's copy of it) without bound. The audit keeps its evidence:
every refusal is counted, the first of a period carries its detail, and no count is dropped (a stop drains the
rest). Bounded memory: one entry per reason, and reasons are a fixed catalogue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

TALLY_SECONDS = 60.0


@dataclass(frozen=True)
class Tallied:
    """Whether to audit this refusal now, and how many of its reason went unaudited before it."""

    audit_now: bool
    unaudited_before: int = 0

    def detail(self, detail: str) -> str:
        """The row's detail, with the count of the refusals it stands for besides itself."""
        return f"{detail}; {self.unaudited_before} more refused before it" if self.unaudited_before else detail


class RefusalTally:
    """Counts refusals per reason code on a monotonic clock, so a stepped wall clock cannot open the gate."""

    def __init__(self, monotonic: Callable[[], float], period: float = TALLY_SECONDS) -> None:
        self._monotonic = monotonic
        self._period = period
        self._open: dict[str, tuple[float, int]] = {}  # reason code -> (its period began, refusals not audited)
        self._lock = threading.Lock()

    def note(self, reason: str) -> Tallied:
        """Count one refusal of `reason`: audited now if it is the first of its period."""
        with self._lock:
            now = self._monotonic()
            began, hidden = self._open.get(reason, (None, 0))
            if began is not None and now - began < self._period:
                self._open[reason] = (began, hidden + 1)
                return Tallied(False)
            self._open[reason] = (now, 0)
            return Tallied(True, hidden)

    def drain(self) -> dict[str, int]:
        """The refusals counted and not audited yet, per reason (written out at a stop); the tally starts again."""
        with self._lock:
            left = {reason: hidden for reason, (_, hidden) in self._open.items() if hidden}
            self._open.clear()
            return left
