"""A scripted walk through the shared core at two example facilities.

Members' phones mint passes with the demo platform key, the facility verifies them
and applies its rules, exactly as the kiosk will. This is the demo until the full
simulated site (kiosk, lockd, broker, platform) exists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from facility.config import FacilityConfig, load_config
from facility.models import CheckIn, Member, Occupancy, Plan
from facility.rules.calendar import TOKYO
from facility.rules.checkin import decide_checkin
from facility.store import MemorySeenIds
from facility.tokens import Keyring, MemberPass, Refusal, SigningKey, facility_tag, mint, new_id, verify_member_pass
from facility.usage import uses_on

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Visit:
    """One scripted arrival: who, when, and how their phone's pass is made."""

    member: Member
    at: datetime
    signer: str = "platform"
    pass_age: timedelta = timedelta(0)
    reuse_previous: bool = False


@dataclass
class Outcome:
    """What the walkthrough saw; the summary is built from it."""

    admitted: int = 0
    refused: Counter = field(default_factory=Counter)
    uses: int = 0
    lines: list[str] = field(default_factory=list)


class Facility:
    """One facility's verifier and history, as a kiosk holds them."""

    def __init__(self, cfg: FacilityConfig) -> None:
        self.cfg = cfg
        self.keyring = Keyring.from_config(cfg.tokens.trusted_keys)
        self.seen = MemorySeenIds()
        self.history: list[CheckIn] = []

    def arrive(self, text: str, member: Member, at: datetime) -> tuple[bool, str]:
        """Verify the pass and decide; returns admitted and what the screen would say."""
        verified = verify_member_pass(text, self.keyring, at.timestamp(), skew=self.cfg.tokens.clock_skew_seconds,
                                      seen=self.seen, facility_id=self.cfg.facility.id)
        if isinstance(verified, Refusal):
            return False, verified.reason.code
        occupancy = Occupancy(sum(1 for c in self.history if c.active_at(at)))
        decision = decide_checkin(self.cfg, member, self.history, occupancy, at)
        if not decision.admitted:
            return False, ",".join(r.code for r in decision.reasons)
        self.history.append(decision.record(member, at))
        until = decision.ends_at.strftime("%H:%M") if decision.ends_at else "closing"
        checks = "+".join(c.code for c in decision.desk_checks) or "none"
        return True, f"{decision.entry.value} until {until}, desk checks: {checks}"


def _pass_for(visit: Visit, cfg: FacilityConfig, keys: dict[str, SigningKey], last: str) -> str:
    """The text the member's phone shows."""
    if visit.reuse_previous:
        return last
    issued = int((visit.at - visit.pass_age).timestamp())
    member_pass = MemberPass(visit.member.member_id, visit.member.plan, new_id(8), issued, 90,
                             facility_tag(cfg.facility.id), None, visit.member.name, visit.member.first_visit_at_chain)
    return mint(member_pass, keys[visit.signer])


def _script() -> list[tuple[str, list[Visit]]]:
    """The members and their arrivals at the Regus-like and Kaikatsu-like example sites."""
    aoi = Member(1001, Plan.INDIVIDUAL_PREMIUM, "佐藤 葵", first_visit_at_chain=True)
    ren = Member(1002, Plan.INDIVIDUAL_BASIC, "鈴木 蓮")
    haruto = Member(1003, Plan.INDIVIDUAL_BASIC, "高橋 陽翔", first_visit_at_chain=True)
    yui = Member(1004, Plan.CORPORATE, "田中 結衣")
    tue = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
    fri = datetime(2026, 11, 20, 17, 30, tzinfo=TOKYO)
    return [
        ("regus-shinjuku.toml", [
            Visit(aoi, tue), Visit(aoi, tue + timedelta(seconds=5), reuse_previous=True), Visit(ren, tue),
            Visit(yui, tue, signer="forger"), Visit(yui, tue, pass_age=timedelta(minutes=10)),
            Visit(aoi, tue + timedelta(hours=1)), Visit(yui, tue + timedelta(hours=9)),
        ]),
        ("kaikatsu-ikebukuro.toml", [
            Visit(haruto, fri), Visit(yui, fri + timedelta(hours=1)), Visit(haruto, fri + timedelta(hours=4)),
        ]),
    ]


def run_walkthrough(config_dir: Path = REPO / "config") -> Outcome:
    """Run the script and return what happened."""
    keys = {"platform": SigningKey.load(config_dir / "demo-keys" / "platform-demo.pem"), "forger": SigningKey.generate()}
    outcome = Outcome()
    for file_name, visits in _script():
        site = Facility(load_config(config_dir / file_name))
        last = ""
        for visit in visits:
            last = _pass_for(visit, site.cfg, keys, last)
            admitted, said = site.arrive(last, visit.member, visit.at)
            outcome.admitted += admitted
            outcome.refused.update([] if admitted else said.split(","))
            verdict = "ADMIT " if admitted else "REFUSE"
            outcome.lines.append(f"{visit.at:%a %H:%M} {site.cfg.facility.id:22} {visit.member.name:8} {verdict} {said}")
        days = {visit.at.date() for visit in visits}
        outcome.uses += sum(len(uses_on(site.cfg, site.history, day)) for day in days)
    return outcome
