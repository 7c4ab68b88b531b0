"""lockd: the door controller of one booking site, wired together.

Commands arrive over MQTT 5 (persistent session, acknowledged only once handled), are
decided by UnlockHandler, and drive the DoorControllers; state, events, alarms and the
audit trail go out over MQTT; reservations come from the platform through ReservationSync.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from facility.clock import Clock, RealTimeScheduler, Scheduler, SystemClock
from facility.config import FacilityConfig
from facility.config.models import Door
from facility.keyset import KeySet, SiteKeys
from facility.loop import Supervisor
from facility.messages import ReservationsChanged
from facility.platform import PlatformClient
from facility.reservations import ReservationSync
from facility.retention import RetentionLoop
from facility.rules.calendar import TOKYO
from facility.tokens import Keyring, UnlockCommand
from facility.topics import SiteTopics
from facility.trustcache import TrustRefresh
from lockd.clocktrust import ClockTrust
from lockd.commands import UnlockHandler, UnlockVerdict
from lockd.door import DoorHardware
from lockd.doors import DoorController, LockState
from lockd.failpoints import failpoint
from lockd.junk import JUNK_AUDIT_SECONDS
from lockd.metrics import LockdMetrics
from lockd.outbox import DoorDecisionSender
from lockd.reader import PassReader
from lockd.readers import DoorReaders, ReaderVerdict, installed_reader
from lockd.reports import SiteReports
from lockd.store import AuditRow, LockdStore, purge_lockd
from messagebus import BrokerSettings, BusClient, Inbound, Later, Presence

log = logging.getLogger(__name__)
HardwareFactory = Callable[[Door, Scheduler], DoorHardware]
ReaderFactory = Callable[[Door], PassReader]  # a door's pass reader (lockd/reader.py)
DOOR_EVENTS_AUDITED = {"opened", "closed", "forced", "held_open", "jammed"}
ON_DEMAND_SYNC_SECONDS = 2.0
ON_DEMAND_WAIT_SECONDS = 1.0  # the longest one command waits for a reservation booked a moment ago
# Commands decided together in one durable commit: whatever arrived while the last batch was decided. Bounded so that
# the first of a batch never waits long for the last, and a flood is screened in slices between genuine batches.
MAX_BATCH = 128
# QoS 1 messages the broker may have in flight to lockd, unacknowledged (lockd acknowledges each only once it is
# handled). Mosquitto's default of 20 capped a batch at 20 and left a flood in the broker's queue for this session,
# which drops what passes max_queued_messages (1000), genuine commands among it; lockd holds these in memory instead.
# The same the other way: with paho's 20, an answer waited behind the reports and answers before it for PUBACKs.
RECEIVE_MAXIMUM = SEND_MAXIMUM = 1000


class LockDaemon:
    """One lockd process: the site's doors, its reservation cache and its broker connection."""

    def __init__(
        self,
        cfg: FacilityConfig,
        broker: BrokerSettings,
        platform: PlatformClient,
        hardware_for: HardwareFactory,
        *,
        clock: Clock | None = None,
        scheduler: Scheduler | None = None,
        trust: ClockTrust | None = None,
        data_dir: Path | None = None,
        readers_for: ReaderFactory | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self._own_scheduler: RealTimeScheduler | None = None  # one lockd made itself, stopped with it
        if scheduler is None:
            scheduler = self._own_scheduler = RealTimeScheduler()
        self.scheduler: Scheduler = scheduler
        self.topics = SiteTopics.of(cfg)
        self.store = LockdStore(Path(data_dir or cfg.lockd_settings.data_dir) / "lockd.db", self.clock)
        # The platform's keys: pinned, plus those its root certifies in the key set (facility/keyset.py).
        self.keys = SiteKeys(cfg, self.store, self.clock, self._keyset_audit, [self._keyset_adopted])
        self.trust_refresh = TrustRefresh(platform, self.store, self.clock, fetch_keys=False, keyset=self.keys)
        self.sync = ReservationSync(
            platform,
            self.store,
            cfg.facility.id,
            self.clock,
            cfg.lockd_settings.sync_interval_seconds,
            timedelta(minutes=cfg.lockd_settings.stale_after_minutes),
            self._stale_changed,
            on_synced=self._publish_status,
            refresh_trust=self.trust_refresh.refresh_revocations,
        )
        keep = timedelta(days=cfg.lockd_settings.retention_days)
        self.retention = RetentionLoop(
            lambda now: self._retain(now, keep),
            self.clock,
            store=self.store,
            trust=trust or ClockTrust(cfg.lockd_settings.clock_check),
        )
        self.outbox = DoorDecisionSender(self.store, platform, self.clock)
        self.supervisor = Supervisor([self.sync, self.trust_refresh, self.retention, self.outbox])
        self.handler = UnlockHandler(
            cfg,
            self.store,
            Keyring(),  # no key until start() asks SiteKeys: nothing verifies before the store is read
            self.topics,
            self.clock,
            trust or ClockTrust(cfg.lockd_settings.clock_check),
            self.sync.stale,
            self._refresh_for,
            # Before each batch: revocations older than the last change notice, or none at all (a new or lost
            # store), are fetched first; the dispatcher waits at most ON_DEMAND_WAIT_SECONDS, once per notice.
            partial(self.trust_refresh.current, ON_DEMAND_WAIT_SECONDS),
            self.trust_refresh.revocations,
        )
        # Every alarm series at 0 from the start, so that Prometheus sees the first alarm as a rise.
        self.metrics = LockdMetrics(self.sync.age_seconds, self._last_sync_timestamp, doors=[d.id for d in cfg.doors])
        self.metrics.watch_loops("lockd", self.supervisor.health)
        self.doors = {
            d.id: DoorController(
                d, hardware_for(d, self.scheduler), self.scheduler, self._door_news, self._exit_pressed
            )
            for d in cfg.doors
        }
        self.readers = DoorReaders(
            cfg,
            self.store,
            self.clock,
            self.handler.trust,
            lambda: self.handler.keyring,
            self.trust_refresh.revocations,
            partial(self.trust_refresh.current, ON_DEMAND_WAIT_SECONDS),
            self.sync.stale,
            self._reader_decided,
        )
        readers_for = readers_for or partial(installed_reader, cfg.lockd_settings)
        self._reader_of = {d.id: readers_for(d) for d in cfg.doors if d.reader is not None}
        if self._reader_of:
            self.supervisor.loops.append(self.readers)
        self._last_on_demand_sync = -ON_DEMAND_SYNC_SECONDS
        self._stopped = False
        self._junk_audit_planned = False
        self._door_of = {self.topics.command(door_id): door_id for door_id in self.doors}  # command topic -> door
        self.bus = BusClient(
            dataclasses.replace(
                broker,
                clean_start=False,
                manual_ack=True,
                receive_maximum=RECEIVE_MAXIMUM,
                send_maximum=SEND_MAXIMUM,
                session_expiry=cfg.lockd_settings.session_expiry_seconds,
                client_id=broker.client_id or f"lockd-{cfg.facility.id}",
            ),
            presence=Presence(self.topics.lockd("availability")),
        )
        self.reports = SiteReports(cfg, self.bus, self.clock)

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Report a lost store, lock every door, finish pulses a crash interrupted, then start syncing and listening."""
        self._report_store_loss()
        self.handler.keyring = self.keys.load().keyring()  # the key set held before the restart, checked again
        for door in self.doors.values():
            door.start()
        self._resume_pulses()
        self.outbox.start()
        if self._reader_of:
            self.readers.start()
        for door_id, reader in self._reader_of.items():
            self.readers.attach(door_id, reader, partial(self._reader_alarm, door_id, reader.name))
        self.trust_refresh.start()
        self.retention.start()
        self.sync.start()
        # Try the platform once before listening, so a fresh cache does not refuse the first commands;
        # if it does not answer in time, lockd serves from what it has.
        self.sync.first_attempt.wait(self.cfg.platform.timeout_seconds * 2 + 1)
        self.bus.subscribe_batched(list(self._door_of), self._commands, max_batch=MAX_BATCH, retain_as_published=True)
        self.bus.subscribe(self.topics.reservations_changed, self._change_notice)
        if self.keys.rooted:
            self.bus.subscribe(self.topics.keyset, lambda message: self.keys.announced(message.payload))
        for ghosts in self.reports.ghost_filters():  # what a door removed from the site file left retained
            self.bus.subscribe(ghosts, self.reports.take_down_ghost)
        self.bus.connection_listeners.append(self._connection_changed)
        if self.cfg.lockd_settings.metrics_port:
            self.metrics.serve(self.cfg.lockd_settings.metrics_port)
        self.bus.start()

    def stop(self, cause: str = "stop") -> None:
        """Release every relay (audited with its cause), say goodbye on the broker, and close the files; once."""
        if self._stopped:
            return
        self._stopped = True
        # The readers first: a pass decided while stopping drives its relay before the doors are released below.
        self.readers.close_readers()
        self.readers.stop()
        for door_id, door in self.doors.items():
            try:  # one door that cannot be released or audited must not keep the others' relays energised
                door.release()
                self._audit(
                    AuditRow(
                        self.clock.now().isoformat(),
                        door_id,
                        "relay_released",
                        cause,
                        detail=f"fail-{door.door.fail_mode}: the strike is "
                        f"{'open' if door.door.fail_mode == 'safe' else 'locked'} while lockd is down",
                    )
                )
            except Exception:
                log.exception("releasing %s at stop", door_id)
        self.readers.write_junk()
        self.write_junk_audit()
        self.keys.write_tally()
        self.bus.stop()  # says offline first (its presence)
        self.sync.stop()
        self.trust_refresh.stop()
        self.retention.stop()
        self.outbox.stop()
        self.handler.screener.close()
        self.metrics.stop()
        if self._own_scheduler is not None:
            self._own_scheduler.stop()
        self.store.close()

    def _retain(self, now: datetime, keep: timedelta) -> dict[str, int]:
        """The hourly purge. Age is the time lockd saw pass (facility/retention.py); the wall clock only holds rows
        back, and only while clock_check trusts it: a clock years ahead cannot delete what is still needed."""
        trusted = self.handler.trust.trusted(now)
        return purge_lockd(self.store, now, keep, self.cfg.lockd_settings.audit_export_days, trusted=trusted)

    def _last_sync_timestamp(self) -> float:
        """When the reservations were last synced, as Unix time; 0 if never."""
        last_ok = self.store.sync_state().last_ok
        return last_ok.timestamp() if last_ok else 0.0

    def healthy(self) -> bool:
        """True while the loops that keep doors safe are running (the systemd watchdog asks this).

        A background loop whose thread ended is restarted here first (and reported); only the
        dispatcher, which no one else can restart, or a loop that will not come back, fails it.
        """
        for name in self.supervisor.check():
            self._audit(AuditRow(self.clock.now().isoformat(), "", "loop_restarted", name))
        return self.supervisor.all_alive() and self.bus.dispatcher_alive

    # --- commands -----------------------------------------------------------------------------

    def _commands(self, messages: list[Inbound]) -> list[Later]:
        """Decide a batch in one durable commit, drive the relays it opens, then answer its genuine commands.

        The relays move before anything is published, so the last door of a batch waits only for the commit and
        the relays before it. What can wait (the audit and door reports, refused events, the answers to junk) is
        handed back to the bus, which runs it whenever no command waits: decisions come first.
        """
        arrivals = [(self._door_of[message.topic], message) for message in messages]
        decided = [
            (door_id, message, outcome)
            for (door_id, message), outcome in zip(arrivals, self.handler.decide_batch(arrivals), strict=True)
            if outcome is not None
        ]
        openings = [index for index, (_, _, (verdict, new)) in enumerate(decided) if new and verdict.opens]
        driven = {index for index in openings if self._drive(decided[index][0])}
        if driven:  # all the batch's relays have moved: one note for them (the window docs/lockd.md names)
            self.store.mark_pulsed(*(decided[index][2][0].digest for index in driven))
        failpoint("before_answer", len(driven))
        unanswered = set(openings) - driven  # a relay that failed: no "opened" for a door that did not open
        for index, (door_id, message, (verdict, new)) in enumerate(decided):
            if not verdict.junk and index not in unanswered:
                self._answer(door_id, message, verdict, new)
        return [
            step
            for index, (door_id, message, (verdict, new)) in enumerate(decided)
            for step in self._report_steps(door_id, message, verdict, new, index in driven)
        ]

    def _drive(self, door_id: str) -> bool:
        """Drive a door's relay for an opening; False if its hardware failed (logged), so that the opening stays
        awaiting its pulse, as after a crash, and the batch's other doors still open."""
        try:
            self.doors[door_id].drive_unlock()
        except Exception:
            log.exception("driving the relay of %s failed; the opening waits for lockd's next start", door_id)
            return False
        return True

    def _answer(self, door_id: str, message: Inbound, verdict: UnlockVerdict, new: bool) -> None:
        """Count a decided message and answer it on the door's reply topic, whatever response topic it names: the
        name is not signed, and lockd may write topics (door states, alarms, discovery) an answer must never land on."""
        if new:
            self.metrics.commands.labels(door_id, verdict.answer.result, verdict.answer.reason or "").inc()
        if message.response_topic:  # junk at QoS 0: an answer to bytes no one signed needs no PUBACK to cost lockd
            self.bus.publish(
                self.topics.reply(door_id),
                verdict.answer.payload(),
                correlation=message.correlation,
                timeout=None,
                qos=0 if verdict.junk else 1,
            )

    def _report_steps(
        self, door_id: str, message: Inbound, verdict: UnlockVerdict, new: bool, pulsed: bool
    ) -> list[Later]:
        """What can wait, in small steps (a command arriving meanwhile waits for one step at most): the audit row,
        then the door's new state, or a refused event; junk is answered and its tally's write-out planned."""
        steps: list[Later] = []
        if verdict.junk:
            steps += [self._plan_junk_audit, partial(self._answer, door_id, message, verdict, new)]
        if new and verdict.audit is not None:
            steps.append(partial(self.reports.audit, verdict.audit))  # in the order written: audit row, then door
        if pulsed:
            steps.append(self.doors[door_id].report_unlock)
        if new and not verdict.opens and not verdict.junk:
            steps.append(partial(self.reports.door_event, door_id, "refused", False, verdict.answer.reason))
        return steps

    def _refresh_for(self, command: UnlockCommand) -> None:
        """An authentic command for a reservation the cache does not hold (booked a moment ago): ask the sync loop,
        which fetches the revocations after the reservations.

        The sync runs on its own thread; the dispatcher waits for it at most ON_DEMAND_WAIT_SECONDS,
        and at most once every ON_DEMAND_SYNC_SECONDS, so neither a hanging platform nor a flood of
        such commands can stall the other doors.
        """
        if self.store.reservation(command.reservation_id) is not None:
            return
        if time.monotonic() - self._last_on_demand_sync < ON_DEMAND_SYNC_SECONDS:
            return
        self._last_on_demand_sync = time.monotonic()
        with self.sync.synced:
            before = self.sync.sync_count
            self.sync.trigger()
            self.sync.synced.wait_for(lambda: self.sync.sync_count > before, ON_DEMAND_WAIT_SECONDS)

    def _resume_pulses(self) -> None:
        """Openings decided before a crash but never pulsed: pulse them if still valid, else give them up."""
        now = self.clock.now()
        for digest, door_id, command_id, expires in self.store.awaiting_pulse():
            action = "unlock_resumed" if now <= expires and door_id in self.doors else "unlock_abandoned"
            self._audit(AuditRow(now.isoformat(), door_id, action, "", command_id))
            if action == "unlock_resumed":
                self.doors[door_id].unlock()
            self.store.mark_pulsed(digest, pulsed=action == "unlock_resumed")

    # --- door readers ---------------------------------------------------------------------------

    def _reader_decided(self, verdict: ReaderVerdict) -> None:
        """A pass decided at a door's reader (committed): the relay, the member's LED and beep, then the reports."""
        opened = verdict.opens and self._drive(verdict.door_id)
        reader = self._reader_of.get(verdict.door_id)
        try:
            if reader is not None:
                reader.signal(opened)
        except Exception:
            log.exception("the reader of %s could not show its verdict", verdict.door_id)
        self.metrics.reads.labels(verdict.door_id, "opened" if opened else "refused", verdict.reason).inc()
        if verdict.row is not None:
            self.outbox.wake()
            self.reports.audit(verdict.row)
        if opened:
            self.doors[verdict.door_id].report_unlock()
        else:
            self.reports.door_event(verdict.door_id, "refused", False, verdict.reason or None)

    def _reader_alarm(self, door_id: str, reader: str, alarm: str, raised: bool, detail: str) -> None:
        """A reader's own trouble (offline, wrong key, garbage, flood): logged, audited, counted and published."""
        (log.error if raised else log.info)(
            "door %s reader %s: %s %s (%s)", door_id, reader, alarm, "raised" if raised else "cleared", detail
        )
        self._audit(
            AuditRow(
                self.clock.now().isoformat(),
                door_id,
                alarm if raised else f"{alarm}_cleared",
                "",
                "",
                None,
                None,
                f"{reader}: {detail}"[:200],
            )
        )
        if raised:
            self.metrics.alarms.labels(door_id, alarm).inc()
        self.reports.door_event(door_id, alarm if raised else f"{alarm}_cleared", raised)

    # --- the platform's keys ---------------------------------------------------------------------

    def _keyset_adopted(self, held: KeySet) -> None:
        """A newer key set was adopted (kept in the store already): commands are judged by its keys from now on."""
        self.handler.keyring = self.keys.keyring()
        self.reports.keyset(held)
        self._publish_status()

    def _keyset_audit(self, action: str, reason: str, detail: str) -> None:
        """A key set adopted or refused: audited and published like every audit row."""
        self._audit(AuditRow(self.clock.now().isoformat(), "", action, reason, detail=detail))

    # --- reporting ----------------------------------------------------------------------------

    def _plan_junk_audit(self) -> None:
        """The first junk of a period: write the period's tally out when it ends."""
        if not self._junk_audit_planned:
            self._junk_audit_planned = True
            self.scheduler.call_later(JUNK_AUDIT_SECONDS, self.write_junk_audit)

    def write_junk_audit(self) -> None:
        """One audit row per door and reason for the junk refused since the last one."""
        self._junk_audit_planned = False
        since, counts = self.handler.junk.drain()
        for (door_id, reason), count in sorted(counts.items()):
            self._audit(
                AuditRow(
                    self.clock.now().isoformat(),
                    door_id,
                    "refused_junk",
                    reason,
                    detail=f"{count} message(s) since {since.isoformat() if since else '?'}",
                )
            )

    def _report_store_loss(self) -> None:
        """A store that was deleted, emptied or replaced: audit it and raise the alarm (published on connect)."""
        loss = self.store.loss
        if loss is None:
            return
        log.error(
            "lockd store lost: %s; every command issued before %s is refused",
            loss.describe(),
            self.clock.now().isoformat(),
        )
        self._audit(AuditRow(self.clock.now().isoformat(), "", "store_lost", loss.cause, detail=loss.describe()))
        self.metrics.alarms.labels("", "store_lost").inc()

    def _exit_pressed(self, door_id: str) -> None:
        """Audit the exit button before its pulse."""
        self._audit(AuditRow(self.clock.now().isoformat(), door_id, "exit_button"))

    def _door_news(self, door_id: str, state: LockState, event: str, alarm: bool) -> None:
        """Publish a door's state (retained) and event; audit the door's own movements."""
        self.reports.door_state(door_id, state)
        self.metrics.door_is(door_id, state.value, [s.value for s in LockState])
        if alarm:
            self.metrics.alarms.labels(door_id, event).inc()
        if event:
            self.reports.door_event(door_id, event, alarm)
        if event in DOOR_EVENTS_AUDITED:
            self._audit(AuditRow(self.clock.now().isoformat(), door_id, event, "alarm" if alarm else ""))

    def _audit(self, row: AuditRow) -> None:
        """Write an audit row, then publish it."""
        self.store.append_audit(row)
        self.reports.audit(row)

    def _change_notice(self, message: Inbound) -> None:
        """The platform says reservations or revocations changed: refresh everything the notice may concern now, the
        reservations with the revocations after them, and the key set (a message that is not its notice is only
        logged)."""
        # Whatever it says: only the platform may write this topic, and a notice this version cannot read (a field
        # added later) still means that something changed (an unreadable one is logged).
        ReservationsChanged.accepted(message.payload, message.topic)
        self.trust_refresh.changed()  # the next command waits (briefly) for revocations newer than this notice
        self.sync.trigger()

    def _stale_changed(self, stale: bool) -> None:
        """Raise or clear the stale-reservations alarm."""
        self.reports.reservations_stale(stale, self.sync.last_error or "")

    def _publish_status(self) -> None:
        """lockd's version, last good sync and key set version (after each sync and each key set adopted)."""
        self.reports.status(self.store.sync_state().last_ok, self.keys.held)

    def _connection_changed(self, connected: bool) -> None:
        """On every (re)connection: discovery, the alarms, key set and status, and every door's state (retained)."""
        self.metrics.broker_connected.set(1 if connected else 0)
        if connected:
            self.reports.announce({door_id: door.state for door_id, door in self.doors.items()}, self._retained)

    def _retained(self) -> None:
        """The retained reports besides the doors: the store alarm, the key set held, the status."""
        self.reports.store_alarm(self.store.loss, datetime.fromtimestamp(self.store.created_at, TOKYO))
        self.reports.keyset(self.keys.held)
        self._publish_status()
