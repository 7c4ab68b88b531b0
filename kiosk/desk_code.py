"""The rotating front-desk code: signed by the kiosk's key, a new one every period, useless elsewhere or later."""

from __future__ import annotations

from facility.clock import Clock
from facility.tokens import DeskCode, SigningKey, mint


class DeskCodeShow:
    """The code the kiosk shows now, minted once per time step."""

    def __init__(self, facility_id: str, kiosk_id: str, period: int, key: SigningKey, clock: Clock) -> None:
        self.facility_id = facility_id
        self.kiosk_id = kiosk_id
        self.period = period
        self.key = key
        self.clock = clock
        self._minted: tuple[int, str] | None = None

    def current(self) -> tuple[str, int]:
        """The code's text and the seconds until it changes."""
        now = self.clock.now().timestamp()
        step = int(now // self.period)
        if self._minted is None or self._minted[0] != step:
            self._minted = (step, mint(DeskCode(self.facility_id, self.kiosk_id, step, self.period), self.key))
        return self._minted[1], int((step + 1) * self.period - now) + 1
