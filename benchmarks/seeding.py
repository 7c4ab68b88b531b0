"""What the benches put straight into a store instead of fetching it: a platform's answers, as the loops keep them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from facility.contract import RevocationsAnswer
from facility.models import Reservation
from facility.reservations import ReservationStore
from facility.store import SqliteStore


def nothing_revoked(store: SqliteStore) -> None:
    """A revocation list with nothing withdrawn, as the trust refresh keeps it (a store that never fetched one
    accepts nothing a revocation could change)."""
    store.cache("revocations", RevocationsAnswer().model_dump(mode="json"))


def as_synced(store: ReservationStore, reservations: Sequence[Reservation], cursor: int, now: datetime) -> None:
    """What a good sync keeps: the bookings, and the revocations fetched after them."""
    store.apply_changes(list(reservations), cursor, now)
    nothing_revoked(store)
