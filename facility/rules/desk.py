"""Checks at the desk (docs/domain.md): temperature, photo ID, first-visit sign-up at the chain."""

from __future__ import annotations

from facility.config.models import DeskCheck, DeskChecks
from facility.models import Member
from facility.reasons import Worded


class DeskCheckDue(Worded):
    """A check staff must perform before the member sits down."""

    TEMPERATURE = ("temperature", "検温", "Take the member's temperature")
    PHOTO_ID = ("photo_id", "本人確認書類の確認", "Check a photo ID")
    MEMBERSHIP_SIGNUP = ("membership_signup", "初回の会員登録", "First visit: membership sign-up")


def _due(when: DeskCheck, first_visit: bool) -> bool:
    """True when a check set to `when` applies to this visit."""
    return when is DeskCheck.EVERY_VISIT or (when is DeskCheck.FIRST_VISIT and first_visit)


def desk_checks_due(checks: DeskChecks, member: Member) -> tuple[DeskCheckDue, ...]:
    """The checks staff must perform for this member now; 'first visit' means at this chain."""
    first = member.first_visit_at_chain
    wanted = (
        (DeskCheckDue.TEMPERATURE, checks.temperature),
        (DeskCheckDue.PHOTO_ID, checks.photo_id),
        (DeskCheckDue.MEMBERSHIP_SIGNUP, checks.membership_signup),
    )
    return tuple(check for check, when in wanted if _due(when, first))
