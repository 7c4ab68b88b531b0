"""A clock moved forward never destroys evidence; one moved back never keeps rows for ever.

Real stores (the kiosk's, lockd's) and the retention the programs run, on a settable clock whose wall time can be
stepped alone (`step_wall`) or run on with monotonic time (`advance`: real time passing), and whose boot
(`monotonic_epoch`) can change. The model knows the real time each row was written; retention may only forget what
is really past its retention (facility/retention.py, docs/operations.md 'Retention').
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from facility.clocktrust import ClockTrust
from facility.models import EntryKind, Plan
from facility.platform import PlatformClient
from facility.retention import MARK_SECONDS, MAX_MARKS, RetentionLoop, observed_time
from facility.rules.calendar import TOKYO
from kiosk.assembly import assemble
from kiosk.store import KioskStore, Recorded, purge_kiosk
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from lockd.store import AuditRow, LockdStore, purge_lockd
from messagebus import BrokerSettings
from simulator.clock import SettableClock
from simulator.door import SimulatedDoors
from tests.rulebook import H1T, KAIKATSU

START = datetime(2027, 3, 2, 10, 0, tzinfo=TOKYO)  # the test's "today", whatever day it runs
DAY = 24 * 3600.0
KEEP = timedelta(days=7)  # short, so that the property's steps of days to years span many retentions
EXPORT_DAYS = 30
SPACING = max(MARK_SECONDS, 2 * KEEP.total_seconds() / MAX_MARKS)  # how often a round leaves a mark


class BootClock(SettableClock):
    """The settable clock, with a boot: monotonic readings compare only within one (facility/clock.py)."""

    monotonic_epoch = "boot-0"

    def reboot(self, down_seconds: float) -> None:
        """The board restarts: a new boot, and time passes while it is off (the monotonic clock cannot see it)."""
        self.monotonic_epoch = f"boot-{int(self.monotonic_epoch.split('-')[1]) + 1}"
        self.advance(down_seconds)


def exports(folder: Path) -> dict[str, list[dict]]:
    """Every export file's rows, by file name."""
    return {
        file.name: [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
        for file in sorted(folder.glob("*.jsonl"))
    }


def day_of(at: str) -> str:
    """The day, in Tokyo, of a stored time."""
    return datetime.fromisoformat(at).astimezone(TOKYO).date().isoformat()


def check_in(store: KioskStore, clock: BootClock, key: str) -> None:
    """A member checks in now, queued for the platform (as Reception keeps an admission)."""
    now = clock.now()
    record = Recorded(key, 1001, "佐藤", Plan.CORPORATE, now, EntryKind.CHECK_IN, None, None, True, key, "camera", "")
    with store.transaction() as db:
        store.add_checkin(db, KAIKATSU.facility.id, record, now.timestamp())


def confirm(store: KioskStore, clock: BootClock, key: str) -> None:
    """The platform accepted the check-in (the outbox's documented answer, naming its idempotency key)."""
    store.settle(key, "sent", 1, clock.now().timestamp())


# --- the two programs' stores, opened and purged as the programs do ---------------------------------------------


class KioskSide:
    """The kiosk's store, opened with its retention loop (as kiosk/assembly.py builds it) and purged by its rounds."""

    name = "kiosk"

    def __init__(self, folder: Path, clock: BootClock, trust: ClockTrust) -> None:
        self.folder, self.clock, self.trust = folder, clock, trust
        self.open()

    def open(self) -> None:
        """The kiosk starts: its store, and its retention loop (which starts counting)."""
        self.store = KioskStore(self.folder / "kiosk.db", self.clock)
        self.loop = RetentionLoop(
            lambda now: purge_kiosk(self.store, now, KEEP, EXPORT_DAYS, trusted=self.trust.trusted(now)),
            self.clock,
            store=self.store,
            trust=self.trust,
        )

    def audit(self, marker: str) -> None:
        """One audit row, written now."""
        self.store.audit(None, self.clock.now(), "probe", None, "", marker)

    def audit_held(self) -> set[str]:
        """The markers of the audit rows in the store."""
        return {row[4] for row in self.store.audit_rows()}

    def checkin(self, key: str) -> None:
        """A member checks in now; queued for the platform."""
        check_in(self.store, self.clock, key)

    def confirm(self, key: str) -> None:
        """The platform accepted the check-in."""
        confirm(self.store, self.clock, key)

    def checkins_held(self) -> set[str]:
        """The keys of the check-ins in the store."""
        return {record.key for record in self.store.checkins()}


class LockdSide:
    """lockd's store, opened with its retention loop as lockd/daemon.py builds it, purged by its rounds."""

    name = "lockd"

    def __init__(self, folder: Path, clock: BootClock, trust: ClockTrust) -> None:
        self.folder, self.clock, self.trust = folder, clock, trust
        self.members = 0
        self.open()

    def open(self) -> None:
        """lockd starts: its store, and its retention loop (which starts counting)."""
        self.store = LockdStore(self.folder / "lockd.db", self.clock)
        self.loop = RetentionLoop(
            lambda now: purge_lockd(self.store, now, KEEP, EXPORT_DAYS, trusted=self.trust.trusted(now)),
            self.clock,
            store=self.store,
            trust=self.trust,
        )

    def audit(self, marker: str) -> None:
        """One audit row, written now (and an entry, the use it records)."""
        now = self.clock.now()
        with self.store.transaction() as db:
            self.store.audit(db, AuditRow(now.isoformat(), "booth-a", "probe", detail=marker))
            self.store.record_entry(db, int(marker.split("-")[1]), now, "booth-a", 1, True)

    def audit_held(self) -> set[str]:
        """The markers of the audit rows in the store."""
        return {row.detail for row in self.store.audit_rows()}

    def entries_held(self) -> set[str]:
        """The markers of the entries in the store."""
        return {f"row-{member}" for (member,) in self.store.db.execute("SELECT member_id FROM entry").fetchall()}


# --- the property ---------------------------------------------------------------------------------------------


@dataclass
class Model:
    """What really happened: real time, what the store can have counted, the marks its rounds left, the rows."""

    real: float = 0.0
    observed: float = 0.0  # the observed time at the last reading
    unread: float = 0.0  # time passed in this boot since the last reading (lost if the board reboots first)
    counting: bool = True  # False from a reboot to the next reading: the new boot's first reading is its baseline
    marks: list[float] = field(default_factory=list)
    written: dict[str, float] = field(default_factory=dict)  # audit marker -> real time written
    covered_by: dict[str, int] = field(default_factory=dict)  # audit marker -> the index of the first mark after it
    checkins: dict[str, tuple[float, bool]] = field(default_factory=dict)  # key -> (real time written, confirmed)

    def passes(self, seconds: float) -> None:
        """Real time passes."""
        self.real += seconds
        if self.counting:
            self.unread += seconds

    def reading(self, round_: bool) -> None:
        """The program reads its observed time (at start, at each round); a round leaves a mark when one is due."""
        self.observed += self.unread
        self.unread, self.counting = 0.0, True
        if not self.marks or (round_ and self.observed - self.marks[-1] >= SPACING):
            self.marks.append(self.observed)


Action = tuple
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(1, 3)),
        st.tuples(st.just("checkin"), st.booleans()),
        st.tuples(st.just("confirm")),
        st.tuples(st.just("pass"), st.integers(1, 60 * 24), st.booleans()),  # hours (an hour to two months), rounds
        st.tuples(st.just("step"), st.integers(-1500, 1500).filter(bool), st.integers(0, 23)),  # days (and hours)
        st.tuples(st.just("round")),
        st.tuples(st.just("round")),
        st.tuples(st.just("restart"), st.integers(0, 48)),  # the program restarts, down for hours
        st.tuples(st.just("reboot"), st.integers(0, 30)),  # the board reboots, down for days
    ),
    min_size=1,
    max_size=30,
)
SIDES: dict[str, tuple[type[KioskSide] | type[LockdSide], Callable[[], ClockTrust]]] = {
    "kiosk-sanity": (KioskSide, lambda: ClockTrust("sanity")),
    "kiosk-unsynchronised": (KioskSide, lambda: ClockTrust("kernel", synchronised=lambda: False)),
    "lockd-sanity": (LockdSide, lambda: ClockTrust("sanity")),
    "lockd-synchronised-to-a-wrong-source": (LockdSide, lambda: ClockTrust("kernel", synchronised=lambda: True)),
}


def run(side_name: str, actions: list[Action]) -> None:
    """Play the actions on a fresh store and check, after each, that nothing still needed is lost."""
    kind, trust = SIDES[side_name]
    clock = BootClock(START)
    with tempfile.TemporaryDirectory(prefix="retention-clock-") as work:
        side = kind(Path(work), clock, trust())
        model = Model()
        model.reading(round_=False)  # the program started: its loop read the observed time (the first mark)
        files_before: dict[str, list[dict]] = {}
        try:
            for number, action in enumerate(actions):
                play(side, model, clock, action, number)
                files_before = check(side, model, Path(work) / "audit", files_before, action)
        finally:
            side.store.close()


def play(side: KioskSide | LockdSide, model: Model, clock: BootClock, action: Action, number: int) -> None:
    """One action, on the store and in the model."""
    match action:
        case ("write", count):
            for n in range(count):
                marker = f"row-{number * 10 + n}"
                side.audit(marker)
                model.written[marker] = model.real
                model.covered_by[marker] = len(model.marks)
        case ("checkin", confirmed) if isinstance(side, KioskSide):
            key = f"visit-{number}"
            side.checkin(key)
            if confirmed:
                side.confirm(key)
            model.checkins[key] = (model.real, confirmed)
        case ("confirm",) if isinstance(side, KioskSide):
            for key, (written, confirmed) in model.checkins.items():
                if not confirmed and key in side.checkins_held():
                    side.confirm(key)
                    model.checkins[key] = (written, True)
                    break
        case ("pass", hours, rounds):  # time passes; with rounds, the retention loop runs now and then meanwhile
            for _ in range(8 if rounds else 1):
                clock.advance(hours * 3600 / (8 if rounds else 1))
                model.passes(hours * 3600 / (8 if rounds else 1))
                if rounds:
                    side.loop.cycle()
                    model.reading(round_=True)
        case ("step", days, hours):
            clock.step_wall(days * DAY + (hours if days > 0 else -hours) * 3600)
        case ("round",):
            side.loop.cycle()
            model.reading(round_=True)
        case ("restart", hours):  # the same boot: the monotonic clock saw the time it was down
            side.store.close()
            clock.advance(hours * 3600)
            model.passes(hours * 3600)
            side.open()
            model.reading(round_=False)
        case ("reboot", days):
            side.store.close()
            clock.reboot(days * DAY)
            model.counting, model.unread = False, 0.0
            model.real += days * DAY
            side.open()
            model.reading(round_=False)


def check(
    side: KioskSide | LockdSide, model: Model, folder: Path, before: dict[str, list[dict]], action: Action
) -> dict[str, list[dict]]:
    """What must hold after every action; the export files as they are now."""
    now_files = exports(folder)
    in_files = {row["detail"] for rows in now_files.values() for row in rows}
    held = side.audit_held()
    audit_life = (KEEP + timedelta(days=EXPORT_DAYS)).total_seconds()
    for marker, written in model.written.items():
        if model.real - written < audit_life - 1:  # an audit row younger than its retention: in the store or a file
            assert marker in held or marker in in_files, f"{marker} lost after {action} ({side.name})"
    for name, rows in now_files.items():  # each file holds the rows of the day it is named by
        assert {day_of(row["at"]) for row in rows} == {name.removesuffix(".jsonl")}, name
    for name, rows in before.items():  # a file is only ever appended to (or dropped whole, when its rows are old)
        if name in now_files:
            assert now_files[name][: len(rows)] == rows, f"{name} changed"
    if isinstance(side, KioskSide):
        checkins = side.checkins_held()
        for key, (written, confirmed) in model.checkins.items():
            if not confirmed or model.real - written < KEEP.total_seconds() - 1:
                assert key in checkins, f"check-in {key} lost ({'confirmed' if confirmed else 'unconfirmed'})"
    else:
        entries = side.entries_held()
        for marker, written in model.written.items():
            if model.real - written < KEEP.total_seconds() - 1:
                assert marker in entries, f"entry {marker} lost after {action}"
    if action[0] == "round" or (action[0] == "pass" and action[2]):  # bounded: a row twice its retention old by
        # observed time (since the first mark after it) has left the store, whatever the wall clock says
        for marker in held:
            first = model.covered_by[marker]
            if first < len(model.marks) and model.observed - model.marks[first] >= 2 * KEEP.total_seconds() + 1:
                raise AssertionError(f"{marker} kept past twice its retention of observed time ({side.name})")
    return now_files


@pytest.mark.parametrize("side_name", list(SIDES))
@example(  # the red team's steps: +91 days, a round, +401 days, a round, back; then time passes
    actions=[
        ("write", 3),
        ("checkin", True),
        ("pass", 1, False),
        ("step", 91, 0),
        ("round",),
        ("pass", 1, False),
        ("step", 401, 0),
        ("round",),
        ("step", -492, 0),
        ("pass", 24 * 60, True),
    ]
)
@example(  # a step back that stays: the rows written before it leave at twice their retention all the same
    actions=[("write", 1), ("pass", 2, False), ("round",), ("step", -100, 0), ("pass", 24 * 20, True)]
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_no_clock_steps_lose_what_is_still_needed_and_the_store_stays_bounded(side_name, actions) -> None:
    run(side_name, actions)


# --- the red team's sequence, on the programs as they are built --------------------------------------------------


def kiosk_parts(folder: Path, clock: BootClock):
    """A kiosk built as officepass-kiosk builds it (not started: its retention rounds are run by hand), with
    clock_check = "sanity": it believes any wall clock after 2026."""
    kiosk = KAIKATSU.kiosk_settings.model_copy(update={"clock_check": "sanity"})
    return assemble(
        KAIKATSU.model_copy(update={"kiosk": kiosk}),
        clock,
        folder,
        on_outbox=lambda status: None,
        on_spent=lambda pass_id, until: None,
        occupancy_report=lambda: None,
    )


def test_the_red_team_s_steps_erase_nothing_at_the_kiosk(tmp_path) -> None:
    clock = BootClock(START)
    parts = kiosk_parts(tmp_path, clock)
    store = parts.store
    try:
        for n in range(3):
            store.audit(None, clock.now(), "refused", 1000 + n, "expired", f"today-{n}")
        check_in(store, clock, "sent-today")
        confirm(store, clock, "sent-today")
        check_in(store, clock, "queued-today")
        clock.advance(3600)  # the hourly round
        clock.step_wall(91 * DAY)
        parts.retention.cycle()
        clock.advance(3600)
        clock.step_wall(401 * DAY)
        parts.retention.cycle()
        clock.step_wall(-492 * DAY)  # and back
        assert {row[4] for row in store.audit_rows()} == {"today-0", "today-1", "today-2"}
        assert {record.key for record in store.checkins()} == {"sent-today", "queued-today"}
        assert exports(tmp_path / "audit") == {}  # nothing exported under a future date, nothing dropped
        clock.advance(91 * DAY)  # the real 91 days: now the audit goes, to the file of the day it was written
        parts.retention.cycle()
        assert store.audit_rows() == [] and {record.key for record in store.checkins()} == {"queued-today"}
        files = exports(tmp_path / "audit")
        assert list(files) == [f"{START.date().isoformat()}.jsonl"]
        assert [row["detail"] for row in files[f"{START.date().isoformat()}.jsonl"]] == [
            "today-0",
            "today-1",
            "today-2",
        ]
    finally:
        store.close()


def lockd_daemon(folder: Path, clock: BootClock, trust: ClockTrust) -> LockDaemon:
    """lockd built as officepass-lockd builds it (not started: its retention rounds are run by hand)."""
    doors = [door.model_copy(update={"driver": "simulated", "gpio": None}) for door in H1T.doors]
    cfg = H1T.model_copy(update={"doors": doors, "lockd": H1T.lockd_settings.model_copy(update={"data_dir": folder})})
    simulated = SimulatedDoors()
    return LockDaemon(
        cfg,
        BrokerSettings("127.0.0.1", 1, "lockd", "unused"),
        PlatformClient(cfg.platform),
        door_factory({"simulated": simulated, "gpio": simulated}),
        clock=clock,
        scheduler=clock,
        trust=trust,
    )


@pytest.mark.parametrize(
    "trust",
    [ClockTrust("sanity"), ClockTrust("kernel", synchronised=lambda: True)],
    ids=["sanity", "kernel synchronised to a wrong source"],
)
def test_the_red_team_s_steps_erase_nothing_at_lockd(tmp_path, trust) -> None:
    clock = BootClock(START)
    daemon = lockd_daemon(tmp_path, clock, trust)
    store = daemon.store
    try:
        for n in range(3):
            with store.transaction() as db:
                store.audit(db, AuditRow(clock.now().isoformat(), "booth-a", "unlock", "", f"c{n}", 1003, 1))
                store.record_entry(db, 1003, clock.now(), "booth-a", 1, n == 0)
        clock.advance(3600)  # the hourly round
        clock.step_wall(91 * DAY)
        daemon.retention.cycle()
        clock.advance(3600)
        clock.step_wall(401 * DAY)
        daemon.retention.cycle()
        clock.step_wall(-492 * DAY)
        assert [row.command_id for row in store.audit_rows()] == ["c0", "c1", "c2"]
        assert store.db.execute("SELECT COUNT(*) FROM entry").fetchone()[0] == 3
        assert exports(tmp_path / "audit") == {}
        clock.advance(91 * DAY)
        daemon.retention.cycle()
        assert store.audit_rows() == []  # exported, never simply deleted: nobody acknowledges lockd/audit
        files = exports(tmp_path / "audit")
        assert [row["command_id"] for row in files[f"{START.date().isoformat()}.jsonl"]] == ["c0", "c1", "c2"]
    finally:
        store.close()


# --- what bounds the store, what counts as time passing, what an export file keeps -------------------------------


def test_a_clock_stepped_back_keeps_rows_no_longer_than_twice_their_retention(tmp_path) -> None:
    clock = BootClock(START)
    kiosk = KioskSide(tmp_path, clock, ClockTrust("sanity"))
    try:
        kiosk.audit("before-the-step")
        clock.step_wall(-365 * DAY)  # a year back, and it stays there (still after 2026: believed)
        for _ in range(13):
            clock.advance(DAY)
            kiosk.loop.cycle()
        assert kiosk.audit_held() == {"before-the-step"}  # its own time is "in the future": the wall clock holds it
        for _ in range(2):
            clock.advance(DAY)
            kiosk.loop.cycle()
        assert kiosk.audit_held() == set()  # twice the retention observed: gone whatever the wall clock says
        assert list(exports(tmp_path / "audit")) == [f"{START.date().isoformat()}.jsonl"]
    finally:
        kiosk.store.close()


def test_a_kiosk_that_does_not_believe_its_clock_still_forgets_within_twice_the_retention(tmp_path) -> None:
    clock = BootClock(START)
    kiosk = KioskSide(tmp_path, clock, ClockTrust("kernel", synchronised=lambda: False))
    try:
        kiosk.checkin("visit")
        kiosk.confirm("visit")
        kiosk.checkin("later")  # (the highest row stays: SQLite would reuse its rowid)
        clock.advance(3600)
        kiosk.loop.cycle()  # the hourly round marks them written
        clock.advance(8 * DAY)
        kiosk.loop.cycle()
        assert kiosk.checkins_held() == {"visit", "later"}  # past the retention, but no wall clock agrees
        clock.advance(6 * DAY)
        kiosk.loop.cycle()
        assert kiosk.checkins_held() == {"later"}
    finally:
        kiosk.store.close()


def test_a_restart_counts_the_time_it_was_down_and_a_reboot_does_not(tmp_path) -> None:
    clock = BootClock(START)
    store = LockdStore(tmp_path / "lockd.db", clock)
    observed_time(store).begin(clock.now())
    clock.advance(3600)
    store.close()
    clock.advance(2 * DAY)  # lockd is down for two days; the board runs on
    store = LockdStore(tmp_path / "lockd.db", clock)
    assert observed_time(store).round(None, KEEP).elapsed == 3600 + 2 * DAY
    store.close()
    clock.reboot(5 * DAY)  # the board is off for five days: no monotonic clock saw them
    store = LockdStore(tmp_path / "lockd.db", clock)
    assert observed_time(store).round(None, KEEP).elapsed == 3600 + 2 * DAY
    clock.advance(60)
    assert observed_time(store).round(None, KEEP).elapsed == 3600 + 2 * DAY + 60
    store.close()


def test_exports_are_named_by_the_rows_days_and_never_overwrite_what_is_there(tmp_path) -> None:
    clock = BootClock(START)
    kiosk = KioskSide(tmp_path, clock, ClockTrust("sanity"))
    folder = tmp_path / "audit"
    folder.mkdir()
    torn = '{"seq": 0, "at": "2027-03-02T09:00:00+09:00", "detail": "cut sh'  # a crash cut the last line short
    (folder / "2027-03-02.jsonl").write_text(torn)
    legacy = '{"seq": -1, "at": "2026-01-01T09:00:00+09:00", "detail": "an older version\'s export"}\n'
    (folder / "2026-01-01.jsonl").write_text(legacy)  # named by the day it was exported, no record of when
    try:
        kiosk.audit("first-day")
        clock.advance(DAY)
        kiosk.audit("second-day")
        clock.step_wall(5 * 365 * DAY)  # years ahead while the next row is written
        kiosk.audit("written-ahead")
        clock.step_wall(-5 * 365 * DAY)
        clock.advance(3600)
        kiosk.loop.cycle()  # the hourly round marks them written
        clock.advance(8 * DAY)
        kiosk.loop.cycle()
        assert kiosk.audit_held() == {"written-ahead"}  # by its own time, far in the future: held by the wall clock
        first = (folder / "2027-03-02.jsonl").read_text().splitlines()
        assert first[0] == torn and json.loads(first[1])["detail"] == "first-day"  # appended, the torn line kept
        assert [json.loads(line)["detail"] for line in (folder / "2027-03-03.jsonl").read_text().splitlines()] == [
            "second-day"
        ]
        assert (folder / "2026-01-01.jsonl").read_text() == legacy  # years old by its name: kept, counted from now
        clock.advance(EXPORT_DAYS * DAY)
        kiosk.loop.cycle()
        # The legacy file 30 days after it was found, the others 30 days after their rows were exported; the row
        # written ahead left the store at twice its retention, for the file of the day it says.
        ahead = (START + timedelta(days=1 + 5 * 365)).date().isoformat()
        assert kiosk.audit_held() == set() and list(exports(folder)) == [f"{ahead}.jsonl"]
        assert [row["detail"] for row in exports(folder)[f"{ahead}.jsonl"]] == ["written-ahead"]
    finally:
        kiosk.store.close()


def test_a_store_keeps_the_marks_twice_its_retention_needs_and_no_more() -> None:
    """One mark per hourly round for twice the retention (and one older); MAX_MARKS spaces them wider for long ones."""
    clock = BootClock(START)
    with tempfile.TemporaryDirectory() as work:
        store = LockdStore(Path(work) / "lockd.db", clock)
        keep = timedelta(days=10)
        for _ in range(24 * 60):  # sixty days of hourly rounds
            clock.advance(3600)
            observed_time(store).round(clock.now(), keep)
        (count,) = store.db.execute("SELECT COUNT(*) FROM observed_mark").fetchone()
        assert 2 * 10 * 24 <= count <= 2 * 10 * 24 + 2  # twice the retention of hourly marks, and one older
        store.close()


def test_an_export_file_is_the_day_in_tokyo_each_row_was_written(tmp_path) -> None:
    store = LockdStore(tmp_path / "lockd.db", BootClock(START))
    try:
        for at, detail in (("2027-03-02T23:30:00+00:00", "utc"), ("2027-03-02T08:30:00+09:00", "tokyo"), ("?", "x")):
            store.append_audit(AuditRow(at, "booth-a", "probe", detail=detail))
        assert store.export_audit(tmp_path / "audit", "1", ()) == {
            "2027-03-03.jsonl": 1,  # 08:30 on the 3rd in Tokyo
            "2027-03-02.jsonl": 1,
            "undated.jsonl": 1,  # kept all the same (it goes only at twice its file's retention)
        }
        assert store.audit_rows() == []
    finally:
        store.close()
