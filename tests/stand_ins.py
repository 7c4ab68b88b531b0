"""Minimal MQTT peers for the simulator's tests: a door controller and a kiosk that answer the platform.

They verify with the shared core, as lockd and the kiosk will; they only stand in until those exist.
"""

from __future__ import annotations

import queue
import time

from facility.config import FacilityConfig
from facility.messages import CheckinAnswer, DeskCheckin, UnlockAnswer
from facility.store import MemorySeenIds
from facility.tokens import (
    Keyring,
    MemberPass,
    Refusal,
    verify_member_pass,
    verify_unlock_command,
)
from facility.topics import SiteTopics
from messagebus import BusClient, Inbound


class AnsweringDoor:
    """Verifies each unlock command for one door and answers on its response topic."""

    def __init__(self, bus: BusClient, cfg: FacilityConfig, door_id: str) -> None:
        self.bus, self.door_id = bus, door_id
        self.topics = SiteTopics.of(cfg)
        self.keyring = Keyring.from_config(cfg.tokens.trusted_keys)
        self.seen = MemorySeenIds()
        self.received: queue.Queue[Inbound] = queue.Queue()
        bus.subscribe(self.topics.command(door_id), self._answer)

    def _answer(self, message: Inbound) -> None:
        self.received.put(message)
        result = verify_unlock_command(
            message.payload.decode(),
            self.keyring,
            time.time(),
            topics=self.topics,
            door_id=self.door_id,
            arrived_on=message.topic,
            seen=self.seen,
        )
        if isinstance(result, Refusal):
            reply = UnlockAnswer(result="refused", door=self.door_id, reason=result.reason.code)
        else:
            reply = UnlockAnswer(result="opened", door=self.door_id)
        self.bus.publish(message.response_topic, reply.payload(), correlation=message.correlation, qos=1)


class AnsweringKiosk:
    """Verifies the pass the platform hands over after a desk-code scan and answers admitted or refused."""

    def __init__(self, bus: BusClient, cfg: FacilityConfig, kiosk_id: str) -> None:
        self.bus, self.cfg = bus, cfg
        self.topics = SiteTopics.of(cfg)
        self.keyring = Keyring.from_config(cfg.tokens.trusted_keys)
        self.passes: queue.Queue[MemberPass] = queue.Queue()
        bus.subscribe(self.topics.kiosk(kiosk_id, "checkin"), self._answer)

    def _answer(self, message: Inbound) -> None:
        text = DeskCheckin.read(message.payload).pass_text
        result = verify_member_pass(text, self.keyring, time.time(), facility_id=self.cfg.facility.id)
        if isinstance(result, Refusal):
            reply = CheckinAnswer(result="refused", reason=result.reason.code)
        else:
            self.passes.put(result)
            reply = CheckinAnswer(result="admitted", name=result.name)
        self.bus.publish(message.response_topic, reply.payload(), correlation=message.correlation)
