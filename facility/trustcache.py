"""What a site trusts and distrusts from the platform: revocations, the signed key set where the site pins a root
(facility/keyset.py), and, where allowed, published keys.

One loop fetches them for the kiosk and for lockd, validates them against the contract and keeps
them in the program's store, so a check made while the platform is away uses the last good list.
"""

from __future__ import annotations

import logging
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
from facility.tokens import Revocations

log = logging.getLogger(__name__)
REFRESH_SECONDS = 60.0


def cached_revocations(store: SqliteStore) -> Revocations:
    """The revocations last fetched (validated when kept); none before the first fetch."""
    try:
        return store.cached_as("revocations", {}, lambda raw: RevocationsAnswer.model_validate(raw).revocations())
    except ValueError as exc:  # only a hand-edited store gets here: say so loudly, keep checking signatures
        log.error("the cached revocations are unreadable (%s); refetching", exc)
        return Revocations()


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

    def cycle(self) -> float:
        """Refresh, then wait for the next time."""
        return self.interval if self.refresh() else self.backoff.next_delay()

    def problem(self) -> str:
        """The last refresh's failure, "" after a good one."""
        return self.failing

    def refresh(self) -> bool:
        """Fetch and keep the lists; True when all came back as documented (and a key set was not refused)."""
        try:
            revoked = self.client.call("GET", REVOCATIONS, RevocationsAnswer)
            keys = self.client.call("GET", KEYS, KeysAnswer) if self.fetch_keys else None
        except PlatformError as exc:
            self.failing = str(exc)
            log.warning("revocations and keys not refreshed: %s", exc)
            return False
        self.store.cache("revocations", revoked.model_dump(mode="json"))
        if keys is not None:
            self.store.cache(PUBLISHED_CACHE_NAME, keys.model_dump(mode="json")["keys"])  # SiteKeys reads them
        problem = self._refresh_keyset()
        if problem:
            self.failing = problem
            return False
        self.failing = ""
        self.last_ok = self.clock.now()
        self.backoff.reset()
        return True

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
