"""Constants for the XGIMI projector (ADB) integration."""

from typing import Final

DOMAIN: Final = "xgimi_adb"
