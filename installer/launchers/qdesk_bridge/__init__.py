"""Launcher package of the packaged QDesk Bridge tray app (briefcase starts `python -m qdesk_bridge`)."""
