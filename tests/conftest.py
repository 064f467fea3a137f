"""Fixtures shared by every test.

Importing the integration here makes the repository's `custom_components` package the one Home
Assistant loads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
import pytest

from custom_components.xgimi_adb.const import DOMAIN
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
