"""Tests for the XGIMI projector (ADB) integration."""
