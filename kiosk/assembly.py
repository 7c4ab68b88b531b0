"""Building a kiosk's parts from the facility file: the store, reception, the desk code and the background loops.

Only construction lives here (no Qt, no behaviour): kiosk/app.py runs what this builds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from facility.clock import Clock
from facility.clocktrust import ClockTrust
from facility.config import FacilityConfig
from facility.contract import OccupancyBody
from facility.errors import ConfigError, ConfigProblem
from facility.loop import Supervisor
from facility.platform import PlatformClient
from facility.reservations import ReservationSync
from facility.retention import RetentionLoop
from facility.tokens import SigningKey
from facility.topics import SiteTopics
from facility.trustcache import TrustRefresh
from kiosk.desk_code import DeskCodeShow
from kiosk.occupancy import OccupancyReporter
from kiosk.outbox import OutboxSender, OutboxStatus
from kiosk.reception import Reception
from kiosk.store import KioskStore, purge_kiosk

log = logging.getLogger(__name__)
RESERVATION_SYNC_SECONDS = 60.0  # and at once on the platform's change notice
RESERVATIONS_STALE_AFTER = timedelta(minutes=30)
# The longest a pass waits for revocations newer than a change notice (or for the first list of a new store); a
# platform that does not answer in time leaves the kiosk judging by the last good list, or by none (accepting none).
REVOCATIONS_WAIT_SECONDS = 1.0


def desk_code_key(cfg: FacilityConfig) -> Path:
    """The kiosk's own key for its desk code (kiosk_needs refuses a file without one before the kiosk starts)."""
    key = cfg.kiosk_settings.signing_key_file
    if key is None:
        raise ConfigError(
            "", [ConfigProblem("kiosk.signing_key_file", "the kiosk signs its front-desk code: give its key file")]
        )
    return key


@dataclass
class KioskParts:
    """What one kiosk is made of, built once."""

    cfg: FacilityConfig
    clock: Clock
    data_dir: Path
    store: KioskStore
    topics: SiteTopics
    reception: Reception
    desk_code: DeskCodeShow
    outbox: OutboxSender
    trust_refresh: TrustRefresh
    occupancy: OccupancyReporter
    reservations: ReservationSync | None
    retention: RetentionLoop
    supervisor: Supervisor


def assemble(
    cfg: FacilityConfig,
    clock: Clock,
    data_dir: Path,
    *,
    on_outbox: Callable[[OutboxStatus], None],
    on_spent: Callable[[bytes, float], None],
    occupancy_report: Callable[[], OccupancyBody],
) -> KioskParts:
    """The kiosk's parts for a facility, wired to the three things the running kiosk must hear."""
    store = KioskStore(data_dir / "kiosk.db", clock)
    platform = PlatformClient(cfg.platform)
    keep = timedelta(days=cfg.kiosk_settings.retention_days)
    outbox = OutboxSender(store, platform, clock, on_outbox)
    reception = Reception(cfg, store, clock, on_spent)
    trust_refresh = TrustRefresh(platform, store, clock, cfg.tokens.fetch_platform_keys, keyset=reception.keys)
    reception.await_revocations = partial(trust_refresh.current, REVOCATIONS_WAIT_SECONDS)
    reception.current_revocations = trust_refresh.revocations
    occupancy = OccupancyReporter(platform, cfg.facility.id, occupancy_report)
    reservations = _reservation_sync(cfg, store, clock, trust_refresh)
    trust = ClockTrust(cfg.kiosk_settings.clock_check)  # the wall clock is believed as lockd believes it
    export_days = cfg.kiosk_settings.audit_export_days
    retention = RetentionLoop(
        lambda now: purge_kiosk(store, now, keep, export_days, trusted=trust.trusted(now)),
        clock,
        store=store,
        trust=trust,
    )
    loops = [outbox, trust_refresh, occupancy, reservations, retention]
    return KioskParts(
        cfg,
        clock,
        data_dir,
        store,
        SiteTopics.of(cfg),
        reception,
        DeskCodeShow(
            cfg.facility.id,
            cfg.kiosk_settings.id,
            cfg.kiosk_settings.desk_code_period_seconds,
            SigningKey.load(desk_code_key(cfg)),
            clock,
        ),
        outbox,
        trust_refresh,
        occupancy,
        reservations,
        retention,
        Supervisor([loop for loop in loops if loop]),
    )


def _reservation_sync(
    cfg: FacilityConfig, store: KioskStore, clock: Clock, trust: TrustRefresh
) -> ReservationSync | None:
    """A staffed meeting room admits representatives against the bookings it keeps from the platform (and fetches
    the revocations after each fetch of them)."""
    if not any(space.kind.needs_reservation and space.kind.checks_in_at_reception for space in cfg.spaces):
        return None

    def stale(is_stale: bool) -> None:  # the bookings could not be refreshed for a while (or can again)
        (log.error if is_stale else log.info)("reservations %s", "stale" if is_stale else "fresh again")
        store.audit(None, clock.now(), "reservations_stale" if is_stale else "reservations_fresh")

    return ReservationSync(
        PlatformClient(cfg.platform),
        store,
        cfg.facility.id,
        clock,
        RESERVATION_SYNC_SECONDS,
        RESERVATIONS_STALE_AFTER,
        stale,
        refresh_trust=trust.refresh_revocations,
    )
