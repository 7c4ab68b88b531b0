"""The stand-in platform: a real HTTP server and MQTT publisher holding members, plans,
reservations and keys, speaking the contract in docs/platform-api.md."""
