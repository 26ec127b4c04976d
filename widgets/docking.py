"""Bringing a panel to the front wherever the user docked, tabbed or floated it."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QWidget


def raise_dock_of(widget: QWidget) -> None:
    """Show and raise the dock (or tab) that holds `widget`; nothing when it is not in a dock."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QDockWidget):
        parent = parent.parentWidget()
    if parent is not None:
        parent.show()
        parent.raise_()
