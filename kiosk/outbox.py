"""The outbox: every kept check-in reaches the platform exactly once, however long the platform is away.

Each item keeps its idempotency key across retries; failures back off exponentially with
jitter (honouring Retry-After). What an answer means (facility/platform.py):
- a check-in the platform recorded (the documented body) is sent;
- no answer, 429, 5xx, a 2xx that is not the documented body: retried later;
- 401 or 403: the facility's credentials need attention: the item stays queued, staff see
  the alarm, nothing becomes a dead letter because of it;
- 400, 409, 413, 422: the check-in itself is wrong: a dead letter staff see and can requeue;
- anything else (404 of an unknown facility...): retried, and reported.
Keys, revocations and occupancy have loops of their own (facility/trustcache.py, kiosk/occupancy.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from facility.clock import Clock
from facility.contract import CheckInBody, CheckInRecorded
from facility.loop import BackgroundLoop
from facility.platform import PlatformClient, PlatformError, backoff_delay
from kiosk.store import KioskStore, OutboxItem

log = logging.getLogger(__name__)
IDLE_SECONDS = 60.0
MAX_WAIT = 300.0  # the back-off's cap, which also bounds any Retry-After


@dataclass(frozen=True)
class OutboxStatus:
    """What staff see of the link to the platform."""

    queued: int
    dead: int
    reachable: bool
    last_error: str
    credentials: bool = False  # the platform refuses the facility's credentials (401/403)


class OutboxSender(BackgroundLoop):
    """Sends queued check-ins on a background thread; waits on an event, never a bare sleep."""

    name = "kiosk-outbox"

    def __init__(
        self,
        store: KioskStore,
        client: PlatformClient,
        clock: Clock,
        on_status: Callable[[OutboxStatus], None] = lambda status: None,
    ) -> None:
        super().__init__()
        self.store = store
        self.client = client
        self.clock = clock
        self.on_status = on_status
        self.reachable = True
        self.failing = ""
        self.credentials = False

    def now(self) -> float:
        """Seconds on the injected wall clock: due times are kept in these."""
        return self.clock.now().timestamp()

    def retry_dead_letters(self) -> int:
        """Staff put dead letters back in the queue (after the cause was fixed); returns how many."""
        dead = self.store.outbox("dead")
        for item in dead:
            self.store.settle(item.key, "queued", 0, self.now(), item.last_error)
        self.wake()
        return len(dead)

    def problem(self) -> str:
        """Why check-ins are not reaching the platform now ("" when they are)."""
        return self.failing

    def status(self) -> OutboxStatus:
        """The queue as staff see it."""
        return OutboxStatus(
            self.store.outbox_count("queued"),
            self.store.outbox_count("dead"),
            self.reachable,
            self.failing,
            self.credentials,
        )

    def cycle(self) -> float:
        """Send what is due and report; wait until the next item is due (or a wake-up)."""
        try:
            self._send_due()
        finally:
            self.on_status(self.status())  # a round that raised is reported too
        due = self.store.next_due()
        return min(IDLE_SECONDS, max(0.0, due.next_at - self.now())) if due else IDLE_SECONDS  # a parked item: 60 s

    def _send_due(self) -> None:
        """Send every item that is due now, soonest first, until one fails for want of the platform.

        No wait is ever longer than MAX_WAIT: an item due further ahead was parked by a wall clock that
        has since been stepped back, and is due now."""
        while not self.stopping:
            due = self.store.next_due()
            if due is None or self.now() < due.next_at <= self.now() + MAX_WAIT or not self._send(due):
                return

    def _send(self, item: OutboxItem) -> bool:
        """One try; False when sending more now would not help (stop for now)."""
        try:
            CheckInBody.model_validate(item.body)
        except ValueError as exc:  # a kept body the contract does not allow: it can never be sent as it is
            self._dead(item, f"not a check-in the platform accepts: {exc}")
            return True
        try:  # the body exactly as kept: a retry must match what the platform may already hold under this key
            recorded = self.client.call(
                "POST", item.path, CheckInRecorded, item.body, headers={"Idempotency-Key": item.key}
            )
            if recorded.idempotency_key != item.key:
                raise PlatformError(
                    200, "bad_answer", f"the answer names another check-in ({recorded.idempotency_key})", retryable=True
                )
        except PlatformError as exc:
            return self._failed(item, exc)
        self.store.settle(item.key, "sent", item.attempts + 1, self.now())
        self._note(True, "", credentials=False)
        return True

    def _failed(self, item: OutboxItem, exc: PlatformError) -> bool:
        """A dead letter only when the platform says the check-in itself is wrong; else keep it for later."""
        if exc.final:
            self._dead(item, str(exc))
            self._note(True, "", credentials=False)
            return True
        attempts = item.attempts + 1
        self.store.settle(
            item.key,
            "queued",
            attempts,
            self.now() + backoff_delay(attempts, cap=MAX_WAIT, at_least=exc.retry_after),
            str(exc),
        )
        if exc.credentials:
            log.error("the platform refuses this facility's credentials (%s): check-ins stay queued", exc)
        self._note(exc.status != 0, str(exc), credentials=exc.credentials)
        return False

    def _dead(self, item: OutboxItem, error: str) -> None:
        """Keep a check-in the platform will never take as a dead letter for staff."""
        log.error("check-in %s refused for good: %s", item.key, error)
        self.store.settle(item.key, "dead", item.attempts + 1, self.now(), error)

    def _note(self, reachable: bool, error: str, credentials: bool) -> None:
        """Remember whether the platform answered, and what is wrong."""
        self.reachable = reachable
        self.failing = error
        self.credentials = credentials
