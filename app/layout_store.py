"""LayoutStore: keeps the main window's geometry and dock arrangement, and named workspaces, in a QSettings INI."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

# Bump when dock keys change: restoreState() then ignores an old layout instead of half-applying it.
LAYOUT_VERSION = 1
_GEOMETRY_KEY = "main_window/geometry"
_STATE_KEY = "main_window/state"
_WORKSPACES = "workspaces"


class WorkspaceNameError(ValueError):
    """A workspace name the INI file cannot hold as a key."""


def workspace_name(text: str) -> str:
    """`text` as a workspace name; refused when empty, too long, or holding a path separator (INI groups)."""
    name = text.strip()
    if not name:
        raise WorkspaceNameError("a workspace needs a name")
    if len(name) > 40:
        raise WorkspaceNameError(f"workspace names are at most 40 characters: {name[:40]}…")
    if any(c in name for c in "/\\"):
        raise WorkspaceNameError(f"a workspace name cannot contain / or \\: {name}")
    return name


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

    # -- named workspaces ----------------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        """The saved workspace names, sorted."""
        self._settings.beginGroup(_WORKSPACES)
        try:
            return sorted(self._settings.childGroups())
        finally:
            self._settings.endGroup()

    def save_workspace(self, name: str, window: QMainWindow) -> None:
        """Keep the window's current arrangement under `name` (replacing one of that name)."""
        key = f"{_WORKSPACES}/{workspace_name(name)}"
        self._settings.setValue(f"{key}/geometry", window.saveGeometry())
        self._settings.setValue(f"{key}/state", window.saveState(LAYOUT_VERSION))
        self._settings.sync()

    def load_workspace(self, name: str, window: QMainWindow) -> bool:
        """Apply the workspace `name`; False when there is none or it no longer fits the current docks."""
        key = f"{_WORKSPACES}/{workspace_name(name)}"
        geometry = self._settings.value(f"{key}/geometry")
        state = self._settings.value(f"{key}/state")
        if not isinstance(state, QByteArray):
            return False
        if isinstance(geometry, QByteArray):
            window.restoreGeometry(geometry)
        return window.restoreState(state, LAYOUT_VERSION)

    def delete_workspace(self, name: str) -> None:
        self._settings.remove(f"{_WORKSPACES}/{workspace_name(name)}")
        self._settings.sync()
