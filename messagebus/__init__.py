"""The message bus seam: an MQTT 5 client (paho-mqtt v2), the only module that touches paho."""

from messagebus.client import BrokerSettings, BusClient, Inbound, Later, LoginAnswer, Will, try_login
from messagebus.presence import Presence

__all__ = ["BrokerSettings", "BusClient", "Inbound", "Later", "LoginAnswer", "Presence", "Will", "try_login"]
