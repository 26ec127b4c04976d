"""A labelled stand-in widget per dock, for tests about the main window's frame rather than its panels."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.docks import DOCKS


def stand_in_panels() -> dict[str, QWidget]:
    """A labelled widget per dock, for tests about the window's frame rather than the panels in it."""
    panels: dict[str, QWidget] = {}
    for spec in DOCKS:
        label = QLabel(spec.title)
        label.setObjectName(f"{spec.key}_stand_in")
        panels[spec.key] = label
    return panels
