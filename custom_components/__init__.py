"""Custom integrations (the repository layout Home Assistant and HACS expect)."""
