"""Steps 1 and 2 of a command's checks (retained? authentic?), for a whole batch at once.

They write nothing and depend on no other message, so a batch's messages can be screened in any
order and on two threads. The Ed25519 verification, the largest part of a genuine command's cost
(about 0.1 ms here) and all of a forged one's, runs outside the interpreter lock, so a second
thread screening half of a large batch puts the machine's second core to work on a burst or a
flood; small batches (a command at a time) stay on the dispatcher, where a hand-off would only
add to their latency.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from facility.reasons import Reason
from facility.tokens import Keyring, Refusal, Revocations, UnlockCommand, authenticate_unlock_command
from facility.topics import SiteTopics
from messagebus import Inbound

SHARED_FROM = 8  # messages in a batch from which half of them go to the second thread


def screen(
    message: Inbound, keyring: Keyring, topics: SiteTopics, now: datetime, revocations: Revocations
) -> UnlockCommand | Refusal:
    """Not retained, text, authentic (size, parse, key, signature): the command, or why it is refused."""
    if message.retain:
        return Refusal(Reason.RETAINED, "retained message")
    try:
        text = message.payload.decode("ascii")
    except UnicodeDecodeError:
        return Refusal(Reason.BAD_FORMAT, "payload is not text")
    return authenticate_unlock_command(text, keyring, now.timestamp(), topics=topics, revocations=revocations)


class Screener:
    """Screens a batch's messages, the second half of a large batch on a helper thread started on first need."""

    def __init__(self, keyring: Keyring, topics: SiteTopics) -> None:
        self.keyring = keyring
        self.topics = topics
        self._helper: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def screen_all(
        self, messages: list[Inbound], now: datetime, revocations: Revocations
    ) -> list[UnlockCommand | Refusal]:
        """Each message's command or refusal, in order."""
        if len(messages) < SHARED_FROM:
            return self._screen_each(messages, now, revocations)
        half = len(messages) // 2
        later = self._helper_thread().submit(self._screen_each, messages[half:], now, revocations)
        return self._screen_each(messages[:half], now, revocations) + later.result()

    def _screen_each(
        self, messages: list[Inbound], now: datetime, revocations: Revocations
    ) -> list[UnlockCommand | Refusal]:
        """Screen messages one after the other on this thread."""
        return [screen(message, self.keyring, self.topics, now, revocations) for message in messages]

    def _helper_thread(self) -> ThreadPoolExecutor:
        """The second thread, made the first time a batch is large enough to share."""
        with self._lock:
            if self._helper is None:
                self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lockd-screen")
            return self._helper

    def close(self) -> None:
        """Stop the helper thread, if there is one."""
        with self._lock:
            if self._helper is not None:
                self._helper.shutdown(wait=True)
                self._helper = None
