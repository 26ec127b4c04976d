"""Launcher package of the packaged QDesk desktop app (briefcase starts `python -m qdesk`)."""
