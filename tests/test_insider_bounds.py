"""What a low-privilege login can make another program keep is bounded in size, count and lifetime.

A kiosk's broker user may publish its own spent-pass notices (SpentPass on kiosk/{kiosk}/spent), its verdicts and its
availability; a site's bridge user, on the platform's broker, its facility's outbound topics. Here: the spent passes
a sibling's notices make a kiosk keep (a quota per sending kiosk, a total, a lifetime, whatever the notices say), on
the real store and reception with a settable clock and end to end through a real Mosquitto under the generated ACL;
and the shipped brokers' packet limit, on the real Mosquitto with the shipped files' limit lines (docs/mqtt.md,
'Limits').
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import queue
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility import messages
from facility.keyset import MAX_KEYSET_BYTES
from facility.messages import Message, MessageRefused, SpentPass
from facility.store import SqliteSeenIds
from facility.tokens.verify import MAX_PASS_LIFETIME, REPLAY_MARGIN
from facility.topics import SiteTopics
from kiosk.app import KioskApp
from kiosk.reception import Reception
from kiosk.store import SPENT_ALL_KIOSKS, SPENT_PER_KIOSK, KioskStore, SpentElsewhere
from lockd.acl import acl_text
from messagebus import BrokerSettings, BusClient, Inbound
from simulator.broker import CLOUD_FILE, SITE_FILE, MosquittoBroker, shipped_limits
from simulator.clock import SettableClock
from tests.rulebook import REGUS, at
from tests.test_bridge import KAIKATSU_TOPICS, Brokers, Heard, carry, stand_up
from tests.test_bridge import SITE_USERS as BRIDGED_SITE_USERS
from tests.test_kiosk_ui import kiosk_config

# The receiving kiosk at the largest clock skew a facility file allows: the longest a notice can be kept.
WIDE_SKEW = REGUS.model_copy(update={"tokens": REGUS.tokens.model_copy(update={"clock_skew_seconds": 120})})
LONGEST = MAX_PASS_LIFETIME + 2 * 120 + REPLAY_MARGIN  # 600 s
# Measured: 206 bytes of database a notice row (8-byte id, two reals, a 54-character clock epoch and a 40-character
# sender, in the table and its three indexes) when 10,000 fill one sender's quota; a bound with room to spare.
ROW_BYTES = 256
ODD_KEEP_UNTIL = [math.inf, -math.inf, math.nan, 1e308, -1.0, 0.0, 1e12, 4_102_444_799.0]
SPENT_LOG = "kiosk.store"


def desk_at(folder: Path, clock: SettableClock) -> Reception:
    """A reception at the wide-skew facility with a store of its own on disk, on the settable clock."""
    return Reception(WIDE_SKEW, KioskStore(folder / "data" / "kiosk.db", clock), clock)


def used_bytes(store: KioskStore) -> int:
    """The bytes of database pages in use (the write-ahead log checkpointed into the file first)."""
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, free, size = (
        store.db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "freelist_count", "page_size")
    )
    return (pages - free) * size


def rows(store: KioskStore) -> int:
    """Every id the replay memory holds (this kiosk admits nothing in these tests: all of them were told of)."""
    return store.db.execute("SELECT COUNT(*) FROM seen_token").fetchone()[0]


def latest_keep(store: KioskStore) -> float:
    """The furthest moment any held id is kept until (0 for none)."""
    return store.db.execute("SELECT COALESCE(MAX(keep_until), 0) FROM seen_token").fetchone()[0]


def pass_id(*parts: object) -> bytes:
    """A distinct 8-byte pass id for these parts."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()


# --- the message at the edge ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keep_until", [b"Infinity", b"-Infinity", b"NaN", b"1e308", b"-1", b"0", b"1e12", b"4102444800"]
)
def test_a_spent_pass_whose_keep_until_is_not_a_moment_before_2100_is_refused(keep_until: bytes) -> None:
    with pytest.raises(MessageRefused):
        SpentPass.read(b'{"pass_id": "0011223344556677", "keep_until": %s, "kiosk": "front-2"}' % keep_until)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"pass_id": "' + b"0" * 1_000_000 + b'", "keep_until": 1800000000, "kiosk": "front-2"}',  # 1 MB id
        b'{"pass_id": "00112233445566778899", "keep_until": 1800000000, "kiosk": "front-2"}',  # 10 bytes, not 8
        b'{"pass_id": "0011223344556677", "keep_until": 1800000000, "kiosk": "' + b"k" * 41 + b'"}',
    ],
    ids=["1-MB-id", "long-id", "long-kiosk"],
)
def test_a_spent_pass_with_an_id_out_of_bounds_is_refused(payload: bytes) -> None:
    with pytest.raises(MessageRefused):
        SpentPass.read(payload)


def numbers(schema: object, where: str, kind: str = "number") -> list[tuple[str, dict]]:
    """Where a JSON schema takes a number of this kind, with its schema (through objects, lists, options and $defs)."""
    if isinstance(schema, dict):
        found = [(where, schema)] if schema.get("type") == kind else []
        for key, value in schema.items():
            inner = f"{where}.{key}" if key not in ("properties", "anyOf", "items", "$defs") else where
            found += numbers(value, inner, kind)
        return found
    if isinstance(schema, list):
        return [place for value in schema for place in numbers(value, where, kind)]
    return []


MODELS = [model for model in vars(messages).values() if isinstance(model, type) and issubclass(model, Message)]


def test_no_inbound_model_takes_a_float_that_is_not_finite_nor_an_integer_without_a_range() -> None:
    """Every float field of every message model refuses inf and nan (SpentPass.keep_until is the only one), and every
    integer has both ends (a text, a list and a moment are bounded already: tests/test_messages.py)."""
    floats = [place for model in MODELS for place, _ in numbers(model.model_json_schema(), model.__name__)]
    assert floats == ["SpentPass.keep_until"]
    for value in ("Infinity", "NaN", "-Infinity"):
        with pytest.raises(MessageRefused):
            SpentPass.read(f'{{"pass_id": "0011223344556677", "keep_until": {value}, "kiosk": "front-2"}}'.encode())
    integers = [found for model in MODELS for found in numbers(model.model_json_schema(), model.__name__, "integer")]
    assert integers, "no integer found: the walk is wrong"
    for place, schema in integers:
        assert "minimum" in schema and ("maximum" in schema or "exclusiveMaximum" in schema), place


# --- the store a sibling's notices can grow ------------------------------------------------------------------------

SENDERS = st.sampled_from(["front-2", "front-3", "k" * 40])  # the ACL gives a kiosk one name; a broken one, more
BURSTS = st.tuples(
    SENDERS,
    st.integers(min_value=1, max_value=600),  # notices in the burst
    st.sampled_from(["fresh", "same", "pool"]),  # new ids, one id again and again, or a few ids over and over
    st.one_of(
        st.sampled_from(ODD_KEEP_UNTIL).map(lambda value: ("absolute", value)),
        st.floats(allow_nan=True, allow_infinity=True).map(lambda value: ("absolute", value)),
        st.floats(min_value=-10_000, max_value=10_000).map(lambda value: ("from_now", value)),
    ),
    st.floats(min_value=0, max_value=700),  # seconds that pass after the burst
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bursts=st.lists(BURSTS, min_size=1, max_size=8))
def test_whatever_siblings_send_the_store_grows_by_a_fixed_bound_and_every_row_expires(bursts) -> None:
    per_kiosk, all_kiosks = 40, 100  # the real quotas, scaled down so that a few thousand notices pass them
    with tempfile.TemporaryDirectory() as folder:
        clock = SettableClock(at("2026-11-24 10:00"))
        desk = desk_at(Path(folder), clock)
        store = desk.store
        store.spent = SpentElsewhere(store.seen, clock.monotonic, per_kiosk, all_kiosks)
        empty = used_bytes(store)
        try:
            for number, (sender, count, ids, (kind, value), later) in enumerate(bursts):
                for index in range(count):
                    now = clock.now().timestamp()
                    keep_until = value if kind == "absolute" else now + value
                    told = {"fresh": pass_id(number, index), "same": pass_id("same"), "pool": pass_id(index % 7)}[ids]
                    desk.spent_elsewhere(told, keep_until, sender)
                now = clock.now().timestamp()
                assert all(store.seen.held(name) <= per_kiosk for name in ("front-2", "front-3", "k" * 40))
                assert rows(store) == store.seen.held() <= all_kiosks
                assert math.isfinite(latest_keep(store)) and latest_keep(store) <= now + LONGEST
                assert used_bytes(store) - empty <= all_kiosks * ROW_BYTES
                clock.advance(later)
            clock.advance(LONGEST + 1)  # by both clocks: every notice has expired
            store.seen.forget_expired(clock.now().timestamp())
            assert rows(store) == 0
        finally:
            store.close()


def test_a_kiosk_credential_fills_its_own_quota_and_no_more_logged_in_one_line_and_it_all_expires(
    tmp_path: Path, caplog
) -> None:
    clock = SettableClock(at("2026-11-24 10:00"))
    desk = desk_at(tmp_path, clock)
    store, empty = desk.store, used_bytes(desk.store)
    told = {SqliteSeenIds.NEW: 0, SqliteSeenIds.EXPIRED: 0, SqliteSeenIds.SENDER_FULL: 0}
    with caplog.at_level(logging.WARNING, logger=SPENT_LOG):
        for index in range(15_000):  # the red team sent 4,000; nan and the past are not kept at all
            keep_until = [math.inf, 1e308, 1e12, 4_102_444_799.0, math.nan][index % 5]
            told[desk.spent_elsewhere(pass_id("flood", index), keep_until, "front-2")] += 1
    assert told == {SqliteSeenIds.NEW: SPENT_PER_KIOSK, SqliteSeenIds.EXPIRED: 3_000, SqliteSeenIds.SENDER_FULL: 2_000}
    assert store.seen.held("front-2") == rows(store) == SPENT_PER_KIOSK
    assert latest_keep(store) <= clock.now().timestamp() + LONGEST  # ten minutes, not until 2100 or for ever
    assert used_bytes(store) - empty <= SPENT_PER_KIOSK * ROW_BYTES  # about 2 MB, measured
    (line,) = [record.getMessage() for record in caplog.records if "spent-pass notice refused" in record.message]
    assert "sender_full" in line and "front-2" in line  # 2,000 refusals, one line (in the minute they came)
    assert store.spent.refusals == {SqliteSeenIds.SENDER_FULL: 2_000}
    # Another kiosk is not refused for it, and the flood's rows go once they expire, by both clocks.
    assert desk.spent_elsewhere(pass_id("genuine"), clock.now().timestamp() + 100, "front-3") == SqliteSeenIds.NEW
    clock.advance(LONGEST + 1)
    assert store.seen.forget_expired(clock.now().timestamp()) == SPENT_PER_KIOSK + 1 and rows(store) == 0
    assert desk.spent_elsewhere(pass_id("again"), math.inf, "front-2") == SqliteSeenIds.NEW  # its quota came back


def test_a_genuine_kiosk_at_twice_the_busiest_rate_is_never_refused_beside_a_sibling_at_its_quota(
    tmp_path: Path, caplog
) -> None:
    """10 admissions a second for 15 minutes (the rush bench's 5 a second is ten times what the network plans for),
    each pass kept the longest a sender may ask, while another kiosk's credential floods at its quota throughout."""
    clock = SettableClock(at("2026-11-24 10:00"))
    desk = desk_at(tmp_path, clock)
    for index in range(SPENT_PER_KIOSK):
        desk.spent_elsewhere(pass_id("flood", index), math.inf, "front-2")
    genuine: dict[str, int] = {}
    with caplog.at_level(logging.WARNING, logger=SPENT_LOG):
        for index in range(9_000):
            clock.advance(0.1)
            # as a sender at the widest skew says it: the pass's end (at most 300 s) + its skew + the replay margin
            keep_until = clock.now().timestamp() + MAX_PASS_LIFETIME + 120 + REPLAY_MARGIN
            outcome = desk.spent_elsewhere(pass_id("genuine", index), keep_until, "front-1")
            genuine[outcome] = genuine.get(outcome, 0) + 1
            if index % 4 == 0:  # and the flood goes on
                desk.spent_elsewhere(pass_id("flood-on", index), math.inf, "front-2")
    assert genuine == {SqliteSeenIds.NEW: 9_000}
    assert desk.store.seen.held("front-1") <= 10 * LONGEST  # a notice's lifetime of them at most: 4,800 here
    assert desk.store.seen.held("front-2") <= SPENT_PER_KIOSK and desk.store.seen.held() <= SPENT_ALL_KIOSKS
    refused_lines = [record for record in caplog.records if "spent-pass notice refused" in record.message]
    assert 1 <= len(refused_lines) <= 16  # one a minute over the 15 minutes, however many were refused


# --- end to end: a sibling kiosk's own credential on a real Mosquitto under the generated ACL -----------------------

VICTIM = kiosk_config("http://127.0.0.1:9")  # front-1, the always-open facility's kiosk
SIBLING = VICTIM.model_copy(
    update={
        "kiosk": VICTIM.kiosk_settings.model_copy(update={"id": "front-2"}),
        "mqtt": VICTIM.mqtt_settings.model_copy(update={"username": "kiosk-kaikatsu-front-2"}),
    }
)
KIOSK_USERS = {"kiosk-kaikatsu-ikebukuro": "victim-pw", "kiosk-kaikatsu-front-2": "sibling-pw", "technician": "t-pw"}
TOPICS = SiteTopics.of(VICTIM)


@pytest.fixture
def kiosk_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """Mosquitto with the shipped site file's limits and the ACL generated for the facility's two kiosks (and a
    reader for the test)."""
    acl = acl_text([VICTIM, SIBLING]) + "\nuser technician\ntopic read officepass/#\n"
    broker = MosquittoBroker(tmp_path / "mq", KIOSK_USERS, acl=acl)
    broker.start()
    yield broker
    broker.stop()


def test_the_acl_generator_gives_each_kiosk_a_login_and_an_id_of_its_own() -> None:
    """Mosquitto merges the blocks of a user named twice: a login shared by two kiosks could speak for both."""
    text = acl_text([VICTIM, SIBLING])
    sibling_block = next(block for block in text.split("\n\n") if block.startswith("user kiosk-kaikatsu-front-2"))
    assert [line for line in sibling_block.splitlines() if line.startswith("topic write")] == [
        f"topic write {TOPICS.kiosk('front-2', leaf)}" for leaf in ("reply", "availability", "spent")
    ]
    shared = SIBLING.model_copy(update={"mqtt": VICTIM.mqtt_settings})
    with pytest.raises(ValueError, match="both log in as 'kiosk-kaikatsu-ikebukuro'"):
        acl_text([VICTIM, shared])
    twin = SIBLING.model_copy(update={"kiosk": VICTIM.kiosk_settings})
    with pytest.raises(ValueError, match="kiosk front-1 is named by two files"):
        acl_text([VICTIM, twin])
    with pytest.raises(ValueError, match="both log in as 'kiosk-kaikatsu-front-2'"):
        acl_text([VICTIM, SIBLING], platform_user="kiosk-kaikatsu-front-2")


def login(
    broker: MosquittoBroker, user: str, hears: str | None = None, client_id: str = ""
) -> tuple[BusClient, queue.Queue[Inbound]]:
    """A client connected with a user's own credential, and what it hears on a filter (subscribed before it counts
    as connected: every SUBACK is back)."""
    bus = BusClient(
        BrokerSettings(broker.host, broker.port, user, KIOSK_USERS.get(user, ""), client_id=client_id or user)
    )
    heard: queue.Queue[Inbound] = queue.Queue()
    if hears is not None:
        bus.subscribe(hears, heard.put)
    bus.start()
    assert bus.wait_connected(10)
    return bus, heard


def notice(kiosk: str, told: bytes, keep_until: bytes = b"4102444799") -> bytes:
    """A spent-pass notice as JSON, keep_until as written (so that it may be what no model would write)."""
    return b'{"pass_id": "%s", "keep_until": %s, "kiosk": "%s"}' % (told.hex().encode(), keep_until, kiosk.encode())


def test_a_sibling_kiosk_s_credential_speaks_only_for_itself_and_fills_only_its_quota(
    qtbot, camera, offline_platform, kiosk_broker: MosquittoBroker, tmp_path: Path, wall_clock, caplog
) -> None:
    victim_cfg = VICTIM.model_copy(
        update={"platform": VICTIM.platform.model_copy(update={"base_url": offline_platform.server.url})}
    )
    user = victim_cfg.mqtt_settings.username or ""
    app = KioskApp(
        victim_cfg,
        camera,
        broker=BrokerSettings(kiosk_broker.host, kiosk_broker.port, user, KIOSK_USERS[user], client_id=user),
        data_dir=tmp_path / "victim",
        clock=wall_clock,
    )
    made: list[BusClient] = []
    try:
        app.start(full_screen=False)
        qtbot.waitUntil(lambda: app.bus is not None and app.bus.connected, timeout=10000)
        spent = app.store.spent
        spent.per_kiosk = 200  # the real quota, scaled down: the store's own tests fill the real one
        reader, heard = login(kiosk_broker, "technician", TOPICS.spent_passes)
        sibling, _ = login(kiosk_broker, "kiosk-kaikatsu-front-2")
        made += [reader, sibling]
        # The ACL: the sibling may not speak on the victim's topic, nor as a third kiosk; only as itself.
        for kiosk in ("front-1", "front-3", "front-2"):
            sibling.publish(TOPICS.kiosk(kiosk, "spent"), notice(kiosk, pass_id("first", kiosk)), timeout=None)
        assert heard.get(timeout=10).topic == TOPICS.kiosk("front-2", "spent")  # the first the broker passed on
        qtbot.waitUntil(lambda: app.store.seen.held("front-2") == 1, timeout=10000)
        assert app.store.seen.held() == 1
        # A flood on its own topic: 400 notices kept until 2099, and 100 whose keep_until is no moment at all.
        with caplog.at_level(logging.WARNING, logger=SPENT_LOG):
            for index in range(400):
                sibling.publish(TOPICS.kiosk("front-2", "spent"), notice("front-2", pass_id(index)), timeout=None)
            for index in range(100):
                odd = [b"Infinity", b"NaN", b"1e308", b"-1"][index % 4]
                sibling.publish(TOPICS.kiosk("front-2", "spent"), notice("front-2", pass_id(index), odd), timeout=None)

            def settled() -> bool:
                return spent.refusals.get("sender_full", 0) == 201 and spent.refusals.get("bad_format", 0) == 100

            qtbot.waitUntil(settled, timeout=30000)
        assert app.store.seen.held("front-2") == 200 == app.store.seen.held()
        skew = victim_cfg.tokens.clock_skew_seconds
        assert latest_keep(app.store) <= wall_clock.now().timestamp() + MAX_PASS_LIFETIME + 2 * skew + REPLAY_MARGIN
        lines = [record for record in caplog.records if "spent-pass notice refused" in record.message]
        assert 2 <= len(lines) <= 4  # two reasons, a line each a minute: not 301 lines
    finally:
        for client in made:
            client.stop()
        app.stop()
        gc.collect()


# --- the brokers' packet limit ----------------------------------------------------------------------------------------

LIMIT = 131_072
LARGEST_GENUINE = MAX_KEYSET_BYTES  # the signed key set: every reader refuses a longer one (facility/keyset.py)
TOO_LARGE = 149  # MQTT 5 reason code: Packet too large


def test_both_shipped_broker_files_set_the_same_limits_above_every_genuine_message() -> None:
    for shipped in (SITE_FILE, CLOUD_FILE):
        assert shipped_limits(shipped) == [
            "max_queued_messages 1000",
            f"max_packet_size {LIMIT}",
            "max_queued_bytes 16777216",
        ], shipped
    assert max(model.MAX_BYTES for model in MODELS) <= LARGEST_GENUINE
    assert LIMIT >= 2 * LARGEST_GENUINE  # measured: 67 bytes of topic and header on a key set's packet


class RawPublisher:
    """A plain paho MQTT 5 client, as an insider would use one: nothing of ours between it and the broker."""

    def __init__(self, broker: MosquittoBroker, user: str, password: str) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(user, password)
        self.connected, self.disconnected = threading.Event(), threading.Event()
        self.reason: int | None = None
        self.client.on_connect = lambda client, userdata, flags, reason, props: self.connected.set()
        self.client.on_disconnect = self._gone
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self.connected.wait(10)

    def _gone(self, client, userdata, flags, reason, props) -> None:
        """The broker cut the connection: why."""
        self.reason = getattr(reason, "value", reason)
        self.disconnected.set()

    def publish_too_much(self, topic: str, size: int) -> int | None:
        """Publish `size` bytes, retained; the reason the broker gave for cutting the connection."""
        self.client.publish(topic, b"x" * size, qos=1, retain=True)
        assert self.disconnected.wait(20), f"{size} bytes were taken"
        self.client.loop_stop()
        return self.reason


@pytest.mark.parametrize("shipped", [SITE_FILE, CLOUD_FILE], ids=["site", "cloud"])
def test_the_shipped_limit_refuses_an_oversized_publish_and_carries_the_largest_genuine_one(
    tmp_path: Path, shipped: Path
) -> None:
    users = {"insider": "i-pw", "reader": "r-pw"}
    broker = MosquittoBroker(tmp_path / "mq", users, limits=shipped_limits(shipped))
    broker.start()
    topic = SiteTopics("officepass", "f" * 40).keyset  # the longest key set topic a facility id makes
    made: list[BusClient] = []

    def connect(user: str, client_id: str, hears: queue.Queue[Inbound] | None = None) -> BusClient:
        bus = BusClient(BrokerSettings(broker.host, broker.port, user, users[user], client_id=client_id))
        if hears is not None:
            bus.subscribe(topic, hears.put)
        bus.start()
        made.append(bus)
        assert bus.wait_connected(10)
        return bus

    try:
        heard: queue.Queue[Inbound] = queue.Queue()
        connect("reader", "reader", heard)
        insider = connect("insider", "insider")
        # The largest genuine message, with more properties than any of ours adds to it: delivered and retained.
        genuine = b"k" * LARGEST_GENUINE
        insider.publish(topic, genuine, retain=True, expiry=3600, response_topic=topic, correlation=b"c" * 16)
        assert heard.get(timeout=10).payload == genuine
        # One over the limit, and the red team's 20 MB: the publisher is cut off, and nothing is delivered or kept.
        # (20 MB is cut off while paho is still writing it: paho may see the connection reset before the reason.)
        assert RawPublisher(broker, "insider", users["insider"]).publish_too_much(topic, LIMIT) == TOO_LARGE
        reset = 128  # unspecified error: the connection reset under paho's write
        assert RawPublisher(broker, "insider", users["insider"]).publish_too_much(topic, 20 << 20) in (TOO_LARGE, reset)
        assert broker.wait_for_log("disconnected due to oversize packet", 10, count=2)
        insider.publish(topic, b"marker")
        assert heard.get(timeout=10).payload == b"marker"  # nothing came between
        retained: queue.Queue[Inbound] = queue.Queue()
        connect("reader", "late-reader", retained)
        assert retained.get(timeout=10).payload == genuine  # the genuine one is what stays retained
    finally:
        for client in made:
            client.stop()
        broker.stop()


def test_a_kiosk_s_oversized_notice_is_cut_off_at_the_site_broker_and_never_reaches_its_siblings(
    kiosk_broker: MosquittoBroker,
) -> None:
    """Under the generated ACL and the site's limits: the kiosk's own credential, a retained 200 KiB message on its
    own topic. A sibling (the test's reader) next hears the kiosk's next notice, and a newcomer is handed nothing."""
    topic = TOPICS.kiosk("front-2", "spent")
    reader, heard = login(kiosk_broker, "technician", topic)
    made = [reader]
    try:
        raw = RawPublisher(kiosk_broker, "kiosk-kaikatsu-front-2", KIOSK_USERS["kiosk-kaikatsu-front-2"])
        assert raw.publish_too_much(topic, 200 * 1024) == TOO_LARGE
        sibling, _ = login(kiosk_broker, "kiosk-kaikatsu-front-2")
        made.append(sibling)
        sibling.publish(topic, notice("front-2", pass_id("after")))
        assert heard.get(timeout=10).payload == notice("front-2", pass_id("after"))  # the first it hears
        late, retained = login(kiosk_broker, "technician", topic, client_id="late-technician")
        made.append(late)
        sibling.publish(topic, b"marker")
        assert retained.get(timeout=10).payload == b"marker"  # nothing retained came before it
    finally:
        for client in made:
            client.stop()


@pytest.fixture
def bridged_brokers(tmp_path: Path) -> Iterator[Brokers]:
    """A site's broker bridged to the platform's, each with its shipped file's limits, as tests/test_bridge.py makes
    them from the generated configuration."""
    pair = stand_up(tmp_path, through_wan=False)
    yield pair
    pair.stop()


def test_a_kiosk_can_neither_send_a_large_message_across_the_bridge_nor_cut_the_bridge_with_one(
    bridged_brokers: Brokers,
) -> None:
    heard = Heard(bridged_brokers.cloud_client("watcher"), "officepass/#")
    user = "kiosk-kaikatsu-ikebukuro"
    kiosk, topic = bridged_brokers.site_client(user), KAIKATSU_TOPICS.kiosk("front-1", "reply")
    carry(lambda: kiosk.publish(topic, b"before"), heard, topic)  # the bridge is up
    # The red team's 20 MB on an outbound topic: refused at the site's broker, the sender cut off.
    raw = RawPublisher(bridged_brokers.site, user, BRIDGED_SITE_USERS[user])
    assert raw.publish_too_much(topic, 20 << 20) in (TOO_LARGE, 128)
    # At the site's very limit: the bridge's packet id makes it two bytes longer than the platform's broker takes, so
    # the bridge drops it (Mosquitto 2.0.11 heeds the limit the far broker announces) rather than be cut off.
    kiosk.publish(topic, b"e" * (LIMIT - 1 - (2 + len(topic) + 1)), qos=0)
    assert bridged_brokers.site.wait_for_log("Dropping too large outgoing PUBLISH", 20)
    kiosk.publish(topic, b"after")
    assert heard.wait_for(lambda: b"after" in heard.payloads(topic), 20)  # the link carries on
    assert max(len(payload) for payload in heard.payloads(topic)) == len(b"before")
    assert not any("oversize" in line for line in bridged_brokers.cloud.log)
