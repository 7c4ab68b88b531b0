"""The kiosk's reception logic: verify offline, apply the rules, keep every check-in before answering."""

from __future__ import annotations

import pytest

from facility.models import EntryKind, Plan
from facility.reasons import Reason
from facility.rules.capacity import Vacancy
from facility.rules.desk import DeskCheckDue
from facility.tokens import SigningKey
from tests.kiosk_desk import member_pass, reception
from tests.rulebook import KAIKATSU, REGUS, at

TUESDAY = at("2026-11-24 10:00")


def test_a_valid_pass_is_admitted_kept_and_queued(tmp_path) -> None:
    desk = reception(REGUS, tmp_path, TUESDAY)
    verdict = desk.present(member_pass(REGUS, at=desk.clock.now().timestamp()))
    assert verdict.admitted and verdict.name == "佐藤 葵" and verdict.entry is EntryKind.CHECK_IN
    assert verdict.ends_at.strftime("%H:%M") == "14:00"
    (kept,) = desk.store.checkins()
    (queued,) = desk.store.outbox("queued")
    assert queued.key == kept.key and queued.body["member_id"] == 1001 and queued.body["new_use"] is True


def test_the_same_pass_shown_twice_gets_the_same_verdict_and_is_counted_once(tmp_path) -> None:
    desk = reception(REGUS, tmp_path, TUESDAY)
    text = member_pass(REGUS, at=desk.clock.now().timestamp())
    first, second = desk.present(text), desk.present(text)
    assert first.admitted and second.admitted and second.repeat and not first.repeat
    assert len(desk.store.checkins()) == 1 and len(desk.store.outbox()) == 1


@pytest.mark.parametrize(
    ("cfg", "moment", "kw", "reason"),
    [
        (REGUS, "2026-11-24 10:00", {"plan": Plan.INDIVIDUAL_BASIC}, Reason.PLAN_NOT_ADMITTED),
        (REGUS, "2026-11-24 19:00", {}, Reason.CLOSED),
        (KAIKATSU, "2026-11-20 18:30", {}, Reason.AFTER_CUTOFF),
        (REGUS, "2026-11-24 10:00", {"key": SigningKey.generate()}, Reason.UNKNOWN_KEY),
        (REGUS, "2026-11-24 10:00", {"facility_id": "kaikatsu-ikebukuro"}, Reason.WRONG_FACILITY),
        (REGUS, "2026-11-24 10:00", {"age": 600}, Reason.EXPIRED),
    ],
    ids=["plan", "closed", "cut-off", "forged", "other facility", "expired"],
)
def test_refusals_are_audited_and_keep_nothing(tmp_path, cfg, moment, kw, reason) -> None:
    desk = reception(cfg, tmp_path, at(moment))
    age = kw.pop("age", 0)
    verdict = desk.present(member_pass(cfg, at=desk.clock.now().timestamp() - age, **kw))
    assert not verdict.admitted and verdict.reasons[0] is reason
    assert desk.store.checkins() == [] and desk.store.outbox() == []
    assert desk.store.audit_rows()[-1][1:4:2] == ("refused", reason.code)


def test_garbage_from_the_camera_is_refused_as_bad_format(tmp_path) -> None:
    assert reception(REGUS, tmp_path, TUESDAY).present("https://example.com/not-a-pass").reasons == (Reason.BAD_FORMAT,)


def test_daily_limit_and_first_visit_checks(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-11-24 10:00"))
    first = desk.present(
        member_pass(KAIKATSU, plan=Plan.INDIVIDUAL_BASIC, first_visit=True, at=desk.clock.now().timestamp())
    )
    assert first.desk_checks == (DeskCheckDue.PHOTO_ID, DeskCheckDue.MEMBERSHIP_SIGNUP)
    desk.clock.shift(4 * 3600)  # past the 3 h limit: a second check-in the same day
    again = desk.present(member_pass(KAIKATSU, plan=Plan.INDIVIDUAL_BASIC, at=desk.clock.now().timestamp()))
    assert again.reasons == (Reason.DAILY_LIMIT,)


def test_staff_override_admits_the_refused_member_with_a_reason(tmp_path) -> None:
    desk = reception(REGUS, tmp_path, TUESDAY)
    refused = desk.present(member_pass(REGUS, plan=Plan.INDIVIDUAL_BASIC, at=desk.clock.now().timestamp()))
    assert not refused.admitted
    admitted = desk.override_last_refusal("manager approved a trial day")
    assert admitted.admitted and admitted.source == "staff"
    (kept,) = desk.store.checkins()
    assert kept.note == "staff: manager approved a trial day"
    assert desk.store.audit_rows()[-1][1:] == ("staff_admit", 1001, "plan_not_admitted", "manager approved a trial day")


def test_a_staff_admission_keeps_what_the_core_decided_and_lists_the_checks_staff_owe(tmp_path) -> None:
    desk = reception(REGUS, tmp_path, TUESDAY)
    verdict = desk.admit_by_staff(1007, "山本 蒼", Plan.INDIVIDUAL_BASIC, "trial day")
    assert verdict.admitted and verdict.desk_checks == () and verdict.ends_at.strftime("%H:%M") == "14:00"
    (kept,) = desk.store.checkins()
    assert kept.new_use and kept.kind is EntryKind.CHECK_IN and kept.source == "staff"
    assert [c.check for c in desk.store.pending_desk_checks()] == [DeskCheckDue.TEMPERATURE, DeskCheckDue.PHOTO_ID]
    assert desk.store.audit_rows()[-1][1:] == ("staff_admit", 1007, "plan_not_admitted", "trial day")


def test_staff_who_override_a_first_visit_still_owe_its_desk_checks(tmp_path) -> None:
    premium_only = KAIKATSU.model_copy(
        update={"rules": KAIKATSU.rules.model_copy(update={"plans_admitted": [Plan.INDIVIDUAL_PREMIUM]})}
    )
    desk = reception(premium_only, tmp_path, at("2026-11-24 10:00"))
    refused = desk.present(
        member_pass(premium_only, plan=Plan.INDIVIDUAL_BASIC, first_visit=True, at=desk.clock.now().timestamp())
    )
    assert refused.reasons == (Reason.PLAN_NOT_ADMITTED,) and refused.first_visit
    assert desk.override_last_refusal("first visit, plan upgrade pending").admitted
    owed = [check.check for check in desk.store.pending_desk_checks()]
    assert owed == [DeskCheckDue.PHOTO_ID, DeskCheckDue.MEMBERSHIP_SIGNUP]  # as for the same pass admitted


def test_occupancy_vacancy_companions_and_check_out(tmp_path) -> None:
    desk = reception(REGUS, tmp_path, TUESDAY)
    for member in range(34):
        assert desk.present(member_pass(REGUS, member_id=2000 + member, at=desk.clock.now().timestamp())).admitted
    assert desk.vacancy() is Vacancy.VACANT
    assert desk.companion_arrives() == 2200
    assert desk.vacancy() is Vacancy.FEW_LEFT and desk.occupancy().people == 35
    desk.check_out(desk.store.checkins()[0].key)
    assert desk.occupancy().members_in == 33
    assert desk.companion_leaves() and not desk.companion_leaves()
    desk.clock.shift(5 * 3600)  # every visit passed its 4 h limit
    assert desk.occupancy().members_in == 0


def test_keys_published_by_the_platform_are_trusted_unless_the_facility_pins_only(tmp_path) -> None:
    rotated = SigningKey.generate()
    published = [{"key_id": rotated.key_id, "public_key": rotated.public_b64, "purposes": ["member_pass"]}]
    desk = reception(REGUS, tmp_path, TUESDAY)
    desk.store.cache("keys", published)
    assert desk.present(member_pass(REGUS, key=rotated, at=desk.clock.now().timestamp())).admitted
    pinned_only = REGUS.model_copy(update={"tokens": REGUS.tokens.model_copy(update={"fetch_platform_keys": False})})
    strict = reception(pinned_only, tmp_path / "strict", TUESDAY)
    strict.store.cache("keys", published)
    assert strict.present(member_pass(REGUS, key=rotated, at=strict.clock.now().timestamp())).reasons == (
        Reason.UNKNOWN_KEY,
    )


def test_a_kiosk_judges_no_pass_without_a_revocation_list_newer_than_the_last_notice(
    tmp_path, offline_platform
) -> None:
    from functools import partial

    from facility.platform import PlatformClient
    from facility.trustcache import TrustRefresh
    from kiosk.reception import Reception
    from kiosk.store import KioskStore
    from tests.kiosk_desk import clock_at

    clock = clock_at(TUESDAY)
    cfg = REGUS.model_copy(
        update={"platform": REGUS.platform.model_copy(update={"base_url": offline_platform.server.url})}
    )
    desk = Reception(cfg, KioskStore(tmp_path / "kiosk.db", clock), clock)  # a new store: no list kept yet
    assert desk.present(member_pass(cfg, at=clock.now().timestamp())).reasons == (Reason.REVOCATIONS_UNKNOWN,)
    trust = TrustRefresh(PlatformClient(cfg.platform), desk.store, clock, fetch_keys=False)
    desk.await_revocations = partial(trust.current, 5.0)  # as kiosk/assembly.py wires it
    trust.start()
    try:
        assert desk.present(member_pass(cfg, at=clock.now().timestamp())).admitted  # the first pass waited for it
        offline_platform.state.revoke(member_id=1001)  # no notice yet: the kiosk cannot know
        assert desk.present(member_pass(cfg, at=clock.now().timestamp())).admitted
        trust.changed()  # the platform's change notice
        verdict = desk.present(member_pass(cfg, at=clock.now().timestamp()))
        assert verdict.reasons == (Reason.REVOKED,)
    finally:
        trust.stop()
