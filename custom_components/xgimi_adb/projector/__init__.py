"""XGIMI projector device layer (no Home Assistant imports)."""
