"""A person in a real browser (Debian's headless Chromium) uses what `scripts/develop` sets up.

Logs in as the demo user, turns the projector on from the media control card, picks HDMI 1 in the
source selector, presses keys on the remote pad; after each action the virtual projector (asked
through its control socket) must have received it and the page must show the new state. A person
with the physical remote starts playback, and the page follows. Then the pairing step of the
config flow, shown while the "Allow USB debugging?" prompt waits on the projector.

Screenshots go to the test's temporary directory; with XGIMI_UPDATE_SCREENSHOTS=1 they replace
the ones in docs/screenshots/ that the README's setup walkthrough shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import os
from pathlib import Path
import re
import shutil
from typing import Any

from playwright.async_api import Page, async_playwright, expect
import pytest
import pytest_socket

from custom_components.xgimi_adb.const import DOMAIN
from tests.develop.bootstrap import DEMO_PASSWORD, DEMO_USERNAME
from tests.develop.harness import ROOT, Develop, unexpected_exceptions
from tests.virtual_projector.__main__ import control_request

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `scripts/setup` installs it, nothing downloads
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
UI_TIMEOUT_MS = 60_000  # the frontend's first load and a 15 s poll while the projector is off
DEVICE_TIMEOUT_S = 60.0
KEYCODE_HOME = 3
KEYCODE_RIGHT = 22
APP = "com.ktcp.video"  # 云视听极光, installed on the virtual GMUI projector


@pytest.fixture
def control_socket_allowed(socket_enabled: None) -> None:
    """Loopback TCP, plus Unix sockets: the virtual projector's control socket is one."""
    pytest_socket.socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)


async def projector_state(develop: Develop) -> dict[str, Any]:
    """Ask the virtual projector what it shows and received (its `state` control command)."""
    state: dict[str, Any] = json.loads(await control_request(develop.projector_state_dir, "state"))
    return state


async def ctl(develop: Develop, line: str) -> None:
    """Act on the projector as the person with the physical remote."""
    answer = await control_request(develop.projector_state_dir, line)
    assert not answer.startswith(("error", "unknown")), answer


async def wait_for_projector(
    develop: Develop, condition: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Poll the projector until `condition` holds; fail with its last state."""
    state: dict[str, Any] = {}
    try:
        async with asyncio.timeout(DEVICE_TIMEOUT_S):
            while not condition(state := await projector_state(develop)):
                await asyncio.sleep(0.5)
    except TimeoutError:
        pytest.fail(f"the projector never got {what}; last state {state}")
    return state


async def log_in(page: Page, url: str) -> None:
    """Open `url`; Home Assistant sends the browser to its login page first."""
    await page.goto(url)
    await page.locator("input[name=username]").fill(DEMO_USERNAME)
    await page.locator("input[name=password]").fill(DEMO_PASSWORD)
    await page.locator("input[name=password]").press("Enter")
    await page.wait_for_url(url)


async def test_dashboard_controls_the_virtual_projector(
    control_socket_allowed: None, tmp_path: Path
) -> None:
    """Power, source and remote keys from the dashboard reach the projector and show on the page."""
    assert shutil.which(CHROMIUM), "Debian's chromium is missing: run `bash scripts/setup`"
    update_docs = os.environ.get("XGIMI_UPDATE_SCREENSHOTS") == "1"
    shots = DOCS_SCREENSHOTS if update_docs else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    async with Develop(tmp_path) as develop, async_playwright() as playwright:
        await ctl(develop, "power screen_off")  # start from a sleeping projector
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)
            await log_in(page, develop.dashboard_url)
            await use_dashboard(page, develop, shots)
            await page.goto(develop.device_url)
            await expect(page.get_by_text("XGIMI", exact=False).first).to_be_visible()
            await page.screenshot(path=shots / "device.png")
            await pair_in_config_flow(page, develop, shots)
        finally:
            await browser.close()
    assert not unexpected_exceptions(develop.log), develop.log[-5000:]


async def use_dashboard(page: Page, develop: Develop, shots: Path) -> None:
    """Use the three controls of the dashboard, then the physical remote."""
    tile_state = page.locator("hui-tile-card ha-tile-icon")
    source_menu = page.locator("hui-media-player-source-card-feature ha-control-select-menu")
    shown_source = source_menu.locator(".value")
    await expect(tile_state).to_have_attribute("data-state", re.compile("off|standby"))

    # Power: the media control card's button wakes the projector.
    await page.locator("hui-media-control-card ha-icon-button[action=turn_on]").click()
    await wait_for_projector(develop, lambda s: s.get("power") == "on", "woken up")
    await expect(tile_state).to_have_attribute("data-state", "idle")  # the launcher in front

    # Source: HDMI 1 from the tile card's source selector.
    await source_menu.click()
    await page.get_by_text("HDMI 1", exact=True).click()
    state = await wait_for_projector(develop, lambda s: s.get("input") == "HDMI1", "HDMI 1")
    await expect(shown_source).to_have_text("HDMI 1")
    await expect(tile_state).to_have_attribute("data-state", "on")
    await page.screenshot(path=shots / "dashboard.png")

    # Remote pad: Right is received as a key; Home leaves HDMI 1 for the launcher.
    received = len(state["keys"])
    await page.locator("hui-button-card", has_text="Right").click()
    await wait_for_projector(
        develop, lambda s: KEYCODE_RIGHT in s["keys"][received:], "the Right key"
    )
    await page.locator("hui-button-card", has_text="Home").click()
    state = await wait_for_projector(
        develop,
        lambda s: KEYCODE_HOME in s["keys"][received:] and s["input"] is None,
        "the Home key",
    )
    assert any(command.startswith("input keyevent") for command in state["commands"])
    await expect(tile_state).to_have_attribute("data-state", "idle")
    await expect(shown_source.filter(has_text="HDMI 1")).to_have_count(0)  # none, or the app

    # The person with the physical remote opens an app and starts a video: the page follows.
    await ctl(develop, f"app {APP}")
    await ctl(develop, "play")
    await expect(tile_state).to_have_attribute("data-state", "playing")
    await page.screenshot(path=shots / "dashboard-playing.png")


async def pair_in_config_flow(page: Page, develop: Develop, shots: Path) -> None:
    """Add the projector from the UI: its pairing step waits until the prompt is accepted."""
    prompts = (await projector_state(develop))["prompts"]
    await ctl(develop, "revoke")  # the next connection shows "Allow USB debugging?"
    await ctl(develop, "auth reject")  # ... and nobody answers it yet
    await page.goto(f"{develop.base_url}/config/integrations/dashboard/add?domain={DOMAIN}")
    await page.get_by_role("button", name="OK").click()  # "Do you want to set up ...?"
    dialog = page.locator("dialog-data-entry-flow")
    fields = dialog.locator("input")
    await fields.first.wait_for()
    await fields.nth(0).fill("127.0.0.1")
    await fields.nth(1).fill(str(develop.adb_port))
    await page.screenshot(path=shots / "config-flow-address.png")
    await dialog.get_by_role("button", name="Submit").click()
    await expect(dialog.get_by_text("Allow USB debugging?", exact=False)).to_be_visible()
    await wait_for_projector(develop, lambda s: s["prompts"] > prompts, "a key prompt")
    await page.screenshot(path=shots / "config-flow-pairing.png")
    await ctl(develop, "allow")  # the person taps Allow
    # Same projector (same serial number): the flow ends without a second entry.
    await expect(dialog.get_by_text("already configured", exact=False)).to_be_visible()
    await ctl(develop, "auth accept")
