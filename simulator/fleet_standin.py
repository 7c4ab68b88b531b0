"""A stand-in for lockd at many simulated sites over one connection to a site broker, for the fleet bench.

It speaks lockd's protocol on each site's own topics: every unlock command is verified with the
project's own code (facility.tokens: key, signature, door and topic binding, freshness, replay)
against the keys the site trusts, a redelivery (DUP) gets its first answer again,
an opening publishes the door's states and event as lockd does, and every command is answered on
its response topic with its correlation data (lockd's answer body). The keys each site trusts are
lockd's: its facility file's pinned keys and, through facility.keyset.SiteKeys, the newest signed key
set its root certifies, announced on the site's keyset topic; the version held is reported retained on
lockd/keyset, as lockd does. What it leaves out, because a real lockd in the same run covers it: the
reservation and rules checks, and the durable commits (the held key set is kept in memory).

Run by the bench: `python -m simulator.fleet_standin SPEC.json`; prints one JSON line once
subscribed, and its tally when stdin closes (or after the spec's max_seconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from facility import logsafe
from facility.clock import Clock, RealTimeScheduler, SystemClock
from facility.config import FacilityConfig, load_config
from facility.keyset import KeySet, SiteKeys
from facility.messages import DoorEvent, HeldKeySet, LockState, UnlockAnswer
from facility.reasons import Reason
from facility.store import MemorySeenIds, SqliteStore
from facility.tokens import Refusal, verify_unlock_command
from facility.topics import SiteTopics
from lockd.commands import answer_body
from messagebus import BrokerSettings, BusClient, Inbound

SESSION_EXPIRY = 3600
ANSWERS_KEPT_SECONDS = 300  # a DUP redelivery comes within a command's life (at most 120 s); older answers can go
KEYSET_STORE_SCHEMA = "CREATE TABLE IF NOT EXISTS audit (at TEXT);"  # SiteKeys keeps the set in the store's cache


@dataclass(frozen=True)
class StandInSpec:
    """What one stand-in process serves: its site broker login, the facility file its sites share, and the sites."""

    host: str
    port: int
    username: str
    password: str
    client_id: str
    prefix: str
    facility_file: str  # the pinned keys, root keys and clock skew every one of these sites reads, as lockd reads them
    sites: dict[str, list[str]] = field(default_factory=dict)  # facility id -> door ids
    pulse_seconds: float = 3.0
    max_seconds: float = 900.0

    def save(self, path: Path) -> Path:
        """Write the spec as JSON; returns the path."""
        path.write_text(json.dumps(asdict(self)))
        return path

    @classmethod
    def load(cls, path: str | Path) -> StandInSpec:
        """Read a spec written by save."""
        return cls(**json.loads(Path(path).read_text()))


class SiteStandIn:
    """One site's door controller as the platform sees it: its keys, verification, replay, answers."""

    def __init__(self, facility_id: str, doors: list[str], prefix: str, cfg: FacilityConfig, clock: Clock) -> None:
        self.topics = SiteTopics(prefix, facility_id)
        self.doors = set(doors)
        self.skew = cfg.tokens.clock_skew_seconds
        self.keys = SiteKeys(cfg, SqliteStore(":memory:", KEYSET_STORE_SCHEMA, clock), clock)
        self.seen = MemorySeenIds()
        # As a lockd store with no predecessor (SqliteStore.issued_after): a command issued before the second this
        # site began is refused.
        self.began = float(math.floor(time.time()))
        self._answers: dict[str, UnlockAnswer] = {}
        self._kept: deque[tuple[float, str]] = deque()

    def decide(self, door_id: str, message: Inbound) -> tuple[UnlockAnswer, bool]:
        """The answer to a command and whether it is new (False: a redelivery answered before)."""
        digest = hashlib.sha256(message.topic.encode() + b"\0" + message.payload).hexdigest()
        earlier = self._answers.get(digest)
        if earlier is not None and message.duplicate:
            return earlier, False
        answer = answer_body(door_id, *self._verdict(door_id, message, earlier is not None))
        self._keep(digest, answer)
        return answer, True

    def _verdict(self, door_id: str, message: Inbound, decided_before: bool) -> tuple[Reason | None, str]:
        """lockd's order: the same bytes, retained, then the token checks; the refusal reason and command id."""
        if decided_before:
            return Reason.REPLAYED, ""
        if message.retain:
            return Reason.RETAINED, ""
        if door_id not in self.doors:
            return Reason.WRONG_DOOR, ""
        try:
            text = message.payload.decode("ascii")
        except UnicodeDecodeError:
            return Reason.BAD_FORMAT, ""
        result = verify_unlock_command(
            text,
            self.keys.keyring(),
            time.time(),
            topics=self.topics,
            door_id=door_id,
            arrived_on=message.topic,
            skew=self.skew,
            seen=self.seen,
            issued_after=self.began,
        )
        if isinstance(result, Refusal):
            return result.reason, result.token_id
        return None, result.command_id.hex()

    def _keep(self, digest: str, answer: UnlockAnswer) -> None:
        """Remember an answer for redeliveries, forgetting those older than any command's life."""
        now = time.monotonic()
        self._answers[digest] = answer
        self._kept.append((now, digest))
        while self._kept and self._kept[0][0] < now - ANSWERS_KEPT_SECONDS:
            self._answers.pop(self._kept.popleft()[1], None)


class StandIn:
    """Many sites' stand-ins behind one broker connection, as lockd's persistent, acknowledge-after-handling session."""

    def __init__(self, spec: StandInSpec) -> None:
        cfg = load_config(spec.facility_file)
        self.spec = spec
        self.clock = SystemClock()
        self.sites = {fid: SiteStandIn(fid, doors, spec.prefix, cfg, self.clock) for fid, doors in spec.sites.items()}
        self.tally: Counter[str] = Counter()
        self.arrivals: dict[str, float] = {}  # command id -> when it arrived (monotonic: one clock for the machine)
        self.answered: dict[str, float] = {}  # command id -> when its answer was handed to the broker
        self.scheduler = RealTimeScheduler()
        self.bus = BusClient(
            BrokerSettings(
                spec.host,
                spec.port,
                spec.username,
                spec.password,
                client_id=spec.client_id,
                clean_start=False,
                session_expiry=SESSION_EXPIRY,
                manual_ack=True,
            )
        )
        for fid, site in self.sites.items():
            site.keys.audit = partial(self._keyset_audit, site)
            site.keys.listeners.append(partial(self._keyset_adopted, site))
            self.bus.subscribe(site.topics.door("+", "command"), partial(self._command, fid), retain_as_published=True)
            if site.keys.rooted:
                self.bus.subscribe(site.topics.keyset, partial(self._keyset_announced, site))

    def _keyset_announced(self, site: SiteStandIn, message: Inbound) -> None:
        """The platform's signed key set on the site's topic: offered as lockd offers it."""
        site.keys.announced(message.payload)

    def _keyset_adopted(self, site: SiteStandIn, held: KeySet) -> None:
        """A newer set adopted: say which, retained on lockd/keyset with lockd's body."""
        self.tally["keyset_adopted"] += 1
        body = HeldKeySet(
            version=held.version,
            keys=[key.key_id for key in held.content.keys],
            revoked=held.content.revoked,
            at=self.clock.now(),
        )
        self.bus.publish(site.topics.lockd("keyset"), body.payload(), retain=True, timeout=None)

    def _keyset_audit(self, site: SiteStandIn, action: str, reason: str, detail: str) -> None:
        """What lockd would audit about a key set: counted here (a refusal would show in the bench's report)."""
        if action != "keyset_adopted":
            self.tally[f"{action}:{reason}"] += 1

    def _command(self, facility_id: str, message: Inbound) -> None:
        """Decide, move the door as lockd reports it, answer on the response topic."""
        site = self.sites[facility_id]
        door_id = message.topic.split("/")[-2]
        answer, new = site.decide(door_id, message)
        self.tally[_outcome(answer, new)] += 1
        if new and answer.command_id:
            self.arrivals.setdefault(answer.command_id, message.received_at)
        if new and answer.result == "opened":
            self._unlock(site, door_id)
        if message.response_topic:
            self.bus.publish(
                message.response_topic,
                answer.payload(),
                correlation=message.correlation,
                timeout=None,
            )
            if new and answer.command_id:
                self.answered.setdefault(answer.command_id, time.monotonic())

    def _unlock(self, site: SiteStandIn, door_id: str) -> None:
        """The door's reports of a pulse, as lockd's DoorController makes them; relocked when the pulse ends."""
        self._report(site, door_id, LockState.UNLOCKING, "")
        self._report(site, door_id, LockState.UNLOCKED, "unlocked")
        self.scheduler.call_later(
            self.spec.pulse_seconds, lambda: self._report(site, door_id, LockState.LOCKED, "relocked")
        )

    def _report(self, site: SiteStandIn, door_id: str, state: LockState, event: str) -> None:
        """A door's state (retained) and its event, on the site's own topics."""
        self.bus.publish(site.topics.state(door_id), state.value, retain=True, timeout=None)
        if event:
            body = DoorEvent.model_validate({"event": event, "door": door_id, "at": self.clock.now()})
            self.bus.publish(site.topics.event(door_id), body.payload(), timeout=None)

    def run(self, until: threading.Event) -> dict:
        """Connect, say so, serve until told to stop (or max_seconds), then return the tally and arrival times."""
        self.bus.start()
        ready = self.bus.wait_connected(60)
        print(json.dumps({"ready": ready, "sites": len(self.sites)}), flush=True)
        until.wait(self.spec.max_seconds)
        self.bus.stop()
        self.scheduler.stop()
        return {"outcomes": dict(self.tally), "arrivals": self.arrivals, "answered": self.answered}


def _outcome(answer: UnlockAnswer, new: bool) -> str:
    """How a command is counted: opened, refused:<reason>, or redelivered (answered before)."""
    if not new:
        return "redelivered"
    return "opened" if answer.result == "opened" else f"refused:{answer.reason}"


def _stop_on_eof(stop: threading.Event) -> None:
    """Stop once the bench closes our stdin (or dies)."""
    sys.stdin.read()
    stop.set()


def main(argv: list[str] | None = None) -> int:
    """Entry point: serve the spec's sites until stdin closes."""
    args = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.ERROR, format="fleet stand-in: %(message)s")  # each adoption is not news here
    logsafe.install()  # what the fleet sends cannot forge a log line
    stand_in = StandIn(StandInSpec.load(args[0]))
    stop = threading.Event()
    threading.Thread(target=_stop_on_eof, args=(stop,), daemon=True).start()
    print(json.dumps({"tally": stand_in.run(stop)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
