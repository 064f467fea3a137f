"""`scripts/develop`: a ready-to-use Home Assistant next to the virtual projector."""
