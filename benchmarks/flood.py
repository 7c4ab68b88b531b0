"""The unlock benchmark under floods of junk (`bench unlock --junk N`), for docs/benchmarks.md.

An attacker publishes N junk messages as fast as it can on one door's command topic, each asking
for an answer (response topic and correlation data, as a real command does), while the platform
sends genuine commands one at a time, alternately to the flooded door and to the others. Each
genuine command is timed from publish to its answer and to its relay; floods follow one another
until `commands` genuine commands have been sent. The junk is a mix of what lockd must turn away:
unreadable text, a command signed by an unknown key, a command under the trusted key id with a
forged signature (a full Ed25519 verification each), and the exact bytes of a command decided
before. The attacker is Mosquitto's own client in its own process (`mosquitto_pub -l`), as a hostile
client would be, and the answers to the junk are counted by `mosquitto_sub` in another: neither
takes lockd's interpreter from it.
"""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import time
from pathlib import Path

from benchmarks.figures import ms
from benchmarks.floors import flood_process, raw_mqtt_during_flood
from benchmarks.unlock import USERS, RelayMoments, _raw_mqtt, bench_site, on_bench_broker, probe_lockd
from facility.config import FacilityConfig
from facility.packaged import DEMO_KEYS
from facility.tokens import SigningKey, UnlockCommand, mint, new_id
from facility.topics import SiteTopics
from messagebus import BrokerSettings, BusClient
from simulator.broker import MosquittoBroker

ANSWER_TIMEOUT = 10.0  # a genuine command not answered by then counts as lost
PROBE = "probe"  # published on the junk's response topic until mosquitto_sub is heard to listen
QUIET_SECONDS = 0.3  # a flood whose junk lockd stopped answering this long ago is over (some answers never came)


@dataclasses.dataclass(frozen=True)
class Genuine:
    """One genuine command: its door and text, when it was sent (wall clock), and seconds from publish to its answer
    and to its relay (None: never)."""

    door: str
    text: str
    sent_at: float
    answered: float | None
    relayed: float | None


class JunkAnswers:
    """`mosquitto_sub` on the door's reply topic in its own process: counts lockd's answers to the junk (lockd answers
    on that topic whatever response topic a message names)."""

    def __init__(self, broker: MosquittoBroker, topic: str) -> None:
        self.count = 0
        self.last_at = 0.0  # wall-clock time of the last answer, as mosquitto_sub stamped it
        self.listening = threading.Event()  # a probe came through: every answer from now on is counted
        self._changed = threading.Condition()
        self._process = subprocess.Popen(
            [
                "mosquitto_sub",
                "-h",
                broker.host,
                "-p",
                str(broker.port),
                "-u",
                "platform",
                "-P",
                USERS["platform"],
                "-V",
                "5",
                "-i",
                "bench-junk-answers",
                "-t",
                topic,
                "-F",
                "%U %p",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Count each answer line as it comes."""
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.rstrip("\n").endswith(" " + PROBE):
                self.listening.set()
                continue
            if '"refused"' not in line:  # the door's reply topic carries the genuine commands' answers too
                continue
            with self._changed:
                self.count += 1
                self.last_at = float(line.split(" ", 1)[0])
                self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once `count` answers have come, within timeout seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= count, timeout)

    def stop(self) -> None:
        """End the subscriber."""
        self._process.terminate()
        self._process.wait(5)


@dataclasses.dataclass
class Flood:
    """One flood: `mosquitto_pub -l` publishing the junk, and what lockd answered to it."""

    process: subprocess.Popen
    size: int
    answered_before: int
    started_at: float  # wall clock, to compare with mosquitto_sub's stamps
    answered_in: float | None = None
    last_answer_at: float = 0.0  # wall clock: lockd's last answer to this flood's junk


def junk_texts(count: int, cfg: FacilityConfig, key: SigningKey, decided: str) -> list[str]:
    """`count` junk commands for the first door: unreadable, unknown key, forged signature, replayed bytes."""
    topics = SiteTopics.of(cfg)
    door = cfg.doors[0].id
    stranger, forger = SigningKey.generate(), SigningKey.generate()
    forger.key_id = key.key_id  # the trusted key's id on another key's signature: only the verification finds it

    def command(signer: SigningKey) -> str:
        return mint(UnlockCommand(door, 1, 1, int(time.time()), 30, new_id(16), topics.command(door)), signer)

    makers = [
        lambda n: f"OP1{n:06d}" + "A" * 120,
        lambda n: command(stranger),
        lambda n: command(forger),
        lambda n: decided,
    ]
    return [makers[n % len(makers)](n) for n in range(count)]


def start_flood(broker: MosquittoBroker, topic: str, reply: str, texts: list[str], answered: JunkAnswers) -> Flood:
    """Start `mosquitto_pub -l` publishing every text (QoS 1, a response topic) as fast as the broker takes them."""
    started_at = time.time()
    process = flood_process(
        broker,
        USERS,
        topic,
        texts,
        (
            "-i",
            "bench-attacker",
            "-D",
            "publish",
            "response-topic",
            reply,
            "-D",
            "publish",
            "correlation-data",
            "junk",
            "-D",
            "publish",
            "message-expiry-interval",
            "30",
        ),
    )
    return Flood(process, len(texts), answered.count, started_at)


def bench_flood(junk: int = 1500, commands: int = 200, doors: int = 10) -> dict:
    """Genuine commands answered and pulsed during floods of `junk` messages on one door's topic."""
    return on_bench_broker(lambda broker, work: _measure_flood(broker, work, junk, commands, doors))


def _measure_flood(broker: MosquittoBroker, work: Path, junk: int, commands: int, doors: int) -> dict:
    """lockd on probe doors; floods and genuine commands until `commands` were sent; then raw MQTT beside it."""
    cfg = bench_site(doors, work / "lockd")
    moments = RelayMoments()
    daemon = probe_lockd(broker, cfg, moments)
    platform = BusClient(
        BrokerSettings(broker.host, broker.port, "platform", USERS["platform"], client_id="bench-platform")
    )
    topics = SiteTopics.of(cfg)
    answers = JunkAnswers(broker, topics.reply(cfg.doors[0].id))
    floods: list[Flood] = []
    try:
        daemon.start()
        platform.start()
        platform.wait_connected(10)
        daemon.bus.wait_connected(10)
        results = _genuine_during_floods(cfg, broker, platform, moments, answers, junk, commands, floods)
    finally:
        answers.stop()
        platform.stop()
        daemon.stop()
    one_way, _ = _raw_mqtt(broker, 1000)
    during = raw_mqtt_during_flood(
        broker,
        USERS,
        junk_texts(junk, cfg, SigningKey.load(DEMO_KEYS / "platform-demo.pem"), "OP1"),
        max(1, len(floods) // 2),
    )
    return _flood_report(results, floods, answers, junk, doors, one_way) | {
        "floor_raw_mqtt_one_way_during_flood_ms": ms(during)
    }


def _genuine_during_floods(
    cfg: FacilityConfig,
    broker: MosquittoBroker,
    platform: BusClient,
    moments: RelayMoments,
    answers: JunkAnswers,
    junk: int,
    commands: int,
    floods: list[Flood],
) -> list[Genuine]:
    """Flood after flood; during each, genuine commands one at a time. Only those sent before lockd's last answer to
    the flood's junk count (the others met no flood)."""
    key = SigningKey.load(DEMO_KEYS / "platform-demo.pem")
    topics = SiteTopics.of(cfg)
    flooded, reply = topics.command(cfg.doors[0].id), topics.reply(cfg.doors[0].id)
    decided = _send_genuine(cfg, key, platform, moments, topics, 0).text  # its bytes are replayed as junk
    while not answers.listening.wait(0.2):
        platform.publish(reply, PROBE, qos=0)
    results: list[Genuine] = []
    while len(results) < commands:
        flood = start_flood(broker, flooded, reply, junk_texts(junk, cfg, key, decided), answers)
        floods.append(flood)
        answers.wait_for(flood.answered_before + 1, ANSWER_TIMEOUT)  # the junk is reaching lockd: it is on
        sent: list[Genuine] = []
        while len(results) + len(sent) < commands and not _flood_over(flood, answers):
            sent.append(_send_genuine(cfg, key, platform, moments, topics, len(results) + len(sent)))
        flood.process.wait(ANSWER_TIMEOUT)
        if answers.wait_for(flood.answered_before + junk, ANSWER_TIMEOUT):
            flood.answered_in = answers.last_at - flood.started_at
        flood.last_answer_at = answers.last_at
        results += [genuine for genuine in sent if genuine.sent_at <= flood.last_answer_at]  # sent during it
    return results


def _flood_over(flood: Flood, answers: JunkAnswers) -> bool:
    """True once every junk message is answered, or the attacker is done and lockd has answered nothing for a while."""
    if answers.count - flood.answered_before >= flood.size:
        return True
    quiet = time.time() - max(answers.last_at, flood.started_at) > QUIET_SECONDS
    return flood.process.poll() is not None and quiet


def _send_genuine(
    cfg: FacilityConfig, key: SigningKey, platform: BusClient, moments: RelayMoments, topics: SiteTopics, n: int
) -> Genuine:
    """One genuine command, to the flooded door on even turns and to one of the others on odd ones."""
    index = 0 if n % 2 == 0 or len(cfg.doors) == 1 else 1 + (n // 2) % (len(cfg.doors) - 1)
    door = cfg.doors[index].id
    text = mint(UnlockCommand(door, index + 1, index + 1, int(time.time()), 30, new_id(16), topics.command(door)), key)
    sent_at, start, driven = time.time(), time.perf_counter(), moments.total
    answer = platform.request(topics.command(door), text, topics.door(door, "reply"), timeout=ANSWER_TIMEOUT, expiry=30)
    answered = time.perf_counter() - start if answer is not None and b'"opened"' in answer.payload else None
    relayed = (
        moments.last(door) - start if answered is not None and moments.wait_total(driven + 1, ANSWER_TIMEOUT) else None
    )
    return Genuine(door, text, sent_at, answered, relayed)


def _flood_report(
    results: list[Genuine], floods: list[Flood], answers: JunkAnswers, junk: int, doors: int, one_way: list[float]
) -> dict:
    """The figures: genuine commands answered (flooded door and others), junk answered, floods' pace."""
    flooded = results[0].door if results else ""
    answered = [g.answered for g in results if g.answered is not None]
    relayed = [g.relayed for g in results if g.relayed is not None]
    cleared = [f.answered_in for f in floods if f.answered_in is not None]
    return {
        "benchmark": "unlock",
        "mode": "flood",
        "junk_per_flood": junk,
        "floods": len(floods),
        "doors": doors,
        "genuine_commands_during_floods": len(results),
        "genuine_lost": len(results) - len(answered),
        "genuine_to_flooded_door": sum(1 for g in results if g.door == flooded),
        "publish_to_answer_ms": ms(answered) if answered else None,
        "publish_to_relay_ms": ms(relayed) if relayed else None,
        "flooded_door_publish_to_answer_ms": _answers_ms([g for g in results if g.door == flooded]),
        "other_doors_publish_to_answer_ms": _answers_ms([g for g in results if g.door != flooded]),
        "junk_answered": f"{answers.count}/{junk * len(floods)}",
        "flood_fully_answered_in_ms": ms(cleared) if cleared else None,
        "raw_mqtt_one_way_ms": ms(one_way),
    }


def _answers_ms(results: list[Genuine]) -> dict | None:
    """Publish to answer of some genuine commands (None if none was answered)."""
    answered = [g.answered for g in results if g.answered is not None]
    return ms(answered) if answered else None
