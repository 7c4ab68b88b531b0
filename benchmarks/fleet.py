"""Benchmark: a fleet of N booking sites, each bridged from its own broker to one cloud Mosquitto, under unlock traffic.

What is real: the cloud Mosquitto (TLS, a user and ACL entries per site), the site Mosquittos with
one bridge connection per site as the project's bridge generator writes it (its own login, only its
own subtree; simulator/fleet_brokers.py), lockd itself
(`officepass-lockd` processes on simulated doors) at a sample of sites, the stand-in platform (its
signing keys, the signed key set and its rotation, the lockd sites' reservations over HTTP), and
every signed command. What stands in: a few site Mosquitto processes each carry many sites' bridges,
and the other sites' doors are served by simulator/fleet_standin.py, which adopts key sets and
verifies commands with the project's own code and answers as lockd does, with no store and no
reservation check.

The platform publishes at a fleet's busy-hour rate (UNLOCKS_PER_DOOR_HOUR per door, Poisson
arrivals) and times each command from its publish at the cloud to the door's answer coming back.
With rotate, the platform's signing key is then rotated across the fleet under the same traffic.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import resource
import secrets
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from benchmarks.figures import ms, spread
from benchmarks.rush import poll
from facility.config import FacilityConfig, load_config
from facility.messages import HeldKeySet, UnlockAnswer
from facility.packaged import DEMO_KEYS, EXAMPLES
from facility.tokens import SigningKey, UnlockCommand, mint, new_id
from facility.topics import ANY, SiteTopics
from lockd.bridge import INBOUND_QOS
from messagebus import BrokerSettings, BusClient, Inbound
from simulator.broker import MosquittoBroker, free_port, nodelay_shim
from simulator.fleet_brokers import SITE_PREFIX, FleetBrokers, FleetSite, fleet_brokers
from simulator.fleet_standin import StandInSpec
from simulator.runtime import RunningPlatform, start_platform

# A busy hour at a booth: booked every half hour and opened on arrival, after stepping out and back,
# and by a second booking's member; six openings an hour is a busy door (--rate sets another).
UNLOCKS_PER_DOOR_HOUR = 6.0
COMMAND_LIFETIME = 30  # as the stand-in platform's commands
LOCKD_SHARE = 0.05  # of the commands go to the real lockd sites, so that their figures have samples at any N
MAX_COMMANDS = 20_000
PROBE_RATE = 200.0  # per second: one probe per site when rotating, paced so as not to be a burst
ROTATION_MAX_SECONDS = 180.0  # traffic planned past the window for the rotation, which ends it sooner
WAIT_SECONDS = 60.0  # the longest any step waits for the fleet (connecting, adopting a key set)
# Linking takes longer with more sites: the cloud broker does every TLS handshake on one core (about 1.5 ms each,
# more on a shared machine); the window grows with the fleet, at least WAIT_SECONDS.
LINK_SECONDS_PER_SITE = 0.03
# A site broker's watcher is handed every retained link notice at once when it subscribes, and Mosquitto keeps at
# most max_queued_messages (1,000, the shipped limit) of them waiting: beyond that it dropped notices, which is why
# 217 of 5,000 bridges (1,250 a site broker) never showed as linked. A real site broker carries one bridge.
SITES_PER_SITE_BROKER = 800
CLOUD_COMPLAINTS = ("rror", "arning", "not authorised")  # the cloud broker's lines that say why a bridge did not link
FILES_PER_PROCESS = 64  # a broker's own files besides one per connection (listeners, logs, persistence)
# How the site brokers' bridges are built: as shipped (commands in at QoS 0), as they were (QoS 1, whose PUBACK
# leaves each answer to Nagle's algorithm), and as they were with TCP_NODELAY forced by a preloaded shim.
BRIDGES = ("shipped", "nagled", "nodelay-shim")
FLEET_STEP = 0.05  # how often a wait looks again: the fleet's steps take tenths of a second
MEMBER = 1
PULSE_SECONDS = 3.0
TEMPLATE = "fleet-template"


class FleetError(RuntimeError):
    """The fleet could not be run; its message is the bench's one-line result."""


@dataclass
class Fleet:
    """Everything one run started, so that it can all be stopped."""

    sites: list[FleetSite]
    brokers: FleetBrokers
    passwords: dict[str, str]
    work: Path
    platform: RunningPlatform | None = None
    programs: dict[str, subprocess.Popen] = field(default_factory=dict)  # lockd-<id> and standin-<group>
    watchers: list[SiteWatch] = field(default_factory=list)

    @property
    def lockd_sites(self) -> list[FleetSite]:
        """The sites served by real lockd processes."""
        return [site for site in self.sites if site.real_lockd]

    @property
    def running_platform(self) -> RunningPlatform:
        """The stand-in platform, once started."""
        assert self.platform is not None, "the platform starts with the fleet"
        return self.platform


def plan_fleet(sites: int, doors_per_site: int, groups: int, lockd_sites: int) -> list[FleetSite]:
    """N alike sites spread over the site brokers; the first lockd_sites are served by real lockd."""
    width = len(str(sites))
    return [
        FleetSite(
            f"fleet-{n:0{width}d}",
            tuple(f"booth-{d}" for d in range(doors_per_site)),
            n % groups,
            n < lockd_sites,
            secrets.token_hex(8),
        )
        for n in range(sites)
    ]


# --- site files ------------------------------------------------------------------------------


def site_toml(
    facility_id: str,
    doors: tuple[str, ...],
    broker_port: int,
    user: str,
    password_file: Path,
    platform_url: str,
    data_dir: Path,
) -> str:
    """A booking site's facility file: booths open around the clock, the example's pinned key, the demo root key."""
    keys = load_config(EXAMPLES / "h1t-shibuya.toml").tokens.trusted_keys
    root = SigningKey.load(DEMO_KEYS / "root-demo.pem")
    hours = "".join(f'{day} = ["00:00-24:00"]\n' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    booths = ", ".join(f'"{d}"' for d in doors)
    rooms = f'[[spaces]]\nid = "booths"\nname = "Booths"\nkind = "booking"\nrooms = [{booths}]\n\n' + "".join(
        f'[[rooms]]\nid = "{d}"\nname = "{d}"\nkind = "booth"\n\n' for d in doors
    )
    door_list = "".join(
        f'[[doors]]\nid = "{d}"\nname = "{d} door"\nrooms = ["{d}"]\ndriver = "simulated"\n'
        f"pulse_seconds = {PULSE_SECONDS}\n\n"
        for d in doors
    )
    trusted = "".join(
        f'[[tokens.trusted_keys]]\nname = "{k.name}"\npublic_key = "{k.public_key}"\n'
        f"purposes = {json.dumps(list(k.purposes))}\n\n"
        for k in keys
    )
    return (
        f'version = 2\n\n[facility]\nid = "{facility_id}"\nname = "Fleet {facility_id}"\nchain = "fleet"\n\n'
        f'[hours]\n{hours}\n[rules]\nplans_admitted = ["individual_basic", "individual_premium", "corporate"]\n\n'
        f'{rooms}{door_list}[mqtt]\nhost = "127.0.0.1"\nport = {broker_port}\ntls = false\nusername = "{user}"\n'
        f'password_file = "{password_file}"\n\n[platform]\nbase_url = "{platform_url}"\ntimeout_seconds = 2\n\n'
        f'{trusted}[[tokens.root_keys]]\nname = "network root (demo)"\npublic_key = "{root.public_b64}"\n\n'
        f'[lockd]\ndata_dir = "{data_dir}"\nclock_check = "sanity"\n'
    )


def write_site(work: Path, site: FleetSite, broker_port: int, user: str, password: str, platform_url: str) -> Path:
    """Write one site's facility file (and its broker password) into the run's folder."""
    folder = work / site.facility_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mqtt.pass").write_text(password)
    (folder / "site.toml").write_text(
        site_toml(site.facility_id, site.doors, broker_port, user, folder / "mqtt.pass", platform_url, folder / "lockd")
    )
    return folder / "site.toml"


def write_template(work: Path, doors: tuple[str, ...], password: str) -> FacilityConfig:
    """The file every fleet site is made from (ids apart); the stand-ins read their keys from it, not its broker."""
    return load_config(
        write_site(work, FleetSite(TEMPLATE, doors, 0, False, ""), 1883, "standin", password, "http://127.0.0.1:9/v1")
    )


def _seed(fleet: Fleet, files: list[Path]) -> Path:
    """The stand-in platform's seed: the lockd sites, the demo keys, one member holding every booth all day."""
    bookings = "".join(
        f'[[reservations]]\nmember = {MEMBER}\nfacility = "{site.facility_id}"\nroom = "{door}"\n'
        f"starts_in_minutes = -60\nminutes = 720\n\n"
        for site in fleet.lockd_sites
        for door in site.doors
    )
    text = (
        f'platform_key_file = "{DEMO_KEYS / "platform-demo.pem"}"\nroot_key_file = "{DEMO_KEYS / "root-demo.pem"}"\n'
        f"facilities = {json.dumps([str(f) for f in files])}\n\n"
        f'[[members]]\nid = {MEMBER}\nname = "Fleet member"\nplan = "corporate"\n\n{bookings}'
    )
    (fleet.work / "seed.toml").write_text(text)
    return fleet.work / "seed.toml"


# --- starting and watching the sites ---------------------------------------------------------


class SiteWatch:
    """A watcher on one site broker: its bridges' links and its lockd processes' availability (both retained there).

    Watched at each site rather than at the cloud: 1,300 bridges linking at once overflow a single consumer's
    queue at the cloud (max_queued_messages), and the bench must know every site is linked."""

    def __init__(self, broker: MosquittoBroker, password: str) -> None:
        self.linked_at: dict[str, float] = {}  # facility id -> when its bridge said 1
        self.links: dict[str, bool] = {}
        self.online: set[str] = set()
        self.bus = BusClient(BrokerSettings(broker.host, broker.port, "watcher", password, client_id="watcher"))
        every = SiteTopics.every(SITE_PREFIX)
        self.bus.subscribe(every.bridge, self._link)
        self.bus.subscribe(every.lockd("availability"), self._availability)
        self.bus.start()

    def _link(self, message: Inbound) -> None:
        """A bridge's notification: 1 linked, 0 cut."""
        facility = message.topic.split("/")[1]
        self.links[facility] = message.payload == b"1"
        if self.links[facility]:
            self.linked_at.setdefault(facility, message.received_at)

    def _availability(self, message: Inbound) -> None:
        """lockd's retained online/offline."""
        facility = message.topic.split("/")[1]
        (self.online.add if message.payload == b"online" else self.online.discard)(facility)


def _linked(watchers: list[SiteWatch]) -> int:
    """How many sites' bridges are linked now."""
    return sum(sum(w.links.values()) for w in watchers)


def _online(watchers: list[SiteWatch]) -> set[str]:
    """The lockd sites whose lockd is online."""
    return set().union(*(w.online for w in watchers))


def _start_platform(fleet: Fleet) -> None:
    """The stand-in platform: HTTP for the lockd sites, its one connection to the cloud broker as `platform`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    files = [
        write_site(fleet.work, site, fleet.brokers.sites[site.group].port, site.lockd_user, site.secret, url)
        for site in fleet.lockd_sites
    ]
    cloud = BrokerSettings(
        "localhost",
        fleet.brokers.cloud.port,
        "platform",
        fleet.passwords["platform"],
        tls=True,
        ca_file=fleet.brokers.ca_file,
        client_id="platform",
    )
    fleet.platform = start_platform(
        _seed(fleet, files or [fleet.work / TEMPLATE / "site.toml"]), port=port, broker=cloud
    )


def _start_lockds(fleet: Fleet) -> None:
    """One real officepass-lockd per lockd site, on the facility file written for it."""
    for site in fleet.lockd_sites:
        fleet.programs[f"lockd-{site.facility_id}"] = subprocess.Popen(
            [sys.executable, "-m", "lockd.cli", "--config", str(fleet.work / site.facility_id / "site.toml")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _start_standins(fleet: Fleet, lifetime: float) -> None:
    """One stand-in process per site broker, for its sites that run no real lockd, for `lifetime` at most."""
    for group, broker in enumerate(fleet.brokers.sites):
        served = {s.facility_id: list(s.doors) for s in fleet.sites if s.group == group and not s.real_lockd}
        if served:
            spec = StandInSpec(
                broker.host,
                broker.port,
                "standin",
                fleet.passwords["standin"],
                f"standin-{group}",
                SITE_PREFIX,
                str(fleet.work / TEMPLATE / "site.toml"),
                served,
                PULSE_SECONDS,
                lifetime,
            )
            fleet.programs[f"standin-{group}"] = subprocess.Popen(
                [sys.executable, "-m", "simulator.fleet_standin", str(spec.save(fleet.work / f"standin-{group}.json"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
    deadline = time.monotonic() + WAIT_SECONDS
    for name, program in fleet.programs.items():
        if name.startswith("standin-") and not _ready(program, deadline):
            raise FleetError(f"fleet not up: {name} did not connect to its site broker in {WAIT_SECONDS:.0f} s")


def _ready(program: subprocess.Popen, deadline: float) -> bool:
    """True once a stand-in's first line says it is subscribed, by the deadline (its stdout, waited on with select)."""
    if program.stdout is None:
        return False
    readable, _, _ = select.select([program.stdout], [], [], max(0.0, deadline - time.monotonic()))
    line = program.stdout.readline() if readable else ""  # one line: the stand-in writes it whole, then flushes
    try:
        return bool(line) and bool(json.loads(line).get("ready"))
    except json.JSONDecodeError:
        return False


def start_fleet(
    work: Path, sites: list[FleetSite], groups: int, lifetime: float, bridge: str = "shipped"
) -> tuple[Fleet, FleetPlatform, dict]:
    """Brokers, platform, bridges, lockd and stand-ins up, every bridge linked; with how long that took.

    `lifetime` bounds the stand-ins, should this process die without stopping them; whatever started
    is stopped again if the fleet does not come up."""
    passwords = {name: secrets.token_hex(8) for name in ("platform", "standin", "watcher")}
    template = write_template(work, sites[0].doors, passwords["standin"])
    brokers = fleet_brokers(
        work,
        sites,
        groups,
        template,
        passwords["platform"],
        {"standin": passwords["standin"], "watcher": passwords["watcher"]},
        INBOUND_QOS if bridge == "shipped" else 1,
    )
    if bridge == "nodelay-shim":
        preload = ["env", f"LD_PRELOAD={nodelay_shim(work / 'shim')}"]
        for broker in brokers.sites:
            broker.launcher = preload
    fleet = Fleet(sites, brokers, passwords, work)
    try:
        sender, startup = _bring_up(fleet, lifetime)
    except BaseException:
        stop_fleet(fleet)
        raise
    return fleet, sender, startup


def _bring_up(fleet: Fleet, lifetime: float) -> tuple[FleetPlatform, dict]:
    """Start the cloud, the platform, the sites' brokers, lockd and the stand-ins, in that order, and time it."""
    began = time.monotonic()
    fleet.brokers.cloud.start(WAIT_SECONDS)  # writes a password hash per site first
    cloud_up = time.monotonic()
    cloud = ProcessUsage(fleet.brokers.cloud)
    _start_platform(fleet)
    sender = FleetPlatform(fleet)  # listening before the sites start, to count the link notices it hears
    sites_started = time.monotonic()
    for broker in fleet.brokers.sites:
        broker.start(WAIT_SECONDS)
    fleet.watchers = [SiteWatch(broker, fleet.passwords["watcher"]) for broker in fleet.brokers.sites]
    window = link_window(len(fleet.sites))
    if not poll(lambda: _linked(fleet.watchers) == len(fleet.sites), window, FLEET_STEP):
        raise FleetError(_not_linked(fleet, window))
    bridged = max((at for w in fleet.watchers for at in w.linked_at.values()), default=sites_started)
    _start_lockds(fleet)
    _start_standins(fleet, lifetime)
    lockd_ids = {site.facility_id for site in fleet.lockd_sites}
    if not poll(lambda: lockd_ids <= _online(fleet.watchers), WAIT_SECONDS, FLEET_STEP):
        missing = sorted(lockd_ids - _online(fleet.watchers))
        raise FleetError(f"fleet not up: lockd not online in {WAIT_SECONDS:.0f} s at {', '.join(missing)}")
    return sender, {
        "cloud_start_seconds": round(cloud_up - began, 2),
        "all_bridges_connected_seconds": round(bridged - sites_started, 2),
        "cloud_cpu_seconds_to_accept_bridges": round(cloud.cpu_seconds(), 2),
        "link_notices_heard_by_platform": sender.linked(),
    }


def link_window(sites: int) -> float:
    """How long the bench waits for every bridge to link."""
    return max(WAIT_SECONDS, sites * LINK_SECONDS_PER_SITE)


def _not_linked(fleet: Fleet, window: float) -> str:
    """The one line that says which bridges did not link in the window, and what the cloud broker said last."""
    linked = {facility for w in fleet.watchers for facility, up in w.links.items() if up}
    missing = [site.facility_id for site in fleet.sites if site.facility_id not in linked]
    said = next((line for line in reversed(fleet.brokers.cloud.log) if any(w in line for w in CLOUD_COMPLAINTS)), "")
    return (
        f"fleet not up: {len(linked)}/{len(fleet.sites)} bridges linked in {window:.0f} s "
        f"(not: {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''})"
        + (f"; the cloud broker said: {said}" if said else "")
    )


def files_needed(sites: int, groups: int) -> int:
    """The open files the busiest process needs: the cloud broker, one per bridge and the platform."""
    return max(sites, math.ceil(sites / groups)) + FILES_PER_PROCESS


def raise_file_limit(needed: int) -> None:
    """Raise this process's open-file limit to what the brokers it starts need (they inherit it), or say why not."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise FleetError(
            f"too few file descriptors: the cloud broker needs {needed} and the limit is {hard} "
            f"(raise it: ulimit -n {needed}, or LimitNOFILE= in the service)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def stop_fleet(fleet: Fleet) -> dict[str, dict]:
    """Stop every program this run started (by its own handle), then the brokers; the stand-ins' tallies."""
    tallies = {}
    for name, program in fleet.programs.items():
        if name.startswith("standin-"):
            tallies[name] = _tally(program)
        else:
            program.terminate()
    for program in fleet.programs.values():
        try:
            program.wait(10)
        except subprocess.TimeoutExpired:
            program.kill()
            program.wait()
    if fleet.platform is not None:
        fleet.platform.stop()
    for watcher in fleet.watchers:
        watcher.bus.stop()
    for broker in [*fleet.brokers.sites, fleet.brokers.cloud]:
        broker.stop()
    return tallies


def _tally(program: subprocess.Popen) -> dict:
    """Close a stand-in's stdin, which stops it, and read the tally it prints last ({} if it has none in time)."""
    try:
        out, _ = program.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        program.kill()
        return {}
    lines = out.strip().splitlines() if out else []
    return json.loads(lines[-1]).get("tally", {}) if lines else {}


# --- the processes' cost ------------------------------------------------------------------


def broker_pid(broker: MosquittoBroker) -> int:
    """The pid of the mosquitto running this broker's config (found in /proc: the broker class keeps it private)."""
    wanted = [part.encode() for part in ("mosquitto", "-c", str(broker.workdir / "mosquitto.conf"))]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().split(b"\0")[:3] == wanted:
                    return int(entry.name)
            except OSError:
                continue
    raise RuntimeError(f"no mosquitto process for {broker.workdir}")


class ProcessUsage:
    """CPU time used since a starting point, and memory now and at its peak, of one process."""

    def __init__(self, process: MosquittoBroker | subprocess.Popen) -> None:
        self.pid = process.pid if isinstance(process, subprocess.Popen) else broker_pid(process)
        self.began, self.cpu_began = time.monotonic(), self._cpu()

    def _cpu(self) -> float:
        """CPU seconds (user and system) the process has used."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self) -> float:
        """CPU seconds since the starting point."""
        return self._cpu() - self.cpu_began

    def share(self) -> float:
        """CPU since the starting point as a share of one core."""
        return self.cpu_seconds() / max(time.monotonic() - self.began, 1e-9)

    def memory_mb(self) -> dict:
        """Resident memory now and the peak, in MiB."""
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines() if ":" in line
        )
        return {
            "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mb": round(int(status["VmHWM"].split()[0]) / 1024, 1),
        }


# --- the platform's traffic ------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A command on its way: when it was published, where to, and why (traffic, or a rotation's probe)."""

    at: float
    site: FleetSite
    kind: str


class FleetPlatform:
    """The platform's MQTT side at the cloud: signs and sends commands, matches answers, watches held key sets."""

    def __init__(self, fleet: Fleet, lifetime: int = COMMAND_LIFETIME) -> None:
        self.lifetime = lifetime
        self.state = fleet.running_platform.state
        self.sent: dict[bytes, Sent] = {}
        self.answers: dict[bytes, tuple[float, UnlockAnswer | None]] = {}  # None: an answer that is not one
        self.watched: Counter[str] = Counter()
        self.held: dict[str, int] = {}  # facility id -> the key set version it says it holds
        self.reached: dict[tuple[str, int], float] = {}  # (facility id, version) -> when the site said so
        self.links: dict[str, bool] = {}  # facility id -> its bridge's last notice, as the platform heard it
        self.reservations = _reservations(fleet)
        bus = fleet.running_platform.bus  # the platform's one connection (one login per user at the cloud)
        assert bus is not None, "the platform is started with the cloud broker"
        self.bus = bus
        every = SiteTopics.every(SITE_PREFIX)
        for topic, handler in (
            (every.reply(ANY), self._answer),
            (every.lockd("keyset"), self._keyset),
            (every.bridge, self._link),
            (every.state(ANY), partial(self._watch, "state")),
            (every.event(ANY), partial(self._watch, "event")),
        ):
            self.bus.subscribe(topic, handler)

    def _answer(self, message: Inbound) -> None:
        """A door's answer: note when it came and what it said."""
        if message.correlation in self.sent:
            self.answers[message.correlation] = (
                message.received_at,
                UnlockAnswer.accepted(message.payload, message.topic),
            )

    def _watch(self, leaf: str, message: Inbound) -> None:
        """A door's state or event reached the platform: count it (the platform watches them)."""
        self.watched[leaf] += 1

    def _link(self, message: Inbound) -> None:
        """A site's bridge says (retained, also as its will) whether it is linked."""
        self.links[message.topic.split("/")[1]] = message.payload == b"1"

    def linked(self) -> int:
        """How many sites' bridges the platform has heard are linked."""
        return sum(self.links.values())

    def _keyset(self, message: Inbound) -> None:
        """A site says which key set it holds (retained on its lockd/keyset)."""
        held = HeldKeySet.accepted(message.payload, message.topic)
        if held is None:
            return
        facility, version = message.topic.split("/")[1], held.version
        self.held[facility] = max(version, self.held.get(facility, 0))
        self.reached.setdefault((facility, version), message.received_at)

    def send(self, site: FleetSite, door: str, kind: str = "traffic", key: SigningKey | None = None) -> None:
        """A freshly signed command (the platform's current key unless told) for the site's own topic, at the cloud."""
        topics = site.topics
        command = UnlockCommand(
            door,
            self.reservations.get((site.facility_id, door), 1),
            MEMBER,
            int(time.time()),
            self.lifetime,
            new_id(16),
            topics.command(door),
        )
        text = mint(command, key or self.state.platform_key)
        self.sent[command.command_id] = Sent(time.monotonic(), site, kind)
        self.bus.publish(
            topics.command(door),
            text,
            expiry=self.lifetime,
            response_topic=topics.door(door, "reply"),
            correlation=command.command_id,
            timeout=None,
        )

    def all_answered(self) -> bool:
        """True once every command sent has its answer."""
        return len(self.answers) >= len(self.sent)

    def holding(self, version: int) -> int:
        """How many sites say they hold this key set version or a later one."""
        return sum(1 for held in self.held.values() if held >= version)

    def reached_at(self, facility_id: str, version: int) -> float | None:
        """When a site first said it holds this version or a later one."""
        times = [at for (fid, v), at in self.reached.items() if fid == facility_id and v >= version]
        return min(times) if times else None


def _reservations(fleet: Fleet) -> dict[tuple[str, str], int]:
    """The reservation each lockd site's booth is held under, as the platform looks it up for an unlock."""
    state = fleet.running_platform.state
    return {
        (site.facility_id, door): state.reservation_for_door(site.facility_id, door, MEMBER).reservation_id
        for site in fleet.lockd_sites
        for door in site.doors
    }


def schedule(
    fleet: list[FleetSite], rate: float, seconds: float, rng: random.Random
) -> list[tuple[float, FleetSite, str]]:
    """Poisson arrivals at rate per second for seconds, each for a door drawn at random (LOCKD_SHARE at lockd sites)."""
    lockd = [site for site in fleet if site.real_lockd]
    others = [site for site in fleet if not site.real_lockd] or lockd
    plan: list[tuple[float, FleetSite, str]] = []
    at = rng.expovariate(rate)
    while at < seconds and len(plan) < MAX_COMMANDS:
        site = rng.choice(lockd if lockd and rng.random() < LOCKD_SHARE else others)
        plan.append((at, site, rng.choice(site.doors)))
        at += rng.expovariate(rate)
    return plan


class Traffic(threading.Thread):
    """The fleet's commands, each sent at its planned moment, until the plan ends or stop() is called."""

    def __init__(self, platform: FleetPlatform, plan: list[tuple[float, FleetSite, str]]) -> None:
        super().__init__(name="fleet-traffic", daemon=True)
        self.platform = platform
        self.plan = plan
        self.stopped = threading.Event()
        self.began = time.monotonic()

    def run(self) -> None:
        """Send on schedule; the stop event doubles as the pause, so stopping is immediate."""
        for at, site, door in self.plan:
            if self.stopped.wait(max(0.0, self.began + at - time.monotonic())):
                return
            self.platform.send(site, door)

    def stop(self) -> None:
        """Send no more."""
        self.stopped.set()
        self.join(5)


# --- rotating the platform's key -----------------------------------------------------------


def announce(fleet: Fleet) -> int:
    """Publish the platform's current key set, retained, on every site's keyset topic; its version."""
    platform = fleet.running_platform
    platform.service.announce_keyset([site.facility_id for site in fleet.sites])
    return platform.state.key_set.version


def _adoption(fleet: Fleet, sender: FleetPlatform, version: int, began: float) -> dict:
    """Wait until every site says it holds `version`; how many do, and how long each took."""
    poll(lambda: sender.holding(version) >= len(fleet.sites), WAIT_SECONDS, FLEET_STEP)
    # a site that held it before `began` (lockd fetches the set over HTTPS as it starts) counts as 0
    took = [
        max(0.0, at - began) for site in fleet.sites if (at := sender.reached_at(site.facility_id, version)) is not None
    ]
    return {
        "version": version,
        "sites_holding": len(took),
        "seconds": spread(took) if took else None,
    }


def _probe(fleet: Fleet, sender: FleetPlatform, kind: str, key: SigningKey) -> dict[str, int]:
    """One command signed by `key` to every site, paced at PROBE_RATE; the answers by result."""
    began = time.monotonic()
    for n, site in enumerate(fleet.sites):
        threading.Event().wait(max(0.0, began + n / PROBE_RATE - time.monotonic()))
        sender.send(site, site.doors[0], kind, key)
    probes = [c for c, sent in sender.sent.items() if sent.kind == kind]
    poll(lambda: all(c in sender.answers for c in probes), sender.lifetime + 5, FLEET_STEP)
    return dict(Counter(_result(sender.answers[c][1]) if c in sender.answers else "lost" for c in probes))


def _result(answer: UnlockAnswer | None) -> str:
    """An answer as counted: opened, refused:<reason>, or unreadable."""
    if answer is None:
        return "unreadable"
    return "opened" if answer.result == "opened" else f"refused:{answer.reason}"


def rotate(fleet: Fleet, sender: FleetPlatform) -> dict:
    """Certify a new key, wait for every site, sign with it, wait out the overlap, revoke the old; probe each step."""
    service, keys = fleet.running_platform.service, fleet.running_platform.state.key_set
    skew = load_config(fleet.work / TEMPLATE / "site.toml").tokens.clock_skew_seconds
    old, began = keys.signing_key, time.monotonic()
    new = keys.key(service.add_signing_key()["key_id"])
    certified = _adoption(fleet, sender, announce(fleet), began)
    service.sign_with(new.key_id)
    switched = time.monotonic()
    opens_new = _probe(fleet, sender, "probe-new-key", new)
    # a command signed with the old key just before the switch stays good for its life and the clock skew
    threading.Event().wait(max(0.0, switched + sender.lifetime + skew + 1 - time.monotonic()))
    revoking = time.monotonic()
    service.revoke_signing_key(old.key_id)
    revoked = _adoption(fleet, sender, announce(fleet), revoking)
    refuses_old = _probe(fleet, sender, "probe-old-key", old)
    return {
        "new_key_certified": certified,
        "new_key_probes": opens_new,
        "overlap_seconds": round(revoking - switched, 1),
        "old_key_revoked": revoked,
        "old_key_probes": refuses_old,
        "rotation_seconds": round(time.monotonic() - began, 1),
    }


# --- the report -------------------------------------------------------------------------------


def latencies(sender: FleetPlatform, chosen: list[bytes], tallies: dict[str, dict]) -> dict:
    """Publish to answer (all, lockd sites, stand-in sites) of the chosen commands, and the stand-ins' two legs."""
    arrivals, replies = (
        {bytes.fromhex(k): at for tally in tallies.values() for k, at in tally.get(kind, {}).items()}
        for kind in ("arrivals", "answered")
    )
    series: dict[str, list[float]] = {"all": [], "real_lockd": [], "stand_in": []}
    to_door, way_back = [], []
    for command in chosen:
        sent, answered = sender.sent[command], sender.answers.get(command)
        if answered is None:
            continue
        for name in ("all", "real_lockd" if sent.site.real_lockd else "stand_in"):
            series[name].append(answered[0] - sent.at)
        if command in arrivals and command in replies:
            to_door.append(arrivals[command] - sent.at)
            way_back.append(answered[0] - replies[command])
    return {
        "publish_to_answer_ms": {name: ms(values) for name, values in series.items()},
        "stand_in_legs_ms": {"publish_to_door": ms(to_door), "door_answer_to_platform": ms(way_back)},
    }


def counts(sender: FleetPlatform, chosen: list[bytes]) -> dict:
    """Commands sent, answered by result, and lost (never answered)."""
    answered = [sender.answers[c][1] for c in chosen if c in sender.answers]
    return {
        "sent": len(chosen),
        "answered": len(answered),
        "by_result": dict(Counter(_result(a) for a in answered)),
        "lost": len(chosen) - len(answered),
    }


def _traffic(sender: FleetPlatform, since: float, until: float) -> list[bytes]:
    """The fleet traffic's commands sent in [since, until)."""
    return [c for c, sent in sender.sent.items() if sent.kind == "traffic" and since <= sent.at < until]


# --- the run -------------------------------------------------------------------------------


def bench_fleet(
    sites: int = 100,
    doors_per_site: int = 4,
    seconds: float = 60.0,
    rate: float | None = None,
    site_brokers: int = 4,
    lockd_sites: int = 3,
    rotate_keys: bool = False,
    seed: int = 16,
    command_lifetime: int = COMMAND_LIFETIME,
    bridge: str = "shipped",
) -> dict:
    """One fleet: start it, send busy-hour traffic for `seconds` (then rotate the key under it), report what it cost.

    A shorter command_lifetime shortens the rotation's overlap (a test's fleet); the bench keeps the platform's.
    `bridge` is one of BRIDGES. Raises FleetError when the fleet cannot be run."""
    if bridge not in BRIDGES:
        raise FleetError(f"no such bridge: {bridge} (one of {', '.join(BRIDGES)})")
    rate = rate or sites * doors_per_site * UNLOCKS_PER_DOOR_HOUR / 3600
    groups = site_broker_count(sites, site_brokers)
    raise_file_limit(files_needed(sites, groups))
    fleet_plan = plan_fleet(sites, doors_per_site, groups, min(lockd_sites, sites))
    logging.disable(
        logging.WARNING
    )  # bridges and lockd come and go at the edges of the run; the report says what counts
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="officepass-fleet-") as folder:
            report = _run(
                Path(folder),
                fleet_plan,
                (groups, bridge),
                (rate, seconds, command_lifetime),
                rotate_keys,
                random.Random(seed),
            )
    finally:
        logging.disable(logging.NOTSET)
    return report | {
        "machine": {
            "cores": os.cpu_count(),
            "load_1m_before": round(load_before, 2),
            "load_1m_after": round(os.getloadavg()[0], 2),
            "shared": True,
        }
    }


def site_broker_count(sites: int, asked: int) -> int:
    """The site brokers to carry the bridges: as asked, and more where one would carry over SITES_PER_SITE_BROKER."""
    return max(1, min(max(asked, math.ceil(sites / SITES_PER_SITE_BROKER)), sites))


def _run(
    work: Path,
    sites: list[FleetSite],
    brokers: tuple[int, str],
    load: tuple[float, float, int],
    rotate_keys: bool,
    rng: random.Random,
) -> dict:
    """Start the fleet, hand every site the key set, measure under traffic (and rotate), stop it all, report."""
    rate, seconds, lifetime = load
    (groups, bridge), began = brokers, time.monotonic()
    bound = seconds + ROTATION_MAX_SECONDS + 5 * WAIT_SECONDS + link_window(len(sites))
    fleet, sender, startup = start_fleet(work, sites, groups, bound, bridge)
    sender.lifetime = lifetime
    rotation: dict = {}
    try:
        startup["key_set_held_by_all"] = _adoption(fleet, sender, announce(fleet), time.monotonic())
        cloud, site_side = ProcessUsage(fleet.brokers.cloud), _site_side(fleet)
        traffic = Traffic(sender, schedule(sites, rate, seconds + (ROTATION_MAX_SECONDS if rotate_keys else 0), rng))
        traffic.start()
        threading.Event().wait(seconds)
        window_end = time.monotonic()
        costs = _costs(fleet, cloud, site_side, sender)
        if rotate_keys:
            rotation = rotate(fleet, sender)
        traffic.stop()
        poll(sender.all_answered, sender.lifetime + 5, FLEET_STEP)
    finally:
        tallies = stop_fleet(fleet)
    steady = _traffic(sender, 0, window_end)
    report = {
        "benchmark": "fleet",
        "sites": len(sites),
        "bridge": bridge,
        "doors_per_site": len(sites[0].doors),
        "site_brokers": groups,
        "real_lockd_sites": [site.facility_id for site in fleet.lockd_sites],
        "rate_per_second": round(rate, 3),
        "seconds": seconds,
        "command_lifetime_seconds": lifetime,
        **latencies(sender, steady, tallies),
        "commands": counts(sender, steady),
        **costs,
        "startup": startup,
        "stand_in_outcomes": _outcomes(tallies),
    }
    if rotate_keys:
        report["rotation"] = rotation | {
            "traffic_meanwhile": counts(sender, _traffic(sender, window_end, float("inf")))
        }
    return report | {"wall_seconds": round(time.monotonic() - began, 1)}


def _costs(fleet: Fleet, cloud: ProcessUsage, site_side: list[ProcessUsage], sender: FleetPlatform) -> dict:
    """The cloud broker's CPU and memory over the window, the site side's CPU, and the door reports that crossed."""
    return {
        "cloud_broker": {
            "cpu_share_of_one_core": round(cloud.share(), 4),
            **cloud.memory_mb(),
            "connections": len(fleet.sites) + 1,
        },  # the bridges and the platform
        "site_side_cpu_share_of_one_core": round(sum(usage.share() for usage in site_side), 3),
        "door_reports_at_platform": dict(sender.watched),
    }


def _site_side(fleet: Fleet) -> list[ProcessUsage]:
    """The cost of everything standing for the sites: their brokers, lockd and the stand-ins."""
    return [
        *(ProcessUsage(broker) for broker in fleet.brokers.sites),
        *(ProcessUsage(p) for p in fleet.programs.values()),
    ]


def _outcomes(tallies: dict[str, dict]) -> dict[str, int]:
    """The stand-ins' own counts, summed (what they decided and any key set they refused)."""
    return dict(sum((Counter(tally.get("outcomes", {})) for tally in tallies.values()), Counter()))


# --- several fleet sizes ---------------------------------------------------------------------

GROWTH = {
    "publish_to_answer_median_ms": ("publish_to_answer_ms", "all", "median"),
    "publish_to_answer_p99_ms": ("publish_to_answer_ms", "all", "p99"),
    "cloud_cpu_share_of_one_core": ("cloud_broker", "cpu_share_of_one_core"),
    "cloud_rss_mb": ("cloud_broker", "rss_mb"),
    "all_bridges_connected_seconds": ("startup", "all_bridges_connected_seconds"),
}


def _dig(report: dict, path: tuple[str, ...]) -> float | None:
    """A figure deep in a report."""
    value: object = report
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) else None


def growth(runs: list[dict]) -> dict:
    """Each figure per fleet size, its ratio from the smallest fleet to the largest, and the cloud's memory per site."""
    sizes = [run["sites"] for run in runs]
    figures: dict[str, object] = {"sites": sizes, "sites_ratio": round(sizes[-1] / sizes[0], 2)}
    for name, path in GROWTH.items():
        values = [_dig(run, path) for run in runs]
        first, last = values[0], values[-1]
        figures[name] = {"values": values, "ratio": round(last / first, 2) if first and last is not None else None}
    rss = [_dig(run, GROWTH["cloud_rss_mb"]) or 0.0 for run in runs]
    if sizes[-1] > sizes[0]:
        figures["cloud_kib_per_site"] = round((rss[-1] - rss[0]) * 1024 / (sizes[-1] - sizes[0]), 1)
    return figures


SIDE_BY_SIDE = {
    "link_seconds": ("startup", "all_bridges_connected_seconds"),
    "sent": ("commands", "sent"),
    "lost": ("commands", "lost"),
    "median_ms": ("publish_to_answer_ms", "all", "median"),
    "p99_ms": ("publish_to_answer_ms", "all", "p99"),
    "cloud_cpu_share_of_one_core": ("cloud_broker", "cpu_share_of_one_core"),
    "cloud_rss_mb": ("cloud_broker", "rss_mb"),
    "load_1m_after": ("machine", "load_1m_after"),
}


def side_by_side(runs: list[dict]) -> list[dict]:
    """One row per run: the figures the sizes and the bridges are compared on."""
    return [
        {"sites": run["sites"], "bridge": run["bridge"], "site_brokers": run["site_brokers"]}
        | {name: _dig(run, path) for name, path in SIDE_BY_SIDE.items()}
        for run in runs
    ]


def bench_fleets(sizes: list[int], bridges: tuple[str, ...] = ("shipped",), **options) -> dict:
    """One fleet per size and bridge in turn (see bench_fleet); with several, side by side and how figures grow.

    A fleet that cannot run ends the series: the report then says why in one line, under "failed"."""
    runs: list[dict] = []
    for size in sizes:
        for bridge in bridges:
            try:
                runs.append(bench_fleet(sites=size, bridge=bridge, **options))
            except Exception as error:  # the bench's result is one line, never a traceback (stop_fleet ran)
                return _failed(size, bridge, error, runs)
    if len(runs) == 1:
        return runs[0]
    shipped = [run for run in runs if run["bridge"] == bridges[0]]
    report = {"benchmark": "fleet", "runs": runs, "side_by_side": side_by_side(runs)}
    return report | ({"growth": growth(shipped)} if len(shipped) > 1 else {})


def _failed(size: int, bridge: str, error: Exception, runs: list[dict]) -> dict:
    """The report of a series that stopped at a fleet that could not run."""
    line = str(error) if isinstance(error, FleetError) else f"fleet failed: {type(error).__name__}: {error}"
    report = {"benchmark": "fleet", "sites": size, "bridge": bridge, "failed": line}
    return report | ({"runs": runs, "side_by_side": side_by_side(runs)} if runs else {})
