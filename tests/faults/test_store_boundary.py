"""A store lost at any instant (issue 23, class 2): a token that may have been used before the loss is refused, at any
fraction of a second and with the issuer's clock ahead by as much as the skew allowed; one issued after is judged."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from facility.reasons import Reason
from facility.rules.calendar import TOKYO
from facility.store import MemorySeenIds
from facility.tokens import NO_REVOCATIONS, Keyring, Refusal, UnlockCommand, mint, new_id, verify_unlock_command
from lockd.store import LockdStore
from simulator.clock import SettableClock
from tests.lockd_site import PLATFORM_KEY, TOPICS

SKEW = 10
KEYRING = Keyring()
KEYRING.trust("platform", PLATFORM_KEY.public_raw, {"unlock_command"})


def judged(store: LockdStore, issued_at: int, now: float) -> UnlockCommand | Refusal:
    """A command issued at `issued_at` (whole seconds, as tokens carry), judged by this store at `now`."""
    text = mint(UnlockCommand("booth-a", 1, 1, issued_at, 60, new_id(16), TOPICS.command("booth-a")), PLATFORM_KEY)
    return verify_unlock_command(
        text,
        KEYRING,
        now,
        topics=TOPICS,
        door_id="booth-a",
        arrived_on=TOPICS.command("booth-a"),
        skew=SKEW,
        seen=MemorySeenIds(),
        revocations=NO_REVOCATIONS,
        issued_after=store.issued_after(SKEW),
    )


@settings(max_examples=60, deadline=None)
@given(
    fraction=st.floats(min_value=0.0, max_value=0.999999),
    ahead=st.integers(min_value=0, max_value=SKEW),
    used_before=st.floats(min_value=0.002, max_value=5.0),  # used strictly before the loss
)
def test_a_token_that_could_have_been_used_before_a_loss_is_refused_at_any_fraction_of_a_second(
    fraction: float, ahead: int, used_before: float
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        begun = datetime(2026, 12, 8, 10, 30, tzinfo=TOKYO) + timedelta(seconds=fraction)
        clock = SettableClock(begun - timedelta(seconds=used_before))
        LockdStore(Path(folder) / "data" / "lockd.db", clock).close()  # the store that is then lost, with its marker
        for leftover in (Path(folder) / "data").glob("lockd.db*"):
            leftover.unlink()
        clock.advance(used_before)  # the new store begins at `begun`
        store = LockdStore(Path(folder) / "data" / "lockd.db", clock)
        assert store.loss is not None and store.began_on_loss
        # Used just before the loss, signed by an issuer whose clock ran `ahead` seconds fast.
        used = begun.timestamp() - used_before * 0.5
        refusal = judged(store, int(used) + ahead, begun.timestamp() + 1)
        assert isinstance(refusal, Refusal) and refusal.reason is Reason.ISSUED_BEFORE_STORE
        later = judged(store, int(begun.timestamp()) + SKEW + 1, begun.timestamp() + SKEW + 1)
        assert isinstance(later, UnlockCommand)
        store.close()


def test_a_new_store_with_no_predecessor_judges_tokens_from_the_second_it_began(tmp_path) -> None:
    begun = datetime(2026, 12, 8, 10, 30, 0, 700_000, tzinfo=TOKYO)
    store = LockdStore(tmp_path / "lockd.db", SettableClock(begun))
    assert store.loss is None and not store.began_on_loss
    assert isinstance(judged(store, int(begun.timestamp()), begun.timestamp()), UnlockCommand)
    assert judged(store, int(begun.timestamp()) - 1, begun.timestamp()).reason is Reason.ISSUED_BEFORE_STORE


def test_the_wider_margin_after_a_loss_outlives_a_restart(tmp_path) -> None:
    clock = SettableClock(datetime(2026, 12, 8, 10, 30, tzinfo=TOKYO))
    LockdStore(tmp_path / "data" / "lockd.db", clock).close()
    for leftover in (tmp_path / "data").glob("lockd.db*"):
        leftover.unlink()
    clock.advance(2)
    LockdStore(tmp_path / "data" / "lockd.db", clock).close()  # the loss is noticed ...
    again = LockdStore(tmp_path / "data" / "lockd.db", clock)  # ... and lockd restarts a moment later
    assert again.loss is None and again.began_on_loss
    assert again.issued_after(SKEW) == again.created_at + SKEW


def test_a_store_put_back_from_an_earlier_copy_of_itself_is_a_lost_store(tmp_path) -> None:
    clock = SettableClock(datetime(2026, 12, 8, 10, 30, tzinfo=TOKYO))
    path = tmp_path / "data" / "lockd.db"
    LockdStore(path, clock).close()
    backup = path.read_bytes()  # a copy taken after a clean stop (a backup, an image of the card)
    clock.advance(60)
    used = LockdStore(path, clock)
    used.cache("revocations", {"member_ids": [1003]})  # what it learned after the copy was taken
    used.close()
    for leftover in (tmp_path / "data").glob("lockd.db-*"):
        leftover.unlink()
    path.write_bytes(backup)  # the copy is put back
    clock.advance(60)
    again = LockdStore(path, clock)
    assert again.loss is not None and "rolled back" in again.loss.cause and again.began_on_loss
    assert again.created_at == clock.now().timestamp()  # its memory counts from now, not from when it first began
    assert again.cached("revocations", None) is None  # a list it kept may be older than one acted on: fetched anew
    again.close()
    settled = LockdStore(path, clock)  # the next start (nothing put back) is no loss, and keeps the wider margin
    assert settled.loss is None and settled.began_on_loss
    settled.close()


def test_an_unreadable_marker_is_a_loss(tmp_path) -> None:
    clock = SettableClock(datetime(2026, 12, 8, 10, 30, tzinfo=TOKYO))
    LockdStore(tmp_path / "data" / "lockd.db", clock).close()
    (tmp_path / "data.lockd.store-id").write_text('{"store_id": ')  # a hand, or a failing disk
    again = LockdStore(tmp_path / "data" / "lockd.db", clock)
    assert again.loss is not None and "unreadable" in again.loss.cause
    again.close()
