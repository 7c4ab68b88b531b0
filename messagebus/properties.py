"""MQTT 5 PUBLISH properties, written and read without paho's per-message cost.

paho's Properties builds its name and type tables anew for every instance and checks every
attribute against them by looping over the names: about 30 microseconds to write a message's
properties and 50 to read them, on the network thread that lockd's decisions share an
interpreter with. A flood of junk pays that on every message. Writing here packs the three
properties lockd sends by hand (MQTT 5 section 3.3.2.3); reading keeps paho's decoder but shares
its tables and looks names up in a dictionary. Both give exactly what paho's own would
(tests/test_messagebus.py compares them).
"""

from __future__ import annotations

from types import ModuleType

from paho.mqtt.exception import MQTTException
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties, VariableByteIntegers, writeBytes, writeInt32, writeUTF

paho_packets: ModuleType | None
try:  # paho's private packet module: pyproject.toml pins paho to the releases tests/test_messagebus.py checks
    import paho.mqtt._packet as paho_packets
except ImportError:  # a paho without it: its own (slower) reader stays
    paho_packets = None

MESSAGE_EXPIRY, RESPONSE_TOPIC, CORRELATION_DATA = 2, 8, 9  # MQTT 5 property identifiers
REPEATABLE = {11, 38}  # subscription identifier, user property: kept as lists, as paho does
RANGE_CHECKED = {
    "ReceiveMaximum",
    "TopicAlias",
    "TopicAliasMaximum",
    "MaximumPacketSize",
    "SubscriptionIdentifier",
    "RequestResponseInformation",
    "RequestProblemInformation",
    "PayloadFormatIndicator",
}
_TABLES = Properties(PacketTypes.PUBLISH)  # paho's tables, built once
_NAMES = {identifier: name.replace(" ", "") for name, identifier in _TABLES.names.items()}


class PackedProperties(Properties):
    """PUBLISH properties already packed: paho only asks an outgoing message's properties to pack()."""

    packed: bytes

    def __init__(self, packed: bytes) -> None:  # no super().__init__(): its tables are what this avoids
        object.__setattr__(self, "packetType", PacketTypes.PUBLISH)
        object.__setattr__(self, "packed", packed)

    def pack(self) -> bytes:
        """The properties as they go on the wire."""
        return self.packed

    def __str__(self) -> str:
        """For paho's log."""
        return f"[{len(self.packed)} bytes of properties]"


def publish_properties(expiry: int | None, response_topic: str | None, correlation: bytes | None) -> Properties | None:
    """Message expiry, response topic and correlation data, packed; None when there are none."""
    body = b""
    if expiry is not None:
        body += bytes([MESSAGE_EXPIRY]) + writeInt32(expiry)
    if response_topic is not None:
        body += bytes([RESPONSE_TOPIC]) + writeUTF(response_topic)
    if correlation is not None:
        body += bytes([CORRELATION_DATA]) + writeBytes(correlation)
    return PackedProperties(VariableByteIntegers.encode(len(body)) + body) if body else None


class SharedTableProperties(Properties):
    """paho's Properties for incoming packets, on tables built once and with names found by dictionary."""

    def __init__(self, packetType: int) -> None:
        for name in ("types", "names", "properties"):
            object.__setattr__(self, name, getattr(_TABLES, name))
        object.__setattr__(self, "packetType", packetType)

    def unpack(self, buffer: bytes) -> tuple[Properties, int]:
        """Read the properties of a packet, as paho's unpack does (same errors for the same faults)."""
        length, length_bytes = VariableByteIntegers.decode(buffer)
        buffer, left = buffer[length_bytes:], length
        while left > 0:
            identifier, used = VariableByteIntegers.decode(buffer)
            buffer, left = buffer[used:], left - used
            value, used = self.readProperty(buffer, self.properties[identifier][0], left)
            buffer, left = buffer[used:], left - used
            self._keep(identifier, value)
        return self, length + length_bytes

    def _keep(self, identifier: int, value: object) -> None:
        """Set one property read from the wire, refusing a repeated one and one this packet type may not carry."""
        name = _NAMES[identifier]
        if self.packetType not in self.properties[identifier][1]:
            raise MQTTException(f"Property {name} does not apply to packet type {PacketTypes.Names[self.packetType]}")
        if identifier in REPEATABLE:
            object.__setattr__(self, name, [*self.__dict__.get(name, []), value])
        elif name in self.__dict__:
            raise MQTTException(f"Property '{name}' must not exist more than once")
        elif name in RANGE_CHECKED:
            setattr(self, name, value)  # paho's own setter, which refuses a value out of range
        else:
            object.__setattr__(self, name, value)


def read_properties_cheaply() -> bool:
    """Have paho's packet decoder read properties with SharedTableProperties (process-wide; idempotent); False where
    this paho has no such decoder to change, and its own reader stays."""
    if paho_packets is None or not hasattr(paho_packets, "Properties"):
        return False
    setattr(paho_packets, "Properties", SharedTableProperties)  # noqa: B010 (a name mypy cannot see on ModuleType)
    return True
