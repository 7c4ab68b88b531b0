"""Companions who are not members (docs/domain.md): they pay the drop-in fee, or come free to meeting rooms."""

from __future__ import annotations

from facility.config.schema import FacilityConfig
from facility.models import FacilityKind

MEETING_ROOMS = (FacilityKind.MEETING_ROOM_UNATTENDED, FacilityKind.MEETING_ROOM_STAFFED)


def companion_fee(cfg: FacilityConfig) -> int | None:
    """Yen a companion pays on site: 0 at meeting rooms, None where drop-in is not sold."""
    if cfg.facility.kind in MEETING_ROOMS:
        return 0
    return cfg.companions.drop_in_fee_yen
