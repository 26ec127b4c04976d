"""LayoutStore: keeps the main window's geometry and dock arrangement in a QSettings INI file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

# Bump when dock keys change: restoreState() then ignores an old layout instead of half-applying it.
LAYOUT_VERSION = 1
_GEOMETRY_KEY = "main_window/geometry"
_STATE_KEY = "main_window/state"


class LayoutStore:
    """Saves and restores one window's layout; the INI path is given, never looked up."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> Path:
        """The INI file this store writes."""
        return self._path

    def save(self, window: QMainWindow) -> None:
        """Write the window's geometry and dock state now (synced, so a crash later loses nothing)."""
        self._settings.setValue(_GEOMETRY_KEY, window.saveGeometry())
        self._settings.setValue(_STATE_KEY, window.saveState(LAYOUT_VERSION))
        self._settings.sync()

    def restore(self, window: QMainWindow) -> bool:
        """Apply a saved layout; False when there is none or it no longer fits the current docks."""
        geometry = self._settings.value(_GEOMETRY_KEY)
        state = self._settings.value(_STATE_KEY)
        if isinstance(geometry, QByteArray):
            window.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            return window.restoreState(state, LAYOUT_VERSION)
        return False
