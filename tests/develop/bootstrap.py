"""Make a fresh Home Assistant (started by `scripts/develop`) usable without clicking.

Everything goes through Home Assistant's public HTTP and websocket APIs, the way the frontend
does it, never by writing `.storage` files:

1. onboarding: the demo user (`/api/onboarding/users`), then the core config, analytics and
   integration steps; on later runs, a normal login as the demo user instead;
2. the integration, through its real config flow (`/api/config/config_entries/flow`): the address
   of the virtual projector, then the pairing progress step until the projector accepted the key;
3. a dashboard with the projector (media control card, source selector, remote key pad).

Run again on the same config directory, each step notices it is done and skips it.

    python -m tests.develop.bootstrap --port 8123 --adb-port 5590
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
import itertools
import logging
import sys
from typing import Any, cast

import aiohttp

_LOGGER = logging.getLogger("develop")

# custom_components.xgimi_adb.const.DOMAIN; importing it would load Home Assistant in this client.
DOMAIN = "xgimi_adb"
DEMO_NAME = "Demo"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-demo"  # noqa: S105 - a documented local demo account, loopback only
DASHBOARD_URL_PATH = "xgimi-projector"
DASHBOARD_VIEW_PATH = "projector"
PROJECTOR_HOST = "127.0.0.1"

START_TIMEOUT = 300.0  # Home Assistant's first start on a busy 2-core machine
REQUEST_TIMEOUT = 60.0
PAIRING_TIMEOUT = 120.0  # the flow's own pairing limit is 60 s, plus reading the device facts
ENTITY_TIMEOUT = 60.0

# The remote key pad: (label, icon, key name from the integration's key catalog), row by row.
KEY_PAD: tuple[tuple[str, str, str], ...] = (
    ("Back", "mdi:arrow-u-left-top", "back"),
    ("Up", "mdi:chevron-up", "up"),
    ("Home", "mdi:home", "home"),
    ("Left", "mdi:chevron-left", "left"),
    ("OK", "mdi:circle-outline", "ok"),
    ("Right", "mdi:chevron-right", "right"),
    ("Volume down", "mdi:volume-minus", "volume_down"),
    ("Down", "mdi:chevron-down", "down"),
    ("Volume up", "mdi:volume-plus", "volume_up"),
)


class BootstrapError(Exception):
    """Home Assistant answered something this script cannot continue from."""


@dataclass(frozen=True)
class Projector:
    """What the dashboard needs to know about the configured projector."""

    entry_id: str
    device_id: str
    media_player: str
    remote: str


class HomeAssistantApi:
    """REST and websocket calls as one logged-in user."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to the Home Assistant at `base_url` (no trailing slash)."""
        self.session = session
        self.base_url = base_url
        self.client_id = f"{base_url}/"
        self.access_token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    # -- REST --------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        auth: bool = True,
        ok: tuple[HTTPStatus, ...] = (HTTPStatus.OK,),
    ) -> Any:
        """Send one request; return the decoded JSON answer, None if not JSON; raise on errors."""
        headers = {}
        if auth:
            assert self.access_token is not None, "log in first"
            headers["Authorization"] = f"Bearer {self.access_token}"
        async with self.session.request(
            method,
            self.base_url + path,
            json=json,
            data=form,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as response:
            text = await response.text()
            if response.status not in ok:
                raise BootstrapError(f"{method} {path}: HTTP {response.status}: {text[:500]}")
            if response.content_type != "application/json":
                return None  # e.g. aiohttp's plain "404: Not Found"
            return await response.json()

    async def wait_until_up(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the HTTP server answers at all: Home Assistant has finished starting."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    async with self.session.get(
                        f"{self.base_url}/auth/providers",
                        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
                    ):
                        return  # 200, or 400 "onboarding required": either way it is up
                except aiohttp.ClientError, TimeoutError:
                    await asyncio.sleep(1)

    async def fetch_tokens(self, code: str) -> None:
        """Exchange an authorization code for an access token (OAuth2, as the frontend does)."""
        tokens = await self.request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        self.access_token = tokens["access_token"]

    # -- websocket ---------------------------------------------------------------------------

    async def ws_command(self, command: str, **fields: Any) -> Any:
        """Send one websocket command; return its result."""
        if self._ws is None:
            self._ws = await self._ws_connect()
        message_id = next(self._ids)
        await self._ws.send_json({"id": message_id, "type": command, **fields})
        async with asyncio.timeout(REQUEST_TIMEOUT):
            while True:
                answer = await self._ws.receive_json()
                if answer.get("id") == message_id:
                    break
        if not answer.get("success"):
            raise BootstrapError(f"{command}: {answer.get('error')}")
        return answer.get("result")

    async def _ws_connect(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(
            self.base_url.replace("http", "ws", 1) + "/api/websocket",
            timeout=aiohttp.ClientWSTimeout(ws_receive=REQUEST_TIMEOUT),
        )
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": self.access_token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise BootstrapError(f"websocket login failed: {answer}")
        return ws

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()


# -- 1. onboarding or login ------------------------------------------------------------------


async def onboard_or_log_in(api: HomeAssistantApi) -> None:
    """Finish onboarding as the demo user, or log in as it when onboarding is done."""
    # Once onboarding is complete, its API is not registered any more (404).
    steps = await api.request(
        "GET", "/api/onboarding", auth=False, ok=(HTTPStatus.OK, HTTPStatus.NOT_FOUND)
    )
    done = {step["step"] for step in steps if step["done"]} if isinstance(steps, list) else None
    if done is None:
        await log_in(api, DEMO_USERNAME, DEMO_PASSWORD)
        _LOGGER.info("onboarding: done before, logged in as %r", DEMO_USERNAME)
        return
    if "user" in done:
        await log_in(api, DEMO_USERNAME, DEMO_PASSWORD)
    else:
        _LOGGER.info("onboarding: creating the demo user %r", DEMO_USERNAME)
        answer = await api.request(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": api.client_id,
                "name": DEMO_NAME,
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
                "language": "en",
            },
            auth=False,
        )
        await api.fetch_tokens(answer["auth_code"])
    # The steps the frontend's onboarding wizard finishes after the user step.
    if "core_config" not in done:
        await api.request("POST", "/api/onboarding/core_config", json={})
    if "analytics" not in done:
        # Analytics stays off: nothing is ever sent (preferences are not touched).
        await api.request("POST", "/api/onboarding/analytics", json={})
    if "integration" not in done:
        await api.request(
            "POST",
            "/api/onboarding/integration",
            json={"client_id": api.client_id, "redirect_uri": f"{api.client_id}?auth_callback=1"},
        )
    _LOGGER.info("onboarding: done, logged in as %r", DEMO_USERNAME)


async def confirm_http_config(api: HomeAssistantApi) -> None:
    """Confirm the `http:` settings from configuration.yaml, as the frontend's dialog would.

    Home Assistant (2026.10) moves them into storage as a trial on the first start and, unless
    someone confirms them within 5 minutes, restarts on its default port on all interfaces.
    """
    config = await api.ws_command("http/config")
    if config["pending"] is not None and config["active_config_type"] == "pending":
        await api.ws_command("http/config/promote")
        _LOGGER.info("http: confirmed port %s", config["pending"]["server_port"])


async def log_in(api: HomeAssistantApi, username: str, password: str) -> None:
    """Log in through the login flow of the Home Assistant auth provider."""
    flow = await api.request(
        "POST",
        "/auth/login_flow",
        json={
            "client_id": api.client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": f"{api.client_id}?auth_callback=1",
        },
        auth=False,
    )
    result = await api.request(
        "POST",
        f"/auth/login_flow/{flow['flow_id']}",
        json={"client_id": api.client_id, "username": username, "password": password},
        auth=False,
    )
    if result.get("type") != "create_entry":
        raise BootstrapError(
            f"cannot log in as {username!r} ({result.get('errors')}); this config directory "
            "was onboarded with another user: use a fresh XGIMI_DEVELOP_CONFIG"
        )
    await api.fetch_tokens(result["result"])


# -- 2. the integration, through its config flow ----------------------------------------------


async def configure_projector(api: HomeAssistantApi, adb_port: int) -> str:
    """Add the virtual projector through the real config flow unless it works; entry id.

    An entry that does not load (the virtual projector moved to another port) goes through the
    flow again, which updates its address.
    """
    entry = await _find_entry(api)
    async with asyncio.timeout(ENTITY_TIMEOUT):
        while entry is not None and entry["state"] in ("not_loaded", "setup_in_progress"):
            await asyncio.sleep(1)  # Home Assistant is still setting it up
            entry = await _find_entry(api)
    if entry is not None and entry["state"] == "loaded":
        _LOGGER.info("integration: already configured (%s)", entry["title"])
        return cast("str", entry["entry_id"])
    _LOGGER.info("integration: config flow for %s:%s", PROJECTOR_HOST, adb_port)
    result = await api.request(
        "POST",
        "/api/config/config_entries/flow",
        json={"handler": DOMAIN, "show_advanced_options": False},
    )
    flow_path = f"/api/config/config_entries/flow/{result['flow_id']}"
    result = await api.request("POST", flow_path, json={"host": PROJECTOR_HOST, "port": adb_port})
    async with asyncio.timeout(PAIRING_TIMEOUT):
        while result["type"] == "progress":
            # The "Allow USB debugging?" prompt is on the (virtual) projector's screen.
            _LOGGER.info("integration: waiting for the projector to accept the key")
            await asyncio.sleep(1)
            result = await api.request("GET", flow_path)
    # `already_configured`: the entry existed but did not load; the flow updated its address.
    updated = result["type"] == "abort" and result.get("reason") == "already_configured"
    if result["type"] != "create_entry" and not updated:
        raise BootstrapError(f"the config flow ended in {result}")
    entry = await _find_entry(api)
    if entry is None:
        raise BootstrapError("the config flow finished but no entry exists")
    _LOGGER.info("integration: configured %s", entry["title"])
    return cast("str", entry["entry_id"])


async def _find_entry(api: HomeAssistantApi) -> dict[str, Any] | None:
    entries = await api.request("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    return cast("dict[str, Any]", entries[0]) if entries else None


async def find_projector(api: HomeAssistantApi, entry_id: str) -> Projector:
    """Wait for the entry's media player and remote entities; return their ids."""
    async with asyncio.timeout(ENTITY_TIMEOUT):
        while True:
            entities = await api.ws_command("config/entity_registry/list")
            mine = {
                entity["entity_id"].partition(".")[0]: entity
                for entity in entities
                if entity["config_entry_id"] == entry_id
            }
            if "media_player" in mine and "remote" in mine:
                return Projector(
                    entry_id=entry_id,
                    device_id=mine["media_player"]["device_id"],
                    media_player=mine["media_player"]["entity_id"],
                    remote=mine["remote"]["entity_id"],
                )
            await asyncio.sleep(1)


# -- 3. the dashboard ----------------------------------------------------------------------------


def dashboard_config(projector: Projector) -> dict[str, Any]:
    """Media control card, source selector (tile card feature) and a key pad."""
    key_buttons = [
        {
            "type": "button",
            "name": label,
            "icon": icon,
            "show_state": False,
            "tap_action": {
                "action": "perform-action",
                "perform_action": "remote.send_command",
                "target": {"entity_id": projector.remote},
                "data": {"command": key},
            },
        }
        for label, icon, key in KEY_PAD
    ]
    return {
        "title": "XGIMI projector",
        "views": [
            {
                "title": "Projector",
                "path": DASHBOARD_VIEW_PATH,
                "icon": "mdi:projector",
                "cards": [
                    {"type": "media-control", "entity": projector.media_player},
                    {
                        "type": "tile",
                        "entity": projector.media_player,
                        "name": "Source",
                        "vertical": False,
                        "features": [
                            {"type": "media-player-source"},
                            {"type": "media-player-volume-slider"},
                        ],
                    },
                    {
                        "type": "grid",
                        "title": "Remote",
                        "columns": 3,
                        "square": False,
                        "cards": key_buttons,
                    },
                ],
            }
        ],
    }


async def save_dashboard(api: HomeAssistantApi, projector: Projector) -> None:
    """Create the dashboard unless it exists, then (re)write its cards for this projector."""
    dashboards = await api.ws_command("lovelace/dashboards/list")
    if not any(board["url_path"] == DASHBOARD_URL_PATH for board in dashboards):
        await api.ws_command(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_URL_PATH,
            title="Projector",
            icon="mdi:projector",
            show_in_sidebar=True,
            require_admin=False,
        )
    await api.ws_command(
        "lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=dashboard_config(projector)
    )
    _LOGGER.info("dashboard: %s/%s/%s", api.base_url, DASHBOARD_URL_PATH, DASHBOARD_VIEW_PATH)


# -- entry point -----------------------------------------------------------------------------------


async def bootstrap(port: int, adb_port: int) -> Projector:
    """Onboard (or log in), configure the projector, save the dashboard."""
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, f"http://127.0.0.1:{port}")
        try:
            await api.wait_until_up()
            await onboard_or_log_in(api)
            await confirm_http_config(api)
            entry_id = await configure_projector(api, adb_port)
            projector = await find_projector(api, entry_id)
            await save_dashboard(api, projector)
        finally:
            await api.close()
    return projector


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; the exit code says whether everything is set up."""
    parser = argparse.ArgumentParser(prog="python -m tests.develop.bootstrap")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant HTTP port")
    parser.add_argument("--adb-port", type=int, default=5590, help="virtual projector ADB port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="develop: %(message)s", stream=sys.stdout)
    _LOGGER.info(
        "log in as user %r, password %r (a local demo account; waiting for Home Assistant)",
        DEMO_USERNAME,
        DEMO_PASSWORD,
    )
    try:
        projector = asyncio.run(bootstrap(args.port, args.adb_port))
    except (BootstrapError, aiohttp.ClientError, TimeoutError) as err:
        _LOGGER.error("setup failed: %s", str(err) or type(err).__name__)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while Home Assistant starts
        return 130
    base = f"http://127.0.0.1:{args.port}"
    _LOGGER.info(
        "ready: %s/%s/%s (user %r, password %r); projector %s, remote %s, device %s/config/devices/device/%s",
        base,
        DASHBOARD_URL_PATH,
        DASHBOARD_VIEW_PATH,
        DEMO_USERNAME,
        DEMO_PASSWORD,
        projector.media_player,
        projector.remote,
        base,
        projector.device_id,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
