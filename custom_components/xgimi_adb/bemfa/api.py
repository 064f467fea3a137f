"""Bemfa's topic-management HTTP API (the late-2024 endpoints), best effort only.

It changed at least twice and broke other bridges each time, so the bridge never depends on it:
a failure here becomes a repair issue telling the user to create the topic in the console.
Codes: 0 ok, 40006 already exists (fine), 40007 rate limited, anything else a failure. Error
messages never contain the private key (it travels in the query string and form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import BemfaApiError
from .link import Protocol

LIST_URL = "https://apis.bemfa.com/va/alltopic"
CREATE_URL = "https://pro.bemfa.com/v1/addtopic"
RENAME_URL = "https://apis.bemfa.com/va/setName"
PATHS = {LIST_URL: "/va/alltopic", CREATE_URL: "/v1/addtopic", RENAME_URL: "/va/setName"}

# The console of each protocol has its own topics (1 = MQTT, 3 = TCP).
PROTOCOL_TYPES = {Protocol.MQTT: 1, Protocol.TCP: 3}
CODE_OK, CODE_EXISTS, CODE_RATE_LIMITED = 0, 40006, 40007
TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the bridge wants, with the name Xiao Ai should hear."""

    topic: str
    name: str


class BemfaApi:
    """List, create and rename topics of one private key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        key: str,
        protocol: Protocol,
        base: str | None = None,
    ) -> None:
        """Use `session`; `base` (e.g. an emulator's URL) replaces Bemfa's hosts."""
        self._session, self._key = session, key
        self._type = PROTOCOL_TYPES[protocol]
        self._base = base.rstrip("/") if base else None

    def _url(self, url: str) -> str:
        return f"{self._base}{PATHS[url]}" if self._base else url

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with self._session.request(
                method, self._url(url), timeout=aiohttp.ClientTimeout(total=TIMEOUT), **kwargs
            ) as response:
                if response.status != 200:
                    raise BemfaApiError(f"{PATHS[url]}: HTTP {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            # str(err) of aiohttp errors may include the URL, whose query holds the key.
            raise BemfaApiError(f"{PATHS[url]}: {type(err).__name__}") from err
        code = body.get("code") if isinstance(body, dict) else None
        if code not in (CODE_OK, CODE_EXISTS):
            hint = " (rate limited)" if code == CODE_RATE_LIMITED else ""
            raise BemfaApiError(f"{PATHS[url]}: code {code}{hint}")
        return body

    async def list_topics(self) -> dict[str, str]:
        """Topic -> name of every topic of the key in this protocol's console."""
        body = await self._call("GET", LIST_URL, params={"uid": self._key, "type": self._type})
        data = body.get("data")
        if not isinstance(data, list):
            raise BemfaApiError(f"{PATHS[LIST_URL]}: no topic list in the reply")
        return {
            str(item["topic"]): str(item.get("name") or "")
            for item in data
            if isinstance(item, dict) and "topic" in item
        }

    async def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic with its name (an existing one counts as created)."""
        await self._call("POST", CREATE_URL, data=self._form(spec))

    async def rename_topic(self, spec: TopicSpec) -> None:
        """Set the name Mi Home shows and Xiao Ai hears."""
        await self._call("POST", RENAME_URL, data=self._form(spec))

    def _form(self, spec: TopicSpec) -> dict[str, str | int]:
        return {"uid": self._key, "topic": spec.topic, "type": self._type, "name": spec.name}

    async def ensure_topics(self, specs: list[TopicSpec]) -> None:
        """Create missing topics and rename those whose name differs (one call each)."""
        existing = await self.list_topics()
        for spec in specs:
            if spec.topic not in existing:
                await self.create_topic(spec)
            elif existing[spec.topic] != spec.name:
                await self.rename_topic(spec)
