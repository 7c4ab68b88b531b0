"""What a site trusts and distrusts from the platform: revocations, the signed key set where the site pins a root
(facility/keyset.py), and, where allowed, published keys.

One loop fetches them for the kiosk and for lockd, validates them against the contract and keeps
them in the program's store, so a check made while the platform is away uses the last good list.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from facility.clock import Clock
from facility.contract import (
    KEYS,
    KEYSET,
    REVOCATIONS,
    KeysAnswer,
    RevocationsAnswer,
)
from facility.keyset import PUBLISHED_CACHE_NAME, SiteKeys
from facility.loop import BackgroundLoop
from facility.platform import Backoff, PlatformClient, PlatformError
from facility.store import SqliteStore
from facility.tokens import UNKNOWN_REVOCATIONS, Revocations

log = logging.getLogger(__name__)
REFRESH_SECONDS = 60.0


def cached_revocations(store: SqliteStore) -> Revocations:
    """The revocations last fetched (validated when kept); UNKNOWN_REVOCATIONS before the first fetch of this store,
    so that a new or lost store accepts nothing a revocation could change until the platform has been asked."""
    try:
        return store.cached_as("revocations", None, _read_revocations)
    except ValueError as exc:  # only a hand-edited store gets here: say so loudly, and accept nothing until refetched
        log.error("the cached revocations are unreadable (%s); refetching", exc)
        return UNKNOWN_REVOCATIONS


def _read_revocations(raw: object) -> Revocations:
    """The cached answer as the verifier uses it; none cached: unknown."""
    return UNKNOWN_REVOCATIONS if raw is None else RevocationsAnswer.model_validate(raw).revocations()


class TrustRefresh(BackgroundLoop):
    """Every minute (and on demand): the platform's revocations, its signed key set when the facility pins a root,
    and its published keys when the facility trusts them."""

    name = "trust-refresh"

    def __init__(
        self,
        client: PlatformClient,
        store: SqliteStore,
        clock: Clock,
        fetch_keys: bool,
        interval: float = REFRESH_SECONDS,
        keyset: SiteKeys | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.store = store
        self.clock = clock
        self.keyset = keyset if keyset is not None and keyset.rooted else None
        self.fetch_keys = fetch_keys and self.keyset is None  # with a root, unsigned keys are never trusted
        self.interval = interval
        self.backoff = Backoff(base=1.0, cap=min(300.0, interval))
        self.failing = ""
        self.last_ok: datetime | None = None
        # One fetch-and-keep at a time (this loop's, a reservation sync's): a slower, older answer must never be
        # kept over a newer one, or a revocation could be forgotten until the next round.
        self._fetching = threading.Lock()
        # Change notices heard, and the most of them a finished fetch of the revocations began after: the list kept
        # is as new as every notice once answered >= heard (a fetch begun before a notice may predate its news).
        self._news = threading.Condition()
        self._heard = 0
        self._answered = 0
        self._gave_up_on = 0  # the news current() last waited for in vain
        self._notice_at: float | None = None  # monotonic: when the last change notice came
        # How long a platform that answers takes at most: the revocations and the keys, each within its timeout.
        self.answer_within = 2 * getattr(client, "timeout", 5.0) + 1

    def changed(self) -> None:
        """The platform's change notice: what is withdrawn may have changed; fetch it now. Until a fetch begun after
        it lands, or the platform's time to answer has passed, revocations() says unknown: nothing a revocation could
        change is accepted while the answer is on its way (a slow platform does not lose the race)."""
        with self._news:
            self._heard += 1
            self._notice_at = self.clock.monotonic()
        self.wake()

    def revocations(self) -> Revocations:
        """The list to decide by now: the one kept, or unknown while a change notice waits for its fetch (at most the
        platform's time to answer two requests: after that, the platform is away and the last good list serves)."""
        with self._news:
            notice_at = self._notice_at
            waiting = self._answered < self._heard and notice_at is not None
            if waiting and notice_at is not None and self.clock.monotonic() - notice_at < self.answer_within:
                return UNKNOWN_REVOCATIONS
        return cached_revocations(self.store)

    def current(self, wait: float) -> bool:
        """Whether the revocations kept are up to date; if not (a notice unanswered, or none kept yet), fetch them
        now and wait up to `wait` seconds for a fetch begun after the news. Waits once per piece of news: a platform
        that does not answer stalls one decision, not every one after it. False: the caller decides on what is
        kept, the last good list, or none at all (then nothing a revocation could change is accepted)."""
        with self._news:
            if self._answered >= self._heard:
                if cached_revocations(self.store).known:
                    return True
                self._heard += 1  # none kept yet: ask for a first list
            wanted = self._heard
            if self._gave_up_on >= wanted:
                return False
        self.wake()
        with self._news:
            if not self._news.wait_for(lambda: self._answered >= wanted, wait):
                self._gave_up_on = max(self._gave_up_on, wanted)
                return False
            return True

    def cycle(self) -> float:
        """Refresh, then wait for the next time."""
        return self.interval if self.refresh() else self.backoff.next_delay()

    def problem(self) -> str:
        """The last refresh's failure, "" after a good one."""
        return self.failing

    def refresh(self) -> bool:
        """Fetch and keep the lists; True when all came back as documented (and a key set was not refused)."""
        problem = self.refresh_revocations() or self._refresh_keyset()
        if problem:
            self.failing = problem
            return False
        self.failing = ""
        self.last_ok = self.clock.now()
        self.backoff.reset()
        return True

    def refresh_revocations(self) -> str:
        """Fetch and keep the revocations (and the published keys, where trusted); what failed, "" when kept.

        A reservation sync calls this after each fetch of reservations, so that what the site acts on is never newer
        than what it knows to be withdrawn."""
        with self._fetching:
            with self._news:
                asked = self._heard
            try:
                revoked = self.client.call("GET", REVOCATIONS, RevocationsAnswer)
                keys = self.client.call("GET", KEYS, KeysAnswer) if self.fetch_keys else None
            except PlatformError as exc:
                log.warning("revocations and keys not refreshed: %s", exc)
                return str(exc)
            self.store.cache("revocations", revoked.model_dump(mode="json"))
            if keys is not None:
                self.store.cache(PUBLISHED_CACHE_NAME, keys.model_dump(mode="json")["keys"])  # SiteKeys reads them
        with self._news:
            self._answered = max(self._answered, asked)
            self._news.notify_all()
        return ""

    def _refresh_keyset(self) -> str:
        """Fetch the signed key set and offer it; what went wrong, "" when it is held or adopted (or not wanted).

        The raw answer is offered as it came: a 2xx that is not a signed set (HTML, `[]`) is a refused set,
        audited, while no answer or an error status is only a failed fetch."""
        if self.keyset is None:
            return ""
        held_when_asked = self.keyset.held_digest  # an announcement may overtake this fetch: not a rollback then
        try:
            _, content = self.client.exchange("GET", KEYSET)
        except PlatformError as exc:
            log.warning("key set not refreshed: %s", exc)
            return f"key set: {exc}"
        offer = self.keyset.offer(content, "https", held_when_asked)
        return f"key set refused: {offer.refusal}" if offer.refusal is not None else ""
