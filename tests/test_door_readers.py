"""Passes shown at a door's reader: a booked room opens with the platform and the cloud gone (issue 25).

The real lockd on virtual doors, the stand-in platform (cut off for the decisions), a real Mosquitto, and the
simulator's handed reader (the OSDP and camera readers have their own tests: test_osdp.py, test_camera_reader.py).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator

import pytest

from facility.config.models import DoorReader
from facility.platform import PlatformClient
from facility.tokens import MemberPass, mint, new_id
from facility.tokens.formats import facility_tag
from lockd.daemon import LockDaemon
from simulator.door_reader import HandedReader
from simulator.phone import AppClient, Phone
from simulator.platform.state import DOOR_PASS_STEP
from tests.conftest import bus_settings
from tests.lockd_site import BOOTH_A_BOOKING, MEETING_BOOKING, PLATFORM_KEY, Site, site_config, start_site

H1T_ID = "h1t-shibuya"


@pytest.fixture
def reader_site(broker, platform, bus_client, tmp_path, wall_clock) -> Iterator[tuple[Site, dict[str, HandedReader]]]:
    """lockd for H1T with a reader at booth-a and at meeting-1, handed codes by the test."""
    cfg = site_config(platform.server.url, tmp_path)
    doors = [
        d.model_copy(update={"reader": DoorReader(kind="camera", camera="simulated")})
        if d.id in ("booth-a", "meeting-1")
        else d
        for d in cfg.doors
    ]
    cfg = cfg.model_copy(update={"doors": doors})
    readers: dict[str, HandedReader] = {}

    def reader_for(door) -> HandedReader:
        readers[door.id] = HandedReader()
        return readers[door.id]

    site = start_site(
        cfg,
        platform,
        bus_settings(broker, "lockd", "lockd-test"),
        bus_client(user="platform"),
        clock=wall_clock,
        readers_for=reader_for,
    )
    yield site, readers
    site.daemon.stop()


def phone_with_passes(platform, member: int, booking: int) -> Phone:
    """A member's phone holding its booking's door passes (fetched while the platform was there)."""
    phone = Phone(member, AppClient(platform.server.url))
    assert phone.fetch_door_passes(booking) > 0
    return phone


def cut_the_cloud(platform) -> None:
    """The platform unreachable over HTTP and off the broker: lockd is on its own, for a minute and more (so that
    the passes shown were issued after lockd's store began, as on a site that has run for a while)."""
    platform.state.clock.shift(DOOR_PASS_STEP)
    platform.server.go_unreachable()
    if platform.bus is not None:
        platform.bus.stop()


def shown(reader: HandedReader, text: str) -> bool:
    """Show a code at a reader; the verdict lockd lit (True: green)."""
    before = len(reader.signals)
    reader.show(text)
    return reader.next_signal(before, timeout=10)


def test_a_booked_member_gets_in_with_the_cloud_cut_and_nobody_else_does(reader_site, platform) -> None:
    """The booker's door pass opens booth-a once; a replay, another member's booking and a plain pass do not."""
    site, readers = reader_site
    booker = phone_with_passes(platform, 1003, BOOTH_A_BOOKING)
    other = phone_with_passes(platform, 1004, MEETING_BOOKING)
    plain = Phone(1003, AppClient(platform.server.url)).show_pass(H1T_ID)  # an ordinary pass: no booking in it
    cut_the_cloud(platform)
    now = site.clock.now()
    door_pass = booker.show_door_pass(BOOTH_A_BOOKING, now)

    assert shown(readers["booth-a"], door_pass) is True, site.daemon.store.audit_rows()[-3:]
    assert site.pulses("booth-a") == 1
    assert shown(readers["booth-a"], door_pass) is False, "a pass opens once"
    assert shown(readers["booth-a"], other.show_door_pass(MEETING_BOOKING, now)) is False, "not this room's booking"
    assert shown(readers["booth-a"], plain) is False, "a pass without a booking opens no door"
    assert shown(readers["booth-a"], "HELLO WORLD") is False, "a coupon's code"
    assert site.pulses("booth-a") == 1
    rows = [r for r in site.daemon.store.audit_rows() if r.action.startswith("reader_")]
    assert [(r.action, r.reason) for r in rows] == [
        ("reader_unlock", ""),
        ("reader_refused", "wrong_room"),  # a current pass refused: one row each, who tried and why
        ("reader_refused", "no_reservation"),
    ]
    site.daemon.readers.write_junk()  # the replay and the coupon: counted, one row per reason for the minute
    junk = {(r.reason, r.detail.split(":")[0]) for r in site.daemon.store.audit_rows("reader_refused_junk")}
    assert junk == {("replayed", "simulated"), ("bad_format", "simulated")}


def test_the_meeting_room_booker_gets_in_at_its_own_door(reader_site, platform) -> None:
    """Member 1004's pass opens meeting-1 (its booking), and is a refusal at booth-a."""
    site, readers = reader_site
    phone = phone_with_passes(platform, 1004, MEETING_BOOKING)
    cut_the_cloud(platform)
    assert shown(readers["meeting-1"], phone.show_door_pass(MEETING_BOOKING, site.clock.now())) is True
    assert site.pulses("meeting-1") == 1


def test_every_decision_reaches_the_platform_once_the_link_returns(reader_site, platform) -> None:
    """Openings, refusals and the junk tally wait in the outbox while cut off, then arrive once each."""
    site, readers = reader_site
    booker = phone_with_passes(platform, 1003, BOOTH_A_BOOKING)
    platform.state.clock.shift(DOOR_PASS_STEP)
    platform.server.go_unreachable()
    door_pass = booker.show_door_pass(BOOTH_A_BOOKING, site.clock.now())
    assert shown(readers["booth-a"], door_pass) is True
    assert shown(readers["booth-a"], door_pass) is False
    assert shown(readers["booth-a"], "NOT A PASS") is False
    site.daemon.readers.write_junk()  # the minute's tally, now rather than in a minute
    assert site.daemon.store.outbox_count("queued") == 3
    platform.server.restore()
    site.daemon.outbox.wake()
    client = PlatformClient(site.daemon.cfg.platform)
    deadline_ok = _wait(lambda: site.daemon.store.outbox_count("queued") == 0)
    assert deadline_ok, site.daemon.outbox.problem()
    _, raw = client.exchange("GET", f"/facilities/{H1T_ID}/door-decisions")
    decisions = json.loads(raw)["decisions"]
    # Retries back off with jitter, so they arrive in any order; each arrives once (the replay and the coupon as
    # the minute's counts).
    assert sorted((d["result"], d["reason"], d.get("count", 1)) for d in decisions) == [
        ("opened", "", 1),
        ("refused", "bad_format", 1),
        ("refused", "replayed", 1),
    ]
    opened = next(d for d in decisions if d["result"] == "opened")
    assert opened["member_id"] == 1003 and opened["reservation_id"] == BOOTH_A_BOOKING


def _wait(condition, timeout: float = 15.0) -> bool:
    """Poll a condition until it holds or the time is up (the outbox's own thread does the work)."""
    done = threading.Event()
    for _ in range(int(timeout * 20)):
        if condition():
            return True
        done.wait(0.05)
    return condition()


def test_a_pass_for_another_facility_or_out_of_its_time_is_refused(reader_site) -> None:
    """Signed by the platform, but for another facility, not yet valid or expired: refused, nothing opens."""
    site, readers = reader_site
    now = int(site.clock.now().timestamp())

    def door_pass(facility: str, not_before: int) -> str:
        return mint(
            MemberPass(1003, _plan(), new_id(8), not_before, 90, facility_tag(facility), BOOTH_A_BOOKING), PLATFORM_KEY
        )

    assert shown(readers["booth-a"], door_pass("regus-shinjuku", now)) is False
    assert shown(readers["booth-a"], door_pass(H1T_ID, now + 600)) is False
    for _ in range(3):  # a drawer of old screenshots costs no row each
        assert shown(readers["booth-a"], door_pass(H1T_ID, now - 600)) is False
    assert site.pulses("booth-a") == 0
    assert site.daemon.store.audit_rows("reader_refused") == []
    site.daemon.readers.write_junk()
    counted = {r.reason: r.detail for r in site.daemon.store.audit_rows("reader_refused_junk")}
    assert set(counted) == {"wrong_facility", "not_yet_valid", "expired"}
    assert counted["expired"].startswith("simulated: 3 read(s)")


def test_a_site_that_has_not_synced_for_too_long_refuses_at_the_reader(reader_site, platform) -> None:
    """Past offline_entry_hours since the last good sync, a cancellation might be unknown: the reader refuses."""
    site, readers = reader_site
    cut_the_cloud(platform)
    hours = site.daemon.cfg.lockd_settings.offline_entry_hours
    site.clock.shift(hours * 3600 + 60)
    now = int(site.clock.now().timestamp())
    door_pass = mint(MemberPass(1003, _plan(), new_id(8), now, 90, facility_tag(H1T_ID), BOOTH_A_BOOKING), PLATFORM_KEY)
    assert shown(readers["booth-a"], door_pass) is False
    assert [r.reason for r in site.daemon.store.audit_rows("reader_refused")] == ["reservations_stale"]
    assert site.pulses("booth-a") == 0


def _plan():
    """The plan a test pass carries."""
    from facility.models import Plan

    return Plan.INDIVIDUAL_PREMIUM


def test_lockd_without_readers_starts_no_reader_loop(site) -> None:
    """A site whose doors have no reader runs no reader loop (nothing to decide)."""
    assert isinstance(site.daemon, LockDaemon)
    assert not site.daemon.readers.alive


def test_a_member_revoked_before_the_cut_is_refused_at_the_reader(reader_site, platform) -> None:
    """The revocation list lockd fetched before the cloud went holds at the door, offline."""
    site, readers = reader_site
    phone = phone_with_passes(platform, 1003, BOOTH_A_BOOKING)
    platform.state.revoke(member_id=1003)
    site.daemon.trust_refresh.changed()  # the change notice the platform sends with a revocation
    assert site.daemon.trust_refresh.current(5)
    cut_the_cloud(platform)
    assert shown(readers["booth-a"], phone.show_door_pass(BOOTH_A_BOOKING, site.clock.now())) is False
    assert [r.reason for r in site.daemon.store.audit_rows("reader_refused")] == ["revoked"]
    assert site.pulses("booth-a") == 0


def test_reader_alarms_are_audited_and_published(reader_site) -> None:
    """A reader's own trouble (offline, say) is an audit row and a door event with the alarm flag, raised and
    cleared."""
    site, readers = reader_site
    readers["booth-a"].raise_alarm("reader_offline", True, "no answer on the bus")
    event = site.next_heard("booth-a/event", where=lambda body: b"reader_offline" in body)
    assert json.loads(event.payload)["alarm"] is True
    readers["booth-a"].raise_alarm("reader_offline", False, "back")
    site.next_heard("booth-a/event", where=lambda body: b"reader_offline_cleared" in body)
    actions = [r.action for r in site.daemon.store.audit_rows() if r.action.startswith("reader_offline")]
    assert actions == ["reader_offline", "reader_offline_cleared"]


def test_the_facility_file_in_docs_doors_md_is_valid_and_its_rules_hold(tmp_path) -> None:
    """docs/doors.md's doors and bus, in the H1T example, pass --check-config's schema and cross-field rules; two
    doors on one OSDP address, or a reader without the bus, are refused with the path."""
    import re
    import tomllib

    import tomli_w

    from facility.config import parse_config
    from facility.errors import ConfigError
    from tests.conftest import CONFIG_DIR

    snippet = re.search(r"```toml\n(.*?)```", (CONFIG_DIR.parent / "docs" / "doors.md").read_text(), re.S)
    assert snippet is not None
    documented = tomllib.loads(snippet.group(1))
    site = tomllib.loads((CONFIG_DIR / "h1t-shibuya.toml").read_text())
    site["doors"] = documented["doors"]
    site["lockd"]["osdp"] = documented["lockd"]["osdp"]
    cfg = parse_config(tomli_w.dumps(site), base_dir=CONFIG_DIR)
    assert [d.reader.kind for d in cfg.doors if d.reader] == ["osdp", "osdp", "camera"]

    site["doors"][2]["reader"] = {"kind": "osdp", "address": 1, "key_file": "osdp/other.key"}
    with pytest.raises(ConfigError) as clash:
        parse_config(tomli_w.dumps(site), base_dir=CONFIG_DIR)
    assert "doors.2.reader.address" in str(clash.value)
    del site["lockd"]["osdp"]
    with pytest.raises(ConfigError) as busless:
        parse_config(tomli_w.dumps(site), base_dir=CONFIG_DIR)
    assert "add [lockd.osdp]" in str(busless.value)


@pytest.fixture
def hardware_site(broker, platform, bus_client, tmp_path, wall_clock):
    """lockd for H1T with a simulated OSDP reader at booth-a (libosdp over a real pty, Secure Channel) and the
    simulator's camera at meeting-1, both made as lockd makes them."""
    from simulator.camera import VirtualCamera
    from simulator.osdp_reader import SimulatedOsdpReader

    scbk = secrets.token_bytes(16)
    key_file = tmp_path / "booth-a.key"
    key_file.write_text(scbk.hex() + "\n")
    camera = VirtualCamera(640, 480, fps=30, paced=True)
    with SimulatedOsdpReader(1, scbk) as device:
        cfg = site_config(platform.server.url, tmp_path)
        readers = {
            "booth-a": DoorReader(kind="osdp", address=1, key_file=key_file),
            "meeting-1": DoorReader(kind="camera", camera="door"),
        }
        cfg = cfg.model_copy(
            update={
                "doors": [d.model_copy(update={"reader": readers.get(d.id)}) for d in cfg.doors],
                "lockd": cfg.lockd_settings.model_copy(update={"osdp": device.bus()}),
            }
        )

        def reader_for(door):
            from lockd.camera_reader import CameraReader
            from lockd.readers import installed_reader

            if door.reader.kind == "camera":
                return CameraReader(door.reader, {"door": lambda _: camera})
            return installed_reader(cfg.lockd_settings, door)

        site = start_site(
            cfg,
            platform,
            bus_settings(broker, "lockd", "lockd-test"),
            bus_client(user="platform"),
            clock=wall_clock,
            readers_for=reader_for,
        )
        try:
            assert device.wait_for(lambda: device.secure, 15), "the Secure Channel did not come up"
            yield site, device, camera
        finally:
            site.daemon.stop()
            camera.close()


def test_with_the_cloud_stopped_the_booker_enters_at_the_osdp_reader_and_the_camera(hardware_site, platform) -> None:
    """Issue 25's 'done when': the platform and the cloud broker gone, the bookers get in at a real-channel OSDP
    reader (Secure Channel) and at a camera reader, a member without a booking does not, and every decision reaches
    the platform once it is back."""
    site, device, camera = hardware_site
    booker, meeting = (
        phone_with_passes(platform, 1003, BOOTH_A_BOOKING),
        phone_with_passes(platform, 1004, MEETING_BOOKING),
    )
    stranger = Phone(1002, AppClient(platform.server.url)).show_pass(H1T_ID)
    cut_the_cloud(platform)
    leds = len(device.led_history)
    device.show(booker.show_door_pass(BOOTH_A_BOOKING, site.clock.now()))
    assert device.wait_for(lambda: len(device.led_history) > leds, 10) and device.led == "green"
    assert site.pulses("booth-a") == 1
    device.show(stranger)
    assert device.wait_for(lambda: len(device.led_history) > leds + 1, 10) and device.led == "red"
    camera.show(meeting.show_door_pass(MEETING_BOOKING, site.clock.now()))
    assert _wait(lambda: site.pulses("meeting-1") == 1)
    assert site.pulses("booth-a") == 1
    platform.server.restore()
    site.daemon.outbox.wake()
    assert _wait(lambda: len(platform.state.door_decisions_of(H1T_ID)) == 3)
    decided = {(d["door_id"], d["result"], d["reason"]) for d in platform.state.door_decisions_of(H1T_ID)}
    assert decided == {("booth-a", "opened", ""), ("booth-a", "refused", "no_reservation"), ("meeting-1", "opened", "")}


def test_a_pass_shown_at_the_wrong_door_first_still_opens_the_right_one(reader_site, platform) -> None:
    """Refused at meeting-1 (not its room), the pass is not spent: the booker goes on to booth-a and gets in; shown
    again at meeting-1 it is counted, not written again."""
    site, readers = reader_site
    phone = phone_with_passes(platform, 1003, BOOTH_A_BOOKING)
    cut_the_cloud(platform)
    door_pass = phone.show_door_pass(BOOTH_A_BOOKING, site.clock.now())
    assert shown(readers["meeting-1"], door_pass) is False
    assert shown(readers["meeting-1"], door_pass) is False
    assert shown(readers["booth-a"], door_pass) is True
    assert [r.reason for r in site.daemon.store.audit_rows("reader_refused")] == ["wrong_room"]


def test_a_flood_at_one_reader_is_cut_to_its_rate_and_writes_nothing_per_read(reader_site) -> None:
    """400 reads at once at booth-a: at most a burst and the rate's worth are decided, none writes a row of its own,
    and meeting-1's reader is decided at once all the same."""
    site, readers = reader_site
    audit_before = len(site.daemon.store.audit_rows())
    for n in range(400):
        readers["booth-a"].show(f"NOT A PASS {n}")
    assert site.daemon.readers.dropped >= 400 - 10 - 5 * 5  # a burst of 10, 5 a second for a few seconds at most
    assert shown(readers["meeting-1"], "ANOTHER COUPON") is False
    assert len(site.daemon.store.audit_rows()) == audit_before
    assert site.daemon.store.outbox_count("queued") == 0


@pytest.mark.parametrize(
    "key, words",
    [
        (None, "cannot read the OSDP key file"),
        ("0011", "must hold 32 hex digits"),
        ("303132333435363738393a3b3c3d3e3f", "one everybody knows"),  # OSDP's default install key
        ("00" * 16, "one everybody knows"),
    ],
)
def test_check_config_refuses_an_osdp_key_that_is_missing_malformed_or_known(tmp_path, key, words) -> None:
    """lockd --check-config reads each OSDP device's key file: a reader set up with the default key is refused."""
    import subprocess
    import sys
    import tomllib

    import tomli_w

    from tests.conftest import CONFIG_DIR

    site = tomllib.loads(
        (CONFIG_DIR / "h1t-shibuya.toml").read_text().replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/')
    )
    site["lockd"]["osdp"] = {"port": "/dev/ttyUSB0"}
    site["doors"][0]["reader"] = {"kind": "osdp", "address": 1, "key_file": str(tmp_path / "reader.key")}
    if key is not None:
        (tmp_path / "reader.key").write_text(key + "\n")
    (tmp_path / "site.toml").write_text(tomli_w.dumps(site))
    result = subprocess.run(
        [sys.executable, "-m", "lockd.cli", "--check-config", str(tmp_path / "site.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "doors.0.reader.key_file" in result.stdout + result.stderr and words in result.stdout + result.stderr


def test_a_pass_shown_while_lockd_stops_leaves_no_door_unlocked(reader_site, platform) -> None:
    """A read that lands as lockd stops is decided before the doors are released, or not at all: the strike ends up
    released (locked, for a fail-secure door) whatever the pulse's length."""
    site, readers = reader_site
    phone = phone_with_passes(platform, 1003, BOOTH_A_BOOKING)
    cut_the_cloud(platform)
    door_pass = phone.show_door_pass(BOOTH_A_BOOKING, site.clock.now())
    closing = site.daemon.readers.close_readers

    def a_member_arrives_as_lockd_stops() -> None:
        readers["booth-a"].show(door_pass)
        closing()

    site.daemon.readers.close_readers = a_member_arrives_as_lockd_stops  # type: ignore[method-assign]
    site.daemon.stop()
    assert site.pulses("booth-a") in (0, 1)
    assert site.doors["booth-a"].relay_energised is False, "the door is locked again as lockd stops"
