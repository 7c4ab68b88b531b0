"""Tells the platform who is in whenever it changes, so the app's vacancy colour is live."""

from __future__ import annotations

import logging
from collections.abc import Callable

from facility.contract import OccupancyAnswer, OccupancyBody, occupancy_path
from facility.loop import BackgroundLoop
from facility.platform import Backoff, PlatformClient, PlatformError

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0  # how soon a change (a check-out, a visit past its limit) reaches the platform at the latest


class OccupancyReporter(BackgroundLoop):
    """Reports occupancy when it changed since the last report the platform took."""

    name = "kiosk-occupancy"

    def __init__(self, client: PlatformClient, facility_id: str, report: Callable[[], OccupancyBody]) -> None:
        super().__init__()
        self.client = client
        self.facility_id = facility_id
        self.report = report
        self.backoff = Backoff(base=1.0, cap=300.0)
        self.failing = ""
        self._reported: OccupancyBody | None = None

    def problem(self) -> str:
        """The last report's failure, "" after a good one."""
        return self.failing

    def cycle(self) -> float:
        """Report if changed; check again soon (or back off while the platform fails)."""
        current = self.report()
        if current == self._reported:
            return CHECK_SECONDS
        try:
            self.client.call("PUT", occupancy_path(self.facility_id), OccupancyAnswer, current)
        except PlatformError as exc:
            self.failing = str(exc)
            log.warning("occupancy not reported: %s", exc)
            return self.backoff.next_delay(exc.retry_after)
        self._reported = current
        self.failing = ""
        self.backoff.reset()
        return CHECK_SECONDS
