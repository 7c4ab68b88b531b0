"""The kiosk's durable state in SQLite: check-ins, the outbox to the platform, companions, rooms held by phone, the
staff audit.

A check-in and its outbox item are one transaction, committed before the screen turns green.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from facility.clock import Clock
from facility.contract import CheckInBody, checkins_path
from facility.models import CheckIn, EntryKind, Plan, RoomHold
from facility.outbox import OUTBOX_SCHEMA, OutboxTable
from facility.reservations import ReservationStore
from facility.retention import retain_shared, retention_round
from facility.rules.calendar import business_day, business_day_start, local
from facility.rules.desk import DeskCheckDue
from facility.store import SqliteSeenIds, add_columns
from facility.tally import RefusalTally

log = logging.getLogger(__name__)
# Passes the facility's other kiosks admitted (SpentPass): all that one kiosk's broker credential can make another
# kiosk keep (docs/mqtt.md, 'Limits'). A notice is kept at most MAX_PASS_LIFETIME + 2 x the clock skew + REPLAY_MARGIN
# (600 s at the largest skew a facility file allows). The busiest reception admits 5 members a second (the rush bench:
# ten times the 300 members in 10 minutes the network plans for), 3,000 live notices a kiosk at most; a kiosk would
# have to admit 10,000 members in ten minutes to see one of its notices refused.
SPENT_PER_KIOSK = 10_000
SPENT_ALL_KIOSKS = 5 * SPENT_PER_KIOSK  # all senders together: bounded even if one credential could use many names
SPENT_LOG_SECONDS = 60.0  # refused notices: one log line per reason and minute, carrying the count of the others

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkin (
    key TEXT PRIMARY KEY, member_id INTEGER NOT NULL, name TEXT NOT NULL, plan TEXT NOT NULL, at TEXT NOT NULL,
    kind TEXT NOT NULL, ends_at TEXT, checked_out_at TEXT, new_use INTEGER NOT NULL, pass_id TEXT,
    source TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', reservation_id INTEGER, companions INTEGER NOT NULL DEFAULT 0,
    booker INTEGER NOT NULL DEFAULT 1, space TEXT NOT NULL DEFAULT '', room_group TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS checkin_pass ON checkin (pass_id);
CREATE INDEX IF NOT EXISTS checkin_member ON checkin (member_id, at);
CREATE INDEX IF NOT EXISTS checkin_at ON checkin (at);
CREATE INDEX IF NOT EXISTS checkin_end ON checkin (ends_at);
CREATE TABLE IF NOT EXISTS companion (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, fee_yen INTEGER, left_at TEXT);
CREATE INDEX IF NOT EXISTS companion_left ON companion (left_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL, member_id INTEGER,
    reason TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS desk_check (
    checkin_key TEXT NOT NULL, check_code TEXT NOT NULL, member_id INTEGER NOT NULL, name TEXT NOT NULL,
    due_at TEXT NOT NULL, done_at TEXT, PRIMARY KEY (checkin_key, check_code));
CREATE INDEX IF NOT EXISTS desk_check_pending ON desk_check (done_at, due_at);
CREATE TABLE IF NOT EXISTS room_hold (
    id INTEGER PRIMARY KEY AUTOINCREMENT, space TEXT NOT NULL, member_id INTEGER, name TEXT NOT NULL DEFAULT '',
    starts_at TEXT NOT NULL, minutes INTEGER NOT NULL, lapses_at TEXT NOT NULL, created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'held', closed_at TEXT, checkin_key TEXT);
CREATE INDEX IF NOT EXISTS room_hold_open ON room_hold (state, lapses_at);
"""  # the reservation tables come with ReservationStore (a staffed meeting room admits against them)
# Columns a newer kiosk added to a store an older one made.
_NEWER_CHECKIN_COLUMNS = {
    "reservation_id": "INTEGER",
    "companions": "INTEGER NOT NULL DEFAULT 0",
    "booker": "INTEGER NOT NULL DEFAULT 1",
    "space": "TEXT NOT NULL DEFAULT ''",  # '' (kept before spaces): the reception space, or its booking's
    "room_group": "TEXT NOT NULL DEFAULT ''",
}
_CHECKIN_COLUMNS = (
    "key, member_id, name, plan, at, kind, ends_at, checked_out_at, new_use, pass_id, source, note, "
    "reservation_id, companions, booker, space, room_group"
)
_HOLD_COLUMNS = "id, space, starts_at, minutes, member_id, name"
HELD, USED, LAPSED, CANCELLED = "held", "used", "lapsed", "cancelled"  # a room hold's states (only HELD is open)


@dataclass(frozen=True)
class Recorded:
    """A check-in as the kiosk keeps it."""

    key: str
    member_id: int
    name: str
    plan: Plan
    at: datetime
    kind: EntryKind
    ends_at: datetime | None
    checked_out_at: datetime | None
    new_use: bool
    pass_id: str
    source: str
    note: str
    reservation_id: int | None = None
    companions: int = 0  # a representative's guests, free and not counted
    booker: bool = True  # False: a member let in as someone's guest at a meeting room (never a use)
    space: str = ""  # the space it was judged for ("" when kept before spaces)
    room_group: str = ""  # where the space counts rooms: the room group it shares (facility/rules/rooms.py)

    def as_checkin(self) -> CheckIn:
        """The entry as the rules read history."""
        return CheckIn(
            self.member_id,
            self.at,
            self.plan,
            self.kind,
            self.ends_at,
            self.checked_out_at,
            reservation_id=self.reservation_id,
            booker=self.booker,
            pass_id=self.pass_id,
            group=self.room_group,
        )


@dataclass(frozen=True)
class PendingCheck:
    """A desk check staff still owe a member (temperature, photo ID, sign-up), until they tick it."""

    checkin_key: str
    check: DeskCheckDue
    member_id: int
    name: str
    due_at: datetime
    done_at: datetime | None = None  # set for a check ticked a moment ago (which staff may still undo)


def _time(text: str | None) -> datetime | None:
    """A stored time."""
    return datetime.fromisoformat(text) if text else None


class SpentElsewhere:
    """The passes the facility's other kiosks say they admitted, kept in the replay memory within fixed bounds whatever
    they send: at most `per_kiosk` live rows from each sending kiosk and `all_kiosks` from all of them, each for at most
    `longest` seconds. Refused notices are logged in aggregate: the first of each reason in a minute at once, the others
    as a count carried by the next line, so a sibling's flood grows neither the store nor the journal without bound."""

    def __init__(
        self,
        seen: SqliteSeenIds,
        monotonic: Callable[[], float],
        per_kiosk: int = SPENT_PER_KIOSK,
        all_kiosks: int = SPENT_ALL_KIOSKS,
    ) -> None:
        self.seen = seen
        self.per_kiosk, self.all_kiosks = per_kiosk, all_kiosks
        self.refusals: dict[str, int] = {}  # reason -> notices refused since start (a fixed set of reasons)
        self._tally = RefusalTally(monotonic, SPENT_LOG_SECONDS)

    def note(self, kiosk: str, pass_id: bytes, keep_until: float, now: float, longest: float) -> str:
        """Remember that `kiosk` admitted this pass (inside the caller's transaction); what became of the notice
        (SqliteSeenIds.told_by: only NEW adds a row)."""
        outcome = self.seen.told_by(
            kiosk, pass_id, keep_until, now, longest=longest, quota=self.per_kiosk, total=self.all_kiosks
        )
        if outcome in (SqliteSeenIds.SENDER_FULL, SqliteSeenIds.ALL_FULL):
            self.refused(
                outcome,
                f"kiosk {kiosk} has {self.seen.held(kiosk)} spent passes kept here, at most {self.per_kiosk} "
                f"({self.all_kiosks} from all kiosks)",
            )
        return outcome

    def refused(self, reason: str, detail: str) -> None:
        """Count a refused notice (reason: one of a fixed few) and log it if it is its reason's first in a minute."""
        self.refusals[reason] = self.refusals.get(reason, 0) + 1
        tallied = self._tally.note(reason)
        if tallied.audit_now:
            log.warning("spent-pass notice refused (%s): %s", reason, tallied.detail(detail))

    def log_rest(self) -> None:
        """At a stop: log the refusals counted since their reason's last line, so no count is lost."""
        for reason, count in sorted(self._tally.drain().items()):
            log.warning("spent-pass notice refused (%s): %d more since the last line", reason, count)


class KioskStore(OutboxTable, ReservationStore):
    """One SQLite file (WAL, synchronous FULL) for everything the kiosk must not lose."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        super().__init__(path, SCHEMA + OUTBOX_SCHEMA, clock)
        add_columns(self.db, "checkin", _NEWER_CHECKIN_COLUMNS)
        # A room group's first check-in, also of members who left since (only spaces that count rooms write groups).
        self.db.execute("CREATE INDEX IF NOT EXISTS checkin_group ON checkin (room_group) WHERE room_group != ''")
        self.spent = SpentElsewhere(self.seen, self.clock.monotonic)  # the other kiosks' spent passes, bounded
        self.desk_day_starts_at = 0  # minutes after midnight: the facility's business day (desk checks owed)

    # --- check-ins ------------------------------------------------------------------------

    def add_checkin(self, db: sqlite3.Connection, facility_id: str, record: Recorded, now: float) -> None:
        """Keep a check-in and queue it for the platform (inside the caller's transaction)."""
        db.execute(
            f"INSERT INTO checkin ({_CHECKIN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.key,
                record.member_id,
                record.name,
                record.plan.value,
                record.at.isoformat(),
                record.kind.value,
                record.ends_at.isoformat() if record.ends_at else None,
                None,
                int(record.new_use),
                record.pass_id,
                record.source,
                record.note,
                record.reservation_id,
                record.companions,
                int(record.booker),
                record.space,
                record.room_group,
            ),
        )
        meeting = record.reservation_id is not None  # a representative: one use of the booking; the guests pay nothing
        body = CheckInBody(
            member_id=record.member_id,
            at=record.at,
            kind=record.kind,
            plan=record.plan,
            ends_at=record.ends_at,
            new_use=record.new_use,
            pass_id=record.pass_id,
            source=record.source,
            note=record.note,
            reservation_id=record.reservation_id,
            companions=record.companions if meeting else None,
            companion_fee_yen=0 if meeting else None,
        )
        self.enqueue(db, record.key, checkins_path(facility_id), body, now, record.at)

    def add_desk_checks(self, db: sqlite3.Connection, record: Recorded, checks: tuple[DeskCheckDue, ...]) -> None:
        """The checks staff owe this check-in (inside the check-in's transaction, so none is lost)."""
        db.executemany(
            "INSERT INTO desk_check VALUES (?,?,?,?,?,NULL)",
            [(record.key, check.code, record.member_id, record.name, record.at.isoformat()) for check in checks],
        )

    def desk_day_start(self) -> datetime:
        """When the facility's business day under way began (`desk_day_starts_at`: the facility's `[rules]
        day_starts_at`, which the staff desk sets; midnight until it does)."""
        starts = self.desk_day_starts_at
        return business_day_start(business_day(self.clock.now(), starts), starts)

    def pending_desk_checks(self, since: datetime | None = None) -> list[PendingCheck]:
        """Desk checks owed, oldest first: not yet ticked, and due in the business day under way (or since a
        moment). A check still unticked when its day ended is owed no more (the member has gone): it stays in the
        store, with its check-in, until retention removes it, and `unticked_before` counts it."""
        start = self.desk_day_start() if since is None else since
        with self._lock:
            rows = self.db.execute(
                "SELECT checkin_key, check_code, member_id, name, due_at FROM desk_check "
                "WHERE done_at IS NULL AND due_at >= ? ORDER BY due_at",
                (local(start).isoformat(),),
            ).fetchall()
        return [
            PendingCheck(key, _desk_check(code), member, name, datetime.fromisoformat(due))
            for key, code, member, name, due in rows
        ]

    def unticked_before(self, moment: datetime) -> int:
        """How many desk checks due before a moment (an earlier business day) were never ticked."""
        with self._lock:
            return self.db.execute(
                "SELECT COUNT(*) FROM desk_check WHERE done_at IS NULL AND due_at < ?", (local(moment).isoformat(),)
            ).fetchone()[0]

    def tick_desk_check(self, checkin_key: str, check_code: str, at: datetime) -> bool:
        """Staff did the check: it leaves the list, and the audit says who and when. False if it was not pending."""
        with self.transaction() as db:
            done = db.execute(
                "UPDATE desk_check SET done_at = ? WHERE checkin_key = ? AND check_code = ? AND done_at IS NULL",
                (local(at).isoformat(), checkin_key, check_code),
            ).rowcount
            if done:
                member = db.execute(
                    "SELECT member_id FROM desk_check WHERE checkin_key = ? AND check_code = ?",
                    (checkin_key, check_code),
                ).fetchone()[0]
                self.audit(db, at, "desk_check_done", member, check_code, checkin_key)
        return bool(done)

    def ticked_since(self, since: datetime) -> list[PendingCheck]:
        """Desk checks ticked since a moment, the latest first (each with its done_at): those staff may still undo."""
        with self._lock:
            rows = self.db.execute(
                "SELECT checkin_key, check_code, member_id, name, due_at, done_at FROM desk_check "
                "WHERE done_at IS NOT NULL AND done_at >= ? ORDER BY done_at DESC, due_at",
                (local(since).isoformat(),),
            ).fetchall()
        return [
            PendingCheck(
                key, _desk_check(code), member, name, datetime.fromisoformat(due), datetime.fromisoformat(done)
            )
            for key, code, member, name, due, done in rows
        ]

    def untick_desk_check(self, checkin_key: str, check_code: str, at: datetime, ticked_since: datetime) -> bool:
        """Staff ticked a check by mistake: it is owed again, if it was ticked since `ticked_since` (the undo's
        window); the audit keeps both the tick and its undoing. False if it was not ticked in the window."""
        with self.transaction() as db:
            undone = db.execute(
                "UPDATE desk_check SET done_at = NULL WHERE checkin_key = ? AND check_code = ? "
                "AND done_at IS NOT NULL AND done_at >= ?",
                (checkin_key, check_code, local(ticked_since).isoformat()),
            ).rowcount
            if undone:
                member = db.execute(
                    "SELECT member_id FROM desk_check WHERE checkin_key = ? AND check_code = ?",
                    (checkin_key, check_code),
                ).fetchone()[0]
                self.audit(db, at, "desk_check_undone", member, check_code, checkin_key)
        return bool(undone)

    def checkins(self, since: datetime | None = None) -> list[Recorded]:
        """Check-ins in time order (since a moment, if given)."""
        query = f"SELECT {_CHECKIN_COLUMNS} FROM checkin" + (" WHERE at >= ?" if since else "") + " ORDER BY at"
        return self._recorded(query, (since.isoformat(),) if since else ())

    def _recorded(self, query: str, arguments: tuple) -> list[Recorded]:
        """Check-in rows as records."""
        with self._lock:
            rows = self.db.execute(query, arguments).fetchall()
        return [
            Recorded(
                key,
                member,
                name,
                Plan(plan),
                datetime.fromisoformat(at),
                EntryKind(kind),
                _time(ends),
                _time(out),
                bool(new_use),
                pass_id or "",
                source,
                note,
                reservation,
                companions,
                bool(booker),
                space,
                group,
            )
            for (
                key,
                member,
                name,
                plan,
                at,
                kind,
                ends,
                out,
                new_use,
                pass_id,
                source,
                note,
                reservation,
                companions,
                booker,
                space,
                group,
            ) in rows
        ]

    def checkins_on(self, day: date, day_starts_at: int = 0) -> list[Recorded]:
        """The business day's check-ins (through the time index); the day begins `day_starts_at` minutes after
        midnight. Times are kept in Tokyo ISO form, which sorts as time."""
        start = business_day_start(day, day_starts_at)
        return self._recorded(
            f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE at >= ? AND at < ? ORDER BY at",
            (start.isoformat(), (start + timedelta(days=1)).isoformat()),
        )

    def recent_checkins(self, member_id: int, since: datetime, now: datetime) -> list[Recorded]:
        """The member's check-ins since a moment, and any of theirs still running now (through the member index)."""
        return self._recorded(
            f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE member_id = ? AND (at >= ? OR ends_at IS "
            "NULL OR ends_at > ?) ORDER BY at",
            (member_id, local(since).isoformat(), local(now).isoformat()),
        )

    def running(self, now: datetime) -> list[Recorded]:
        """Visits that run now, in every space: checked in, not checked out, not past their end (through the end
        index: two range reads, still running or never ending, so only live rows are visited)."""
        moment = local(now).isoformat()
        return self._recorded(
            f"SELECT {_CHECKIN_COLUMNS} FROM (SELECT * FROM checkin WHERE ends_at > ? UNION ALL SELECT * FROM checkin "
            "WHERE ends_at IS NULL) WHERE kind = ? AND at <= ? AND (checked_out_at IS NULL OR checked_out_at > ?) "
            "ORDER BY at",
            (moment, EntryKind.CHECK_IN.value, moment, moment),
        )

    def group_starts(self, groups: set[str]) -> dict[str, datetime]:
        """Each room group's first check-in (of members who left since too), through the group index."""
        if not groups:
            return {}
        marks = ",".join("?" * len(groups))
        with self._lock:
            rows = self.db.execute(
                f"SELECT room_group, MIN(at) FROM checkin WHERE room_group IN ({marks}) GROUP BY room_group",
                tuple(sorted(groups)),
            ).fetchall()
        return {group: datetime.fromisoformat(at) for group, at in rows}

    def checkin(self, key: str) -> Recorded | None:
        """One check-in by its key."""
        found = self._recorded(f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE key = ?", (key,))
        return found[0] if found else None

    def regroup(self, key: str, group: str, at: datetime, action: str) -> Recorded | None:
        """Staff put a member's check-in into a room group (a new one, or another member's), audited as `action`
        with the group in the same transaction; None for a check-in not kept here."""
        with self.transaction() as db:
            moved = db.execute("UPDATE checkin SET room_group = ? WHERE key = ?", (group, key)).rowcount
            if moved:
                member = db.execute("SELECT member_id FROM checkin WHERE key = ?", (key,)).fetchone()[0]
                self.audit(db, at, action, member, "", f"{key} -> {group}")
        return self.checkin(key) if moved else None

    # --- rooms held by phone -----------------------------------------------------------------------

    def add_hold(self, hold: RoomHold, lapses: datetime, at: datetime) -> RoomHold:
        """Keep a room hold (audited `hold_created` in the same transaction); the hold with its id."""
        with self.transaction() as db:
            hold_id = db.execute(
                "INSERT INTO room_hold (space, member_id, name, starts_at, minutes, lapses_at, created_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    hold.space,
                    hold.member_id,
                    hold.name,
                    local(hold.starts_at).isoformat(),
                    hold.minutes,
                    local(lapses).isoformat(),
                    local(at).isoformat(),
                ),
            ).lastrowid
            assert hold_id is not None
            self.audit(db, at, "hold_created", hold.member_id, "", _hold_detail(hold_id, hold))
        return replace(hold, hold_id=hold_id)

    def open_holds(self, space: str | None = None) -> list[RoomHold]:
        """Holds neither used, cancelled nor lapsed, soonest first (one space's, if given)."""
        query = f"SELECT {_HOLD_COLUMNS} FROM room_hold WHERE state = ?" + (" AND space = ?" if space else "")
        with self._lock:
            rows = self.db.execute(query + " ORDER BY starts_at, id", (HELD, space) if space else (HELD,)).fetchall()
        return [_hold(row) for row in rows]

    def holds(self) -> list[tuple[RoomHold, str]]:
        """Every hold kept, with its state, in the order they were taken."""
        with self._lock:
            rows = self.db.execute(f"SELECT {_HOLD_COLUMNS}, state FROM room_hold ORDER BY id").fetchall()
        return [(_hold(row[:6]), row[6]) for row in rows]

    def use_hold(self, db: sqlite3.Connection, hold: RoomHold, checkin_key: str, at: datetime) -> bool:
        """The hold's member checked in (inside the check-in's transaction): the hold is used, audited `hold_used`.
        False when it was no longer held (cancelled or lapsed meanwhile)."""
        used = db.execute(
            "UPDATE room_hold SET state = ?, closed_at = ?, checkin_key = ? WHERE id = ? AND state = ?",
            (USED, local(at).isoformat(), checkin_key, hold.hold_id, HELD),
        ).rowcount
        if used:
            self.audit(db, at, "hold_used", hold.member_id, "", f"{_hold_detail(hold.hold_id, hold)} {checkin_key}")
        return bool(used)

    def cancel_hold(self, hold_id: int, at: datetime) -> RoomHold | None:
        """Staff cancel a hold (audited `hold_cancelled`); None when it was no longer held."""
        with self.transaction() as db:
            row = db.execute(f"SELECT {_HOLD_COLUMNS} FROM room_hold WHERE id = ? AND state = ?", (hold_id, HELD))
            found = row.fetchone()
            if found is None:
                return None
            hold = _hold(found)
            db.execute(
                "UPDATE room_hold SET state = ?, closed_at = ? WHERE id = ?",
                (CANCELLED, local(at).isoformat(), hold_id),
            )
            self.audit(db, at, "hold_cancelled", hold.member_id, "", _hold_detail(hold_id, hold))
        return hold

    def lapse_holds(self, now: datetime) -> list[RoomHold]:
        """Holds whose member never came (through the open index): each lapses at its time, audited `hold_lapsed`.
        Asked every second: a write only when one lapses."""
        moment = local(now).isoformat()
        due = f"SELECT {_HOLD_COLUMNS}, lapses_at FROM room_hold WHERE state = ? AND lapses_at <= ?"
        with self._lock:
            if self.db.execute(due + " LIMIT 1", (HELD, moment)).fetchone() is None:
                return []
        with self.transaction() as db:
            rows = db.execute(due, (HELD, moment)).fetchall()
            for row in rows:
                db.execute("UPDATE room_hold SET state = ?, closed_at = ? WHERE id = ?", (LAPSED, row[6], row[0]))
                self.audit(db, now, "hold_lapsed", row[4], "", f"{_hold_detail(row[0], _hold(row[:6]))} at {row[6]}")
        return [_hold(row[:6]) for row in rows]

    def checkin_for_pass(self, pass_id: str) -> Recorded | None:
        """The check-in a pass was used for, if any (through the pass_id index)."""
        found = (
            self._recorded(f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE pass_id = ? LIMIT 1", (pass_id,))
            if pass_id
            else []
        )
        return found[0] if found else None

    def check_out(self, key: str, at: datetime, reason: str = "") -> Recorded | None:
        """A member leaves for good (audited in the same transaction); None when already out or unknown."""
        with self.transaction() as db:
            left = db.execute(
                "UPDATE checkin SET checked_out_at = ? WHERE key = ? AND checked_out_at IS NULL", (at.isoformat(), key)
            ).rowcount
            if left:
                self.audit(db, at, "check_out", None, "", f"{key} {reason}".strip())
        found = self._recorded(f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE key = ?", (key,))
        return found[0] if left and found else None

    # --- companions and audit --------------------------------------------------------------------

    def add_companion(self, at: datetime, fee_yen: int | None) -> None:
        """A paying non-member companion sits down."""
        with self.transaction() as db:
            db.execute("INSERT INTO companion (at, fee_yen) VALUES (?, ?)", (at.isoformat(), fee_yen))

    def companion_leaves(self, at: datetime) -> bool:
        """The longest-staying companion leaves; False when none is in."""
        with self.transaction() as db:
            return (
                db.execute(
                    "UPDATE companion SET left_at = ? WHERE seq = (SELECT MIN(seq) FROM companion WHERE "
                    "left_at IS NULL)",
                    (at.isoformat(),),
                ).rowcount
                == 1
            )

    def companions_in(self) -> int:
        """Companions who have not left."""
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM companion WHERE left_at IS NULL").fetchone()[0]

    def audit(
        self,
        db: sqlite3.Connection | None,
        at: datetime,
        action: str,
        member_id: int | None = None,
        reason: str = "",
        detail: str = "",
    ) -> None:
        """Append to the staff and refusal audit (in the caller's transaction, or its own)."""
        row = (at.isoformat(), action, member_id, reason, detail)
        if db is not None:
            db.execute("INSERT INTO audit (at, action, member_id, reason, detail) VALUES (?,?,?,?,?)", row)
            return
        with self.transaction() as own:
            own.execute("INSERT INTO audit (at, action, member_id, reason, detail) VALUES (?,?,?,?,?)", row)

    def audit_rows(self) -> list[tuple]:
        """The audit trail: (at, action, member, reason, detail)."""
        with self._lock:
            return self.db.execute("SELECT at, action, member_id, reason, detail FROM audit ORDER BY seq").fetchall()


def purge_kiosk(
    store: KioskStore, now: datetime, keep: timedelta, export_days: int, trusted: bool = True
) -> dict[str, int]:
    """Retention at the kiosk: what is past `keep` and safe to forget; how much of each went.

    Age is the time the kiosk saw pass since a row was written, with the wall clock (`now`, believed when
    `trusted`: the kiosk's clock_check) only holding rows back (facility/retention.py): a clock stepped forward
    removes nothing early."""
    ages = retention_round(store, now, trusted, keep)
    # Only what the platform has: a queued or dead check-in stays, whatever its age.
    where, arguments = ages.past("checkin", "at", keep, reuses_rowids=True)
    checkins = store.delete_in_batches(
        "checkin", f"{where} AND key IN (SELECT key FROM outbox WHERE state = 'sent')", arguments
    )
    where, arguments = ages.past("outbox", "created_at", keep, reuses_rowids=True)
    sent = store.delete_in_batches("outbox", f"state = 'sent' AND {where}", arguments)
    where, arguments = ages.past("companion", "left_at", keep)
    companions = store.delete_in_batches("companion", f"left_at IS NOT NULL AND {where}", arguments)
    # A ticked check goes with the age of its tick; one never ticked (owed no more once its business day ended) with
    # the age of the check-in that owed it.
    where, arguments = ages.past("desk_check", "done_at", keep, reuses_rowids=True)
    ticked = store.delete_in_batches("desk_check", f"done_at IS NOT NULL AND {where}", arguments)
    where, arguments = ages.past("desk_check", "due_at", keep, reuses_rowids=True)
    ticked += store.delete_in_batches("desk_check", f"done_at IS NULL AND {where}", arguments)
    # A hold goes with the age of its end (used, lapsed or cancelled: its name with it); one still held stays.
    where, arguments = ages.past("room_hold", "closed_at", keep)
    holds = store.delete_in_batches("room_hold", f"closed_at IS NOT NULL AND {where}", arguments)
    return {
        "checkins": checkins,
        "outbox_sent": sent,
        "companions": companions,
        "desk_checks": ticked,
        "room_holds": holds,
        **retain_shared(store, now, keep, export_days, ages),
    }


def _hold(row: tuple) -> RoomHold:
    """A room_hold row (its _HOLD_COLUMNS) as a hold."""
    hold_id, space, starts_at, minutes, member_id, name = row
    return RoomHold(hold_id, space, datetime.fromisoformat(starts_at), minutes, member_id, name)


def _hold_detail(hold_id: int, hold: RoomHold) -> str:
    """A hold as the audit keeps it: its id, space, start and length (the name stays in the hold's row, which
    retention removes; the audit is kept longer)."""
    return f"hold {hold_id} {hold.space} {local(hold.starts_at).isoformat()} {hold.minutes}min"


def _desk_check(code: str) -> DeskCheckDue:
    """The desk check with this code."""
    return next(check for check in DeskCheckDue if check.code == code)


def new_key() -> str:
    """A fresh idempotency key for one check-in."""
    return str(uuid.uuid4())
