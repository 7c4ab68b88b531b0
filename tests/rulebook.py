"""Helpers for the rule tests: the example facilities, members and moments in Tokyo."""

from __future__ import annotations

from datetime import datetime, timedelta

from facility.clock import Clock
from facility.config import FacilityConfig, load_config
from facility.models import CheckIn, EntryKind, Member, Plan
from facility.rules.calendar import TOKYO
from tests.conftest import CONFIG_DIR

# The examples are sets of spaces (docs/config.md, 'Spaces'); a rule decides by one space's venue (cfg.venue), and
# the facility itself reads as its first (main) space where a test gives it whole.
REGUS = load_config(CONFIG_DIR / "regus-shinjuku.toml")  # weekdays 9-18, 4 h, no basic plan; open space (40 seats)
# and a staffed meeting room (meeting-1)
KAIKATSU = load_config(CONFIG_DIR / "kaikatsu-ikebukuro.toml")  # 24 h, 3 h, 1 a day, cut-offs, first-visit sign-up
H1T = load_config(CONFIG_DIR / "h1t-shibuya.toml")  # booths (booking) and an unattended meeting room (meeting-1),
# 5 a day, early entry 5 min
KARAOKE = load_config(CONFIG_DIR / "karaoke-shinjuku.toml")  # overnight hours, no time limit, companions pay; 24
# rooms, phone holds, the business day begins at 06:00
MEETING = load_config(CONFIG_DIR / "meeting-kanda.toml")  # staffed meeting rooms: the representative checks in

BASIC = Member(1, Plan.INDIVIDUAL_BASIC, "基本 太郎")
PREMIUM = Member(2, Plan.INDIVIDUAL_PREMIUM, "上級 花子")
CORPORATE = Member(3, Plan.CORPORATE, "法人 次郎")
NEWCOMER = Member(4, Plan.INDIVIDUAL_BASIC, "初回 さくら", first_visit_at_chain=True)


def at(text: str) -> datetime:
    """A moment in Tokyo from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TOKYO)


def tomorrow_at_ten(clock: Clock) -> datetime:
    """10:00 tomorrow in Tokyo on a clock: open at H1T (daily 8-21), bookable and cancellable at any hour of today,
    for tests whose platform runs on the real clock."""
    now = clock.now().astimezone(TOKYO)
    return (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


def visit(member: Member, start: str, end: str | None, **kw) -> CheckIn:
    """A recorded check-in from start running until end."""
    return CheckIn(member.member_id, at(start), member.plan, EntryKind.CHECK_IN, at(end) if end else None, **kw)


def with_rules(cfg: FacilityConfig, **changes) -> FacilityConfig:
    """The facility with some of its rule values changed."""
    return cfg.model_copy(update={"rules": cfg.rules.model_copy(update=changes)})
