"""A loopback Bemfa (巴法云) cloud for tests: see README.md."""

from .emulator import DEFAULT_KEY, MQTT, TCP, BemfaEmulator, Faults, Packet, Topic

__all__ = ["DEFAULT_KEY", "MQTT", "TCP", "BemfaEmulator", "Faults", "Packet", "Topic"]
