"""The platform's flows that cross the message bus: unlock requests, desk-code check-ins, change notices."""

from __future__ import annotations

import json

from facility.messages import CheckinAnswer, DeskCheckin, Message, MessageRefused, ReservationsChanged, UnlockAnswer
from facility.tokens import SigningKey, UnlockCommand, mint, new_id
from facility.topics import DEFAULT_PREFIX, SiteTopics
from messagebus import BusClient
from simulator.platform.errors import ApiError
from simulator.platform.state import PASS_LIFETIME, PlatformState

COMMAND_LIFETIME = 30
NOTICE_EXPIRY = 300


class PlatformService:
    """The stand-in platform: its state plus an MQTT 5 connection to the sites' brokers."""

    def __init__(
        self,
        state: PlatformState,
        bus: BusClient | None,
        topic_prefix: str = DEFAULT_PREFIX,
        reply_timeout: float = 5.0,
    ) -> None:
        self.state = state
        self.bus = bus
        self.topic_prefix = topic_prefix
        self.reply_timeout = reply_timeout

    def topics(self, facility_id: str) -> SiteTopics:
        """The topic tree of one facility."""
        return SiteTopics(self.topic_prefix, facility_id)

    def _bus(self) -> BusClient:
        """The broker connection, or 503 when the platform runs without one."""
        if self.bus is None or not self.bus.connected:
            raise ApiError(
                503,
                "broker_unavailable",
                "the platform cannot reach the site's broker",
                "施設のブローカーに接続できません",
            )
        return self.bus

    def unlock(self, facility_id: str, door_id: str, member_id: int, key: SigningKey | None = None) -> tuple[int, dict]:
        """A member tapped 'unlock': check the reservation, send a signed command, return the door's answer.

        `key` signs instead of the platform's current key (a bench checks that a revoked key is refused)."""
        reservation = self.state.reservation_for_door(facility_id, door_id, member_id)
        topics = self.topics(facility_id)
        command = UnlockCommand(
            door_id,
            reservation.reservation_id,
            member_id,
            int(self.state.clock.now().timestamp()),
            COMMAND_LIFETIME,
            new_id(16),
            topics.command(door_id),
        )
        answer = self._bus().request(
            topics.command(door_id),
            mint(command, key or self.state.platform_key),
            topics.door(door_id, "reply"),
            timeout=self.reply_timeout,
            expiry=COMMAND_LIFETIME,
        )
        base = {"reservation_id": reservation.reservation_id, "command_id": command.command_id.hex()}
        if answer is None:
            return 504, base | {
                "error": "no_answer",  # an error status carries the error shape (docs/platform-api.md)
                "result": "no_answer",
                "message_en": "the door did not answer",
                "message_ja": "ドアから応答がありません",
            }
        return 200, _reply_body(UnlockAnswer, answer.payload) | base

    def desk_checkin(self, member_id: int, code_text: str) -> tuple[int, dict]:
        """The app submitted a scanned front-desk code: verify it, hand the kiosk a pass, return its verdict."""
        code = self.state.check_desk_code(code_text)
        text, issued = self.state.mint_pass(member_id, code.facility_id)
        topics = self.topics(code.facility_id)
        answer = self._bus().request(
            topics.kiosk(code.kiosk_id, "checkin"),
            DeskCheckin(pass_text=text).payload(),
            topics.kiosk(code.kiosk_id, "reply"),
            timeout=self.reply_timeout,
            expiry=PASS_LIFETIME,
        )
        base = {"facility_id": code.facility_id, "kiosk_id": code.kiosk_id, "pass_id": issued.pass_id.hex()}
        if answer is None:
            return 202, base | {
                "result": "pending",
                "message_en": "the kiosk has not answered yet",
                "message_ja": "受付端末の応答待ちです",
            }
        return 200, _reply_body(CheckinAnswer, answer.payload) | base

    def announce_reservations(self, facility_id: str) -> None:
        """Tell the site's doors and kiosks that reservations (or revocations) changed, so they refresh at once."""
        if self.bus is None or not self.bus.connected:
            return  # doors also sync on their schedule; the notice only makes it sooner
        cursor, _ = self.state.changed_since(facility_id, 0)
        notice = ReservationsChanged(cursor=cursor).payload()
        self.bus.publish(self.topics(facility_id).reservations_changed, notice, expiry=NOTICE_EXPIRY)

    def announce_everywhere(self) -> None:
        """A revocation concerns every site: each is told, as for a booking (its notice makes it refresh both)."""
        for facility_id in list(self.state.facilities):
            self.announce_reservations(facility_id)

    # --- the key set and its rotation (simulator/platform/keys.py) ----------------------------------

    def announce_keyset(self, facility_ids: list[str] | None = None) -> int:
        """Publish the signed key set, retained, on each facility's keyset topic; how many were published.

        Retained, so a door or kiosk that connects later hears the newest set at once; every site also
        fetches GET /keyset each minute, so a site the announcement misses still comes round."""
        document = self.state.keyset()
        if document is None or self.bus is None or not self.bus.connected:
            return 0
        payload = json.dumps(document)  # the document as signed: through a model, its bytes could change
        targets = facility_ids if facility_ids is not None else list(self.state.facilities)
        for facility_id in targets:
            self.bus.publish(self.topics(facility_id).keyset, payload, retain=True, timeout=self.reply_timeout)
        return len(targets)

    def add_signing_key(
        self, key: SigningKey | None = None, not_before: int | None = None, not_after: int | None = None
    ) -> dict:
        """Rotation step 1: certify a new key in a new set version and announce it; the old key still signs."""
        added = self.state.key_set.add_key(key, not_before=not_before, not_after=not_after)
        self.announce_keyset()
        return self.state.key_set.status() | {"key_id": added.key_id}

    def sign_with(self, key_id: str) -> dict:
        """Rotation step 2, once the sites hold the set that certifies it: sign new tokens with this key."""
        self.state.key_set.sign_with(key_id)
        return self.state.key_set.status() | {"key_id": key_id}

    def revoke_signing_key(self, key_id: str) -> dict:
        """Rotation step 3, after the overlap: revoke the old key in a new set version and announce it."""
        self.state.revoke_signing_key(key_id)
        self.announce_keyset()
        self.announce_everywhere()  # the revocations list names the key too: sites without a root refresh it
        return self.state.key_set.status() | {"key_id": key_id}


def _reply_body(model: type[Message], payload: bytes) -> dict:
    """A door's or kiosk's answer as its model reads it, or a note that it was unreadable (a refused message).

    The platform's own fields (which command, which pass) are laid over it by the caller: a reply cannot change them."""
    try:
        return model.read(payload).model_dump(mode="json", by_alias=True, exclude_none=True)
    except MessageRefused:
        return {
            "result": "bad_answer",
            "message_en": "the answer could not be read",
            "message_ja": "応答を読み取れません",
        }
