"""Fixtures shared by every test.

Importing the integration here makes the repository's `custom_components` package the one Home
Assistant loads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb.const import DOMAIN
from tests.entities_common import Harness, make_fast, read_facts, seed_key
from tests.virtual_projector import VirtualProjector

assert DOMAIN == "xgimi_adb"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load this repository's integration in tests that start Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give every Home Assistant its own config directory (its own .storage and ADB key).

    The plugin's default is a directory inside site-packages shared by all tests and runs.
    """
    return hass_tmp_config_dir


@pytest.fixture(scope="session")
def adb_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate a 2048-bit ADB private key (with `.pub`), as `adb keygen` writes it."""
    path = tmp_path_factory.mktemp("adbkey") / "adbkey"
    keygen(str(path))
    return path


@pytest.fixture(scope="session")
def other_adb_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate a second, unrelated key: a computer the projector has never seen."""
    path = tmp_path_factory.mktemp("otherkey") / "adbkey"
    keygen(str(path))
    return path


@pytest.fixture
def adb_signer(adb_key_path: Path) -> PythonRSASigner:
    """adb-shell's signer for `adb_key_path`."""
    return PythonRSASigner.FromRSAKeyPath(str(adb_key_path))


@pytest.fixture
async def projector(socket_enabled: None, tmp_path: Path) -> AsyncIterator[VirtualProjector]:
    """Run a virtual GMUI (Android 11) projector on a free loopback port, nothing trusted yet."""
    async with VirtualProjector("gmui_android11", state_dir=tmp_path / "projector") as device:
        yield device


@pytest.fixture
async def trusted_projector(projector: VirtualProjector, adb_key_path: Path) -> VirtualProjector:
    """Return the virtual projector with `adb_key_path` already allowed ("Always allow")."""
    projector.keys.trust(Path(f"{adb_key_path}.pub").read_text())
    return projector


# -- the integration against a trusting projector (entity, service, diagnostics tests) ----------


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short time limits: the virtual projector answers in milliseconds."""
    make_fast(monkeypatch)


@pytest.fixture
def profile() -> str:
    """Firmware profile of `xgimi` (parametrize `profile` where it matters)."""
    return "gmui_android11"


@pytest.fixture
async def xgimi(
    profile: str, socket_enabled: None, tmp_path: Path, adb_key_path: Path
) -> AsyncIterator[VirtualProjector]:
    """Run a virtual projector of `profile` that trusts the session key."""
    async with VirtualProjector(profile, state_dir=tmp_path / "projector") as device:
        device.keys.trust(Path(f"{adb_key_path}.pub").read_text())
        yield device
        await device.drop_connections()


@pytest.fixture
async def harness(
    hass: HomeAssistant, xgimi: VirtualProjector, adb_key_path: Path, adb_signer: PythonRSASigner
) -> AsyncIterator[Harness]:
    """Make entries for `xgimi` with the session key as this Home Assistant's key."""
    seed_key(hass, adb_key_path)
    harness = Harness(hass, xgimi, await read_facts(xgimi, adb_signer))
    yield harness
    await harness.close()


@pytest.fixture
async def entry(harness: Harness) -> MockConfigEntry:
    """Load an entry with default options (shell commands not allowed) while the projector is on."""
    return await harness.load()
