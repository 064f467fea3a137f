"""Bemfa (巴法云) client: the cloud that makes the projector a Xiao Ai (小爱同学) switch.

Plain asyncio, no Home Assistant imports and no third-party packages: a minimal MQTT 3.1.1
client (`mqtt.py`), Bemfa's TCP line protocol (`tcp.py`), a reconnecting link shared by every
topic of one private key (`link.py`), the latest-wins command queue (`commands.py`), topic and
payload rules (`topics.py`) and the best-effort topic API over HTTP (`api.py`).
"""
