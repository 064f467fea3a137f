"""One reconnecting connection per private key, shared by every topic of that key.

On every (re)connect it subscribes to all topics and republishes every known state, so a
broker restart or a network drop loses no subscription. Reconnects back off exponentially up to
a cap; a refused key backs off at the cap (retrying fast could get the account locked).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import logging
import random
import time

from .errors import BemfaAuthError, BemfaError
from .mqtt import MqttConnection
from .tcp import TcpConnection
from .transport import Connection, MessageCallback

_LOGGER = logging.getLogger(__name__)


class Protocol(StrEnum):
    """How the bridge talks to Bemfa."""

    MQTT = "mqtt"
    TCP = "tcp"


DEFAULT_HOST = "bemfa.com"
DEFAULT_PORTS = {Protocol.MQTT: 9501, Protocol.TCP: 8344}


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Where and how to connect; the timings are overridable for tests."""

    key: str
    protocol: Protocol = Protocol.MQTT
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORTS[Protocol.MQTT]
    keepalive: int = 60  # MQTT keepalive; the TCP heartbeat is half of it
    timeout: float = 10.0  # connect, acknowledgements
    backoff_min: float = 5.0
    backoff_max: float = 300.0
    republish_interval: float = 600.0  # keep Bemfa's stored state fresh


async def async_open(settings: LinkSettings) -> Connection:
    """Open an authenticated connection with `settings` (raises the typed errors)."""
    if settings.protocol is Protocol.TCP:
        return await TcpConnection.open(
            settings.host,
            settings.port,
            settings.key,
            heartbeat=settings.keepalive / 2,
            timeout=settings.timeout,
        )
    return await MqttConnection.open(
        settings.host,
        settings.port,
        settings.key,
        keepalive=settings.keepalive,
        timeout=settings.timeout,
    )


async def async_check_key(settings: LinkSettings, topic: str) -> None:
    """Connect once and subscribe to `topic` (TCP only checks the key there), then close."""
    connection = await async_open(settings)
    try:
        runner = asyncio.create_task(connection.run(lambda _topic, _payload: None))
        try:
            await connection.subscribe([topic])
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
    finally:
        await connection.close()


class BemfaLink:
    """A long-lived connection: topics routed to handlers, states reported and replayed."""

    def __init__(self, settings: LinkSettings) -> None:
        """Prepare the link; nothing connects before `start()`."""
        self.settings = settings
        self._handlers: dict[str, MessageCallback] = {}
        self._states: dict[str, str] = {}
        self._connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[bool], None]] = []
        self._resubscribe = asyncio.Event()
        self.connected = False
        self._established = False
        self._failing = False
        self.auth_failed = False
        self.last_error: str | None = None

    # -- topics and listeners ------------------------------------------------------------------

    def add_topic(self, topic: str, handler: MessageCallback) -> None:
        """Route commands on `topic` to `handler` (subscribed at once when connected)."""
        self._handlers[topic] = handler
        self._resubscribe.set()

    def remove_topic(self, topic: str) -> None:
        """Stop routing `topic` (the subscription ends with the connection)."""
        self._handlers.pop(topic, None)
        self._states.pop(topic, None)

    @property
    def topics(self) -> list[str]:
        """Topics routed by this link."""
        return list(self._handlers)

    def add_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Call `listener(connected)` on every change; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background and keep reconnecting."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="bemfa link")

    async def stop(self) -> None:
        """Close the connection and stop reconnecting."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
        self._set_connected(False)

    async def report(self, topic: str, payload: str) -> None:
        """Report a state to `topic/set` now if connected; it is replayed on every reconnect."""
        self._states[topic] = payload
        connection = self._connection
        if connection is None or not self.connected:
            return
        try:
            await connection.report(topic, payload)
        except BemfaError as err:
            _LOGGER.debug("state report for %s failed (replayed on reconnect): %s", topic, err)

    # -- the connection loop ---------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.settings.backoff_min
        while True:
            self._established = False
            try:
                await self._session()
            except BemfaAuthError as err:
                # Logged once; retried rarely (fast retries could get the account locked).
                level = logging.DEBUG if self.auth_failed else logging.ERROR
                _LOGGER.log(level, "Bemfa refused the private key: %s", err)
                self.auth_failed, self.last_error = True, str(err)
                delay = self.settings.backoff_max
            except BemfaError as err:
                # Once per outage at info level; every further attempt at debug.
                level = logging.DEBUG if self._failing and not self._established else logging.INFO
                _LOGGER.log(level, "Bemfa unreachable or connection lost, retrying: %s", err)
                self.last_error, self._failing = str(err), True
            finally:
                self._connection = None
                self._set_connected(False)
            if self._established and not self.auth_failed:
                delay = self.settings.backoff_min  # it worked: a fresh drop retries soon
            await self._wait(delay * random.uniform(0.8, 1.0))  # jitter: not all at once
            delay = min(delay * 2, self.settings.backoff_max)

    async def _wait(self, delay: float) -> None:
        """Sleep between attempts (a method so tests can record the delays)."""
        await asyncio.sleep(delay)

    async def _session(self) -> None:
        connection = await async_open(self.settings)
        self._connection = connection
        reader = asyncio.create_task(connection.run(self._dispatch))
        try:
            await self._subscribe_and_replay(connection)
            self.auth_failed, self.last_error = False, None
            self._established, self._failing = True, False
            self._set_connected(True)
            _LOGGER.info(
                "Connected to Bemfa (%s), %d topics", self.settings.protocol, len(self._handlers)
            )
            await self._serve(connection, reader)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await connection.close()

    async def _subscribe_and_replay(self, connection: Connection) -> None:
        self._resubscribe.clear()
        if self._handlers:
            await connection.subscribe(list(self._handlers))
        for topic, payload in list(self._states.items()):
            await connection.report(topic, payload)

    async def _serve(self, connection: Connection, reader: asyncio.Task[None]) -> None:
        """Wait for the reader to end; resubscribe on new topics; republish periodically."""
        next_republish = time.monotonic() + self.settings.republish_interval
        while True:
            waiter = asyncio.create_task(self._resubscribe.wait())
            timeout = max(0.0, next_republish - time.monotonic())
            try:
                done, _ = await asyncio.wait(
                    (reader, waiter), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                waiter.cancel()
            if reader in done:
                reader.result()  # raises why the connection ended
                return
            if time.monotonic() >= next_republish:
                next_republish = time.monotonic() + self.settings.republish_interval
            await self._subscribe_and_replay(connection)

    def _dispatch(self, topic: str, payload: str) -> None:
        handler = self._handlers.get(topic)
        if handler is None:
            _LOGGER.debug("message on unrouted topic %s ignored", topic)
            return
        handler(topic, payload)

    def _set_connected(self, connected: bool) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        for listener in list(self._listeners):
            listener(connected)
