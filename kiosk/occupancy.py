"""Tells the platform who is in whenever it changes, so the app's vacancy colour is live; and, asking again every
few seconds when nothing changed, is the kiosk's probe of the platform (kiosk/state.py reads `answered`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from facility.contract import OccupancyAnswer, OccupancyBody, occupancy_path
from facility.loop import BackgroundLoop
from facility.platform import Backoff, PlatformClient, PlatformError
from kiosk.state import PlatformWord

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0  # how soon a change (a check-out, a visit past its limit) reaches the platform at the latest
PROBE_SECONDS = 15.0  # the same report again after this long: a cut platform is seen within ~20 s, not minutes
RETRY_CAP = 30.0  # while failing, asked again at most this long apart (jittered): a platform back is seen soon


def condition_of(exc: PlatformError) -> str:
    """What a failed call says of the platform: credentials refused, unreachable, or answering with errors."""
    if exc.credentials:
        return "credentials"
    return "unreachable" if exc.status == 0 else "errors"


class OccupancyReporter(BackgroundLoop):
    """Reports occupancy when it changed since the last report the platform took, and again now and then."""

    name = "kiosk-occupancy"

    def __init__(
        self,
        client: PlatformClient,
        facility_id: str,
        report: Callable[[], OccupancyBody],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.client = client
        self.facility_id = facility_id
        self.report = report
        self.monotonic = monotonic
        self.backoff = Backoff(base=1.0, cap=RETRY_CAP)
        self.failing = ""
        self.answered: PlatformWord | None = None  # what the last call learnt of the platform, and when
        self._reported: OccupancyBody | None = None

    def problem(self) -> str:
        """The last report's failure, "" after a good one."""
        return self.failing

    def cycle(self) -> float:
        """Report if changed (or not asked for a while); check again soon (or back off while the platform fails)."""
        current = self.report()
        fresh = self.answered is not None and self.monotonic() - self.answered.at < PROBE_SECONDS
        if current == self._reported and fresh and not self.failing:
            return CHECK_SECONDS
        try:
            self.client.call("PUT", occupancy_path(self.facility_id), OccupancyAnswer, current)
        except PlatformError as exc:
            if not self.failing:  # said once per outage; the state and the staff page keep saying it
                log.warning("occupancy not reported: %s", exc)
            self.failing = str(exc)
            self.answered = PlatformWord(condition_of(exc), str(exc), self.monotonic())
            return self.backoff.next_delay(exc.retry_after)
        self._reported = current
        self.failing = ""
        self.answered = PlatformWord("ok", "", self.monotonic())
        self.backoff.reset()
        return CHECK_SECONDS
