"""The facility demo: scripted members at a simulated site, narrated as it happens, then a summary.

Members check in by the front-desk code and by showing their pass to the camera, get
refused for real reasons, book and unlock rooms, and leave. Nothing in the path is mocked:
the kiosk, lockd, the platform contract, MQTT and the tokens are the production code.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from PySide6.QtGui import QImage

from facility.messages import DoorEvent
from facility.models import Plan
from facility.platform import PlatformError
from facility.rules.companions import companion_fee
from facility.tokens import MemberPass, SigningKey, facility_tag, mint, new_id
from facility.topics import ANY, SiteTopics
from kiosk.decoding import ZxingDecoder
from messagebus import BusClient
from simulator.osdp_reader import SimulatedOsdpReader
from simulator.phone import AppClient, Phone
from simulator.qtwait import run_until, stop_on_signals
from simulator.screen import Shot
from simulator.site import Site

Say = Callable[[str], None]


class Demo:
    """Runs the script against a started site and keeps the tally."""

    def __init__(self, site: Site, say: Say) -> None:
        self.site, self._say = site, say
        self._saying = threading.Lock()  # the doors' events are narrated from the watcher's thread
        self.checkins: Counter = Counter()
        self.unlocks: Counter = Counter()
        self.alarms: Counter = Counter()
        self.readers: Counter = Counter()
        self.verdicts: list = []
        site.kiosk.verdict_displayed.connect(self.verdicts.append)
        site.meeting_kiosk.verdict_displayed.connect(self.verdicts.append)
        self.client = AppClient(site.platform.server.url, timeout=15)

    def say(self, line: str) -> None:
        """One whole line of narration: two threads never share a line."""
        with self._saying:
            self._say(line)

    def phone(self, member: int) -> Phone:
        """A member's phone."""
        return Phone(member, self.client)

    def _stamp(self) -> str:
        """The site's clock, for the narration."""
        return self.site.clock.now().strftime("%H:%M:%S")

    # --- at reception -------------------------------------------------------------------------

    def _wait_verdict(self, before: int):
        """The next verdict the kiosk puts on screen."""
        if not run_until(lambda: len(self.verdicts) > before, 15):
            raise TimeoutError("the kiosk showed no verdict")
        return self.verdicts[-1]

    def _tell(self, who: str, how: str, verdict) -> None:
        """Narrate and count a kiosk verdict."""
        if verdict.admitted:
            key = "repeat" if verdict.repeat else "admitted"
            self.checkins[key] += 1
            until = verdict.ends_at.strftime("%H:%M") if verdict.ends_at else "closing"
            checks = ", ".join(c.en for c in verdict.desk_checks) or "none"
            room = f" to {verdict.room} with {verdict.companions} guest(s), free" if verdict.room else ""
            self.say(
                f"{self._stamp()} kiosk  {who} {how}: {'ALREADY IN' if verdict.repeat else 'ADMITTED'}{room} "
                f"until {until}; staff checks: {checks}"
            )
        else:
            self.checkins[verdict.reasons[0].code] += 1
            self.say(f"{self._stamp()} kiosk  {who} {how}: REFUSED ({verdict.reasons[0].en} / {verdict.reasons[0].ja})")

    def scan_desk_code(self, member: int, who: str, kiosk=None) -> None:
        """The member's app reads the code on a kiosk's screen; the platform hands the kiosk a pass."""
        before = len(self.verdicts)
        shown = (
            (kiosk or self.site.kiosk).window.home.code.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB888)
        )
        pixels = np.frombuffer(shown.constBits(), np.uint8).reshape(shown.height(), shown.bytesPerLine())
        (code,) = ZxingDecoder().decode(pixels[:, : shown.width() * 3].reshape(shown.height(), shown.width(), 3).copy())
        self.phone(member).scan_desk_code(code.text)
        self._tell(who, "scanned the front-desk code", self._wait_verdict(before))

    def show_pass(self, text: str, who: str, how: str, shot: Shot = Shot()) -> None:
        """The member holds a phone up to the kiosk's camera, then puts it away."""
        before = len(self.verdicts)
        self.site.camera.show(text, shot)
        verdict = self._wait_verdict(before)
        self.site.camera.empty()
        shown_empty = self.site.camera.frames_read
        run_until(lambda: self.site.camera.frames_read > shown_empty + 20, 5)  # the phone is away for a moment
        self._tell(who, how, verdict)

    def forged_pass(self) -> str:
        """A pass from a tampered app, signed with a key the network never issued."""
        now = int(self.site.clock.now().timestamp())
        return mint(
            MemberPass(1001, Plan.CORPORATE, new_id(8), now, 90, facility_tag("kaikatsu-ikebukuro"), None, "偽造"),
            SigningKey.generate(),
        )

    # --- at the doors -------------------------------------------------------------------------

    def unlock(self, member: int, who: str, door: str) -> None:
        """The member taps 開錠 at a door."""
        try:
            answer = self.phone(member).unlock("h1t-shibuya", door)
        except PlatformError as refused:
            answer = {
                "result": "refused",
                "reason": refused.body.get("error"),
                "message_en": refused.body.get("message_en"),
            }
        result = answer.get("result")
        if result == "opened":
            self.unlocks["opened"] += 1
            self.say(f"{self._stamp()} door   {who} taps unlock at {door}: OPENED")
            closes = len(self.site.doors[door].events("closed")) + 1
            run_until(lambda: len(self.site.doors[door].events("closed")) >= closes, 6)  # they walk in
        else:
            self.unlocks[answer.get("reason") or result] += 1
            self.say(
                f"{self._stamp()} door   {who} taps unlock at {door}: REFUSED ({answer.get('message_en', result)})"
            )

    # --- at a door's reader, the cloud cut (docs/doors.md) ---------------------------------------

    def at_reader(self, door: str, text: str, who: str, how: str) -> None:
        """A member shows a code at a door's reader; narrate the LED lockd lights and count it."""
        reader = self.site.door_readers[door]
        before = self.reader_signals(door)
        if door == "booth-a":
            self.site.door_readers["booth-a"].show(text)  # type: ignore[union-attr]
        else:
            self.site.door_readers[door].camera.show(text)  # type: ignore[union-attr]
        run_until(lambda: self.reader_signals(door) > before, 10)
        led = reader.led
        self.readers["opened" if led == "green" else "refused"] += 1
        shown = led.upper()
        if led != "green":
            last = self.site.lockd.readers.last.get(door)
            shown += f" ({last.reason})" if last is not None and last.reason else ""
        self.say(f"{self._stamp()} reader {who} {how} at {door}: LED {shown}" + (" - OPENED" if led == "green" else ""))
        if led == "green":
            closes = len(self.site.doors[door].events("closed")) + 1
            run_until(lambda: len(self.site.doors[door].events("closed")) >= closes, 6)  # they walk in
        if door != "booth-a":
            self.site.door_readers[door].camera.empty()  # type: ignore[union-attr]

    def reader_signals(self, door: str) -> int:
        """How many verdicts lockd has shown at a door's reader: the OSDP reader's LED commands, or (a bare camera
        lights nothing) lockd's decisions at that door, counted after the verdict was set."""
        reader = self.site.door_readers[door]
        if isinstance(reader, SimulatedOsdpReader):
            return len(reader.led_history)
        decided = self.site.lockd.metrics.reads.collect()
        return int(
            sum(
                sample.value
                for metric in decided
                for sample in metric.samples
                if sample.name.endswith("_total") and sample.labels.get("door") == door
            )
        )

    def guests_of(self, member: int, room: str, who: str) -> None:
        """Say what the booked room's space decides for the booking's guests: a facility is a set of spaces, and
        the meeting room's rules are not the booths'."""
        cfg = self.site.booking_cfg
        booths, meeting = cfg.spaces[0], cfg.space_of_room(room) or cfg.spaces[0]
        guests = next(
            r.guests for r in self.site.platform.state.reservations_at(cfg.facility.id, [room]) if r.member_id == member
        )
        fee, at_booths = companion_fee(cfg.venue(meeting)), companion_fee(cfg.venue(booths))
        booth_rule = "get no drop-in" if at_booths is None else f"pay {at_booths} yen"
        self.say(
            f"{self._stamp()} rules  {who}'s {guests} guest(s) come along to {room} ({meeting.kind.value}): "
            f"fee {fee} yen; at the {booths.kind.value} space companions {booth_rule}"
        )

    def door_events(self, message) -> None:
        """Narrate what the doors report (called on the watcher's thread)."""
        event = DoorEvent.accepted(message.payload, message.topic)
        if event is not None and event.event in ("opened", "closed", "forced", "held_open", "jammed"):
            if event.alarm:
                self.alarms[event.event] += 1
            self.say(f"{self._stamp()} door   {event.door}: {event.event}" + (" (ALARM)" if event.alarm else ""))


def script(demo: Demo) -> None:
    """What the members do, in order."""
    site, say = demo.site, demo.say
    say(f"--- {site.reception_cfg.facility.name}: reception ---")
    demo.scan_desk_code(1004, "田中 結衣 (corporate)")
    haruto = demo.phone(1003).show_pass("kaikatsu-ikebukuro")
    demo.show_pass(haruto, "高橋 陽翔 (basic, first visit)", "shows the app's 2D code", Shot(tilt_x=15, glare=0.3))
    demo.show_pass(haruto, "高橋 陽翔", "shows the same code again", Shot(dark_mode=True))
    old = demo.phone(1002).show_pass("kaikatsu-ikebukuro")
    site.clock.shift(150)  # he kept a screenshot from before
    demo.show_pass(old, "鈴木 蓮", "shows a screenshot taken earlier")
    demo.show_pass(
        demo.phone(1001).show_pass("regus-shinjuku-south"), "佐藤 葵", "shows a pass made for another office"
    )
    demo.show_pass(demo.forged_pass(), "someone", "shows a pass from a tampered app")
    demo.show_pass(
        demo.phone(1002).show_pass("kaikatsu-ikebukuro"),
        "鈴木 蓮 (basic)",
        "refreshes the app and shows it",
        Shot(distance=1.4, dark_mode=True, moire=0.2),
    )
    spaces = ", ".join(f"{space.id}: {space.kind.value}" for space in site.booking_cfg.spaces)
    say(f"--- {site.booking_cfg.facility.name}: booking floor, a set of spaces ({spaces}) ---")
    demo.unlock(1003, "高橋 陽翔", "booth-a")
    demo.unlock(1003, "高橋 陽翔 (booked booth-a only)", "meeting-1")
    demo.unlock(1004, "田中 結衣 (booked the meeting room)", "meeting-1")
    demo.guests_of(1004, "meeting-1", "田中 結衣")  # 会議室（無人受付）: 共連れで利用可能
    start = site.clock.now() + timedelta(minutes=3)
    booked = demo.phone(1001).book("h1t-shibuya", "booth-b", start, 60)
    say(f"{demo._stamp()} app    佐藤 葵 books booth-b from {start:%H:%M} (reservation {booked['reservation_id']})")
    demo.unlock(1001, "佐藤 葵", "booth-b")
    later = demo.phone(1002).book("h1t-shibuya", "booth-b", site.clock.now() + timedelta(hours=4), 30)
    demo.phone(1002).cancel(later["reservation_id"])
    say(f"{demo._stamp()} app    鈴木 蓮 books booth-b for later, then cancels")
    demo.unlock(1002, "鈴木 蓮 (cancelled)", "booth-b")
    say(f"{demo._stamp()} door   someone forces meeting-1 open without an unlock")
    site.doors["meeting-1"].force_open()
    run_until(lambda: demo.alarms["forced"] > 0, 5)
    site.doors["meeting-1"].shut()
    cloud_cut(demo)
    say(f"--- {site.meeting_cfg.facility.name}: staffed meeting room ---")
    say(f"{demo._stamp()} app    佐藤 葵 booked room A with 2 guests; she arrives with them at reception")
    demo.scan_desk_code(1001, "佐藤 葵 (the representative)", site.meeting_kiosk)
    demo.scan_desk_code(1002, "鈴木 蓮 (one of her guests, a member too)", site.meeting_kiosk)
    say("--- leaving ---")
    say(f"{demo._stamp()} door   佐藤 葵 presses the exit button inside booth-b")
    site.doors["booth-b"].press_exit_button()
    closes = len(site.doors["booth-b"].events("closed")) + 1
    run_until(lambda: len(site.doors["booth-b"].events("closed")) >= closes, 6)
    first = site.kiosk.reception.today()[0]
    site.kiosk.reception.check_out(first.key, "left for the day")
    say(f"{demo._stamp()} kiosk  staff check out {first.name}")


def cloud_cut(demo: Demo) -> None:
    """The platform out of reach: the booked members get in at the doors' readers with the passes their app holds."""
    site, say = demo.site, demo.say
    haruto, yui = demo.phone(1003), demo.phone(1004)
    haruto.fetch_door_passes(5001)  # the app keeps a booking's door passes from the moment it is made
    yui.fetch_door_passes(5002)
    ren_everyday = demo.phone(1002).show_pass("h1t-shibuya")
    say(f"--- {site.booking_cfg.facility.name}: the cloud is cut (the platform cannot be reached) ---")
    site.platform.server.go_unreachable()
    demo.unlock(1003, "高橋 陽翔", "booth-a")
    door_pass = haruto.show_door_pass(5001, site.clock.now())
    demo.at_reader("booth-a", door_pass, "高橋 陽翔", "shows his booking's door pass to the OSDP reader")
    demo.at_reader("booth-a", door_pass, "someone", "shows a photo of that same pass")
    demo.at_reader("booth-a", ren_everyday, "鈴木 蓮 (no booking)", "shows his ordinary pass")
    demo.at_reader(
        "meeting-1", yui.show_door_pass(5002, site.clock.now()), "田中 結衣", "shows her door pass to the camera"
    )
    site.lockd.readers.write_junk()  # the minute's tally of counted refusals (the photo), written now, not in a minute
    queued = site.lockd.store.outbox_count("queued")
    say(f"{demo._stamp()} lockd  {queued} door decision(s) wait for the platform (the minute's counted refusals too)")
    site.platform.server.restore()
    site.lockd.outbox.wake()
    run_until(lambda: site.lockd.store.outbox_count("queued") == 0, 30)
    reported = len(site.platform.state.door_decisions_of(site.booking_cfg.facility.id))
    say(f"{demo._stamp()} link   the platform is back: it has {reported} door decision(s)")


def summary(demo: Demo) -> dict:
    """Admitted and refused check-ins, opened and refused unlocks, what is still queued, anything lost."""
    site = demo.site
    kiosks = {site.reception_cfg.facility.id: site.kiosk, site.meeting_cfg.facility.id: site.meeting_kiosk}
    for kiosk in kiosks.values():
        kiosk.outbox.wake()
    kept = sum(len(kiosk.store.checkins()) for kiosk in kiosks.values())

    def recorded() -> int:
        return sum(len(site.platform.state.checkins_of(facility)) for facility in kiosks)

    run_until(lambda: recorded() >= kept, 30)
    admitted = demo.checkins.pop("admitted", 0)
    repeat = demo.checkins.pop("repeat", 0)
    return {
        "check_ins": {"admitted": admitted, "shown_again": repeat, "refused": dict(demo.checkins)},
        "unlocks": {"opened": demo.unlocks.pop("opened", 0), "refused": dict(demo.unlocks)},
        "door_alarms": dict(demo.alarms),
        "door_readers": {
            "opened": demo.readers["opened"],
            "refused": demo.readers["refused"],
            "reported_to_platform": len(site.platform.state.door_decisions_of(site.booking_cfg.facility.id)),
            "waiting": site.lockd.store.outbox_count("queued"),
        },
        "check_ins_queued": sum(len(kiosk.store.outbox("queued")) for kiosk in kiosks.values()),
        "check_ins_recorded_by_platform": recorded(),
        "lost": kept - recorded(),
    }


def run_demo(headless: bool, as_json: bool) -> int:
    """Stand the site up, play the script, print the summary, and take everything down again."""
    import os
    import sys
    import tempfile
    from pathlib import Path

    if headless or not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    qt = QApplication.instance() or QApplication(sys.argv[:1])
    out = sys.stderr if as_json else sys.stdout

    def say(line: str) -> None:
        """A whole line in one write (print writes the line and its end apart: another thread's line got between)."""
        out.write(line + "\n")
        out.flush()

    stop_on_signals()
    with tempfile.TemporaryDirectory(prefix="officepass-demo-") as work:
        site = Site(Path(work))
        watcher = None
        try:
            say(f"starting a simulated site for {site.clock.now():%A %Y-%m-%d %H:%M} (Tokyo)...")
            site.start(kiosk_window=not headless and bool(os.environ.get("DISPLAY")))
            run_until(
                lambda: all(
                    bus is not None and bus.connected
                    for bus in (site.kiosk.bus, site.meeting_kiosk.bus, site.lockd.bus)
                ),
                15,
            )
            demo = Demo(site, say)
            watcher = BusClient(site.watcher())
            watcher.subscribe(SiteTopics.of(site.booking_cfg).event(ANY), demo.door_events)
            watcher.start()
            watcher.wait_connected(10)
            script(demo)
            result = summary(demo)
        except KeyboardInterrupt:
            say("interrupted: stopping the site")
            return 130
        finally:
            if watcher is not None:
                watcher.stop()
            site.scheduler.stop()  # first: a door's scheduled close must not reach a lockd already stopped
            site.stop()
            qt.processEvents()
    print(
        json.dumps(result, ensure_ascii=False)
        if as_json
        else "summary: " + json.dumps(result, ensure_ascii=False, indent=2)
    )
    return 0 if result["lost"] == 0 else 1
