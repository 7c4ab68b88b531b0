"""The platform's side of a burst, in a process of its own: publishes a round of messages at once on a word from
the bench and says when it published each (time.perf_counter, CLOCK_MONOTONIC, which every process on the machine
shares).

In the bench's own process the publishing loop and lockd's threads would share one interpreter lock, and the
sender's hundred publishes would be measured as lockd's delay, as they never are in the field, where the platform is
another machine.

Protocol on standard input, one JSON document a line: `{"topic": ..., "payload": ..., "reply": ...}` adds a message
to the round (answered on `reply`, as the platform asks), `"go"` publishes the round (QoS 1, 30 s expiry, not waiting
for acknowledgements) and answers one line on standard output, the publish moments in order; end of input stops.
    python -m benchmarks.burst_sender HOST PORT USER PASSWORD
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import IO

from messagebus import BrokerSettings, BusClient


def serve(client: BusClient, lines: IO[str], answers: IO[str]) -> None:
    """Gather each round's messages and publish them when told."""
    round_: list[tuple[str, bytes, str]] = []
    for line in lines:
        word = json.loads(line)
        if word != "go":
            round_.append((word["topic"], word["payload"].encode(), word["reply"]))
            continue
        moments = []
        for topic, payload, reply in round_:
            moments.append(time.perf_counter())
            client.publish(topic, payload, expiry=30, timeout=None, response_topic=reply)
        answers.write(json.dumps(moments) + "\n")
        answers.flush()
        round_ = []


class BurstSender:
    """The bench's handle on the sender process."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.burst_sender", host, str(port), user, password],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the burst sender did not connect to the broker")

    def send(self, messages: list[tuple[str, str, str]]) -> list[float]:
        """Publish the messages (topic, payload, reply topic) at once from the other process; when each went."""
        assert self.process.stdin is not None and self.process.stdout is not None
        for topic, payload, reply in messages:
            self.process.stdin.write(json.dumps({"topic": topic, "payload": payload, "reply": reply}) + "\n")
        self.process.stdin.write('"go"\n')
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the burst sender stopped")
        return json.loads(line)

    def close(self) -> None:
        """End the sender (its input closes) and wait for it."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main(argv: list[str]) -> None:
    """Connect, say ready, serve until the input ends."""
    host, port, user, password = argv
    client = BusClient(BrokerSettings(host, int(port), user, password, client_id=f"burst-{user}"))
    client.start()
    client.wait_connected(10)
    print("ready", flush=True)
    try:
        serve(client, sys.stdin, sys.stdout)
    finally:
        client.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
