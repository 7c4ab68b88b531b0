"""The outbox: every kept check-in reaches the platform exactly once, however long the platform is away.

Each item keeps its idempotency key across retries; failures back off exponentially with
jitter (honouring Retry-After); a 4xx answer other than 408 and 429 is final and the item
becomes a dead letter that staff see. The same loop refreshes keys and revocations and
reports occupancy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from facility.loop import BackgroundLoop
from facility.platform import PlatformClient, PlatformError, backoff_delay
from facility.tokens import Revocations
from kiosk.store import KioskStore, OutboxItem

log = logging.getLogger(__name__)
REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class OutboxStatus:
    """What staff see of the link to the platform."""

    queued: int
    dead: int
    reachable: bool
    last_error: str


class OutboxSender(BackgroundLoop):
    """Sends queued check-ins on a background thread; waits on an event, never a bare sleep."""

    name = "kiosk-outbox"

    def __init__(self, store: KioskStore, client: PlatformClient, facility_id: str,
                 occupancy_report: Callable[[], dict], on_status: Callable[[OutboxStatus], None] = lambda status: None) -> None:
        super().__init__()
        self.store = store
        self.client = client
        self.facility_id = facility_id
        self.occupancy_report = occupancy_report
        self.on_status = on_status
        self.reachable = True
        self.last_error = ""
        self._next_refresh = 0.0
        self._reported: dict | None = None

    def retry_dead_letters(self) -> int:
        """Staff put dead letters back in the queue (after the cause was fixed); returns how many."""
        dead = self.store.outbox("dead")
        for item in dead:
            self.store.settle(item.key, "queued", 0, time.time(), item.last_error)
        self.wake()
        return len(dead)

    def status(self) -> OutboxStatus:
        """The queue as staff see it."""
        return OutboxStatus(len(self.store.outbox("queued")), len(self.store.outbox("dead")), self.reachable, self.last_error)

    def cycle(self) -> float:
        """Send what is due, refresh and report; wait until the next item is due (or a wake-up)."""
        self._send_due()
        self._refresh_and_report()
        self.on_status(self.status())
        due = self.store.next_due()
        return min(REFRESH_SECONDS, max(0.0, due.next_at - time.time())) if due else REFRESH_SECONDS

    def _send_due(self) -> None:
        """Send every item that is due now, oldest first, until one fails for want of the platform."""
        while not self.stopping:
            due = [item for item in self.store.outbox("queued") if item.next_at <= time.time()]
            if not due or not self._send(due[0]):
                return

    def _send(self, item: OutboxItem) -> bool:
        """One try; False when the platform could not be reached (stop for now)."""
        try:
            self.client.request("POST", item.path, item.body, headers={"Idempotency-Key": item.key})
        except PlatformError as exc:
            return self._failed(item, exc)
        self.store.settle(item.key, "sent", item.attempts + 1, time.time())
        self._note(True, "")
        return True

    def _failed(self, item: OutboxItem, exc: PlatformError) -> bool:
        """Retry later, or make it a dead letter when the platform said no for good."""
        attempts = item.attempts + 1
        if exc.retryable or exc.status == 408:
            self.store.settle(item.key, "queued", attempts, time.time() + backoff_delay(attempts, at_least=exc.retry_after), str(exc))
            self._note(exc.status != 0, str(exc))
            return False
        log.error("check-in %s refused for good: %s", item.key, exc)
        self.store.settle(item.key, "dead", attempts, time.time(), str(exc))
        self._note(True, str(exc))
        return True

    def _note(self, reachable: bool, error: str) -> None:
        """Remember whether the platform answered."""
        self.reachable = reachable
        self.last_error = error

    def _refresh_and_report(self) -> None:
        """Every minute: fetch revocations and keys; whenever occupancy changed: report it."""
        try:
            if time.time() >= self._next_refresh:
                self.store.cache("revocations", Revocations.from_answer(self.client.get("/revocations")).as_answer())
                self.store.cache("keys", self.client.get("/keys").get("keys", []))
                self._next_refresh = time.time() + REFRESH_SECONDS
            report = self.occupancy_report()
            if report != self._reported:
                self.client.request("PUT", f"/facilities/{self.facility_id}/occupancy", report)
                self._reported = report
        except PlatformError as exc:
            self._note(False, str(exc))
        except (ValueError, TypeError, AttributeError) as exc:  # an answer that is not the documented one
            log.warning("platform answered oddly: %s", exc)
            self._note(False, f"unexpected answer: {exc}")
