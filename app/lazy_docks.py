"""Docks built on first sight: a shell in the window at launch, its panel and presenter when first shown or needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QWidget

from widgets.dock_shell import DockShell

P = TypeVar("P")


class LazyDock(Generic[P]):
    """One dock's panel and presenter, built once: when the dock first shows (View menu, a tab raised, a saved
    layout), or when something asks for the presenter with `get`.

    `build` makes the panel and its presenter; the presenter reads what it shows when it is made, so a dock
    built late shows the same state as one built at launch. The window's dock is followed with `follow`.
    """

    def __init__(self, build: Callable[[], tuple[QWidget, P]]) -> None:
        self.shell = DockShell()
        self._build = build
        self._panel: QWidget | None = None
        self._presenter: P | None = None
        self._followers: list[Callable[[P], None]] = []
        self._in_view = False

    @property
    def built(self) -> bool:
        return self._presenter is not None

    @property
    def panel(self) -> QWidget:
        """The dock's panel (built now if it was not yet)."""
        self.get()
        assert self._panel is not None
        return self._panel

    def get(self) -> P:
        """The dock's presenter, building panel and presenter the first time."""
        if self._presenter is None:
            panel, presenter = self._build()
            self._panel, self._presenter = panel, presenter
            self.shell.set_content(panel)
            for follow in self._followers:
                follow(presenter)
            self._followers.clear()
        return self._presenter

    def when_built(self, follow: Callable[[P], None]) -> None:
        """Call `follow` with the presenter once it exists (now, when it already does)."""
        if self._presenter is not None:
            follow(self._presenter)
        else:
            self._followers.append(follow)

    def follow(self, dock: QDockWidget) -> None:
        """Build when `dock`, the dock that holds the shell, first comes into view."""
        dock.visibilityChanged.connect(self._on_dock_visibility_changed)

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        # A tab behind another counts as shown to Qt (only its dock's visibility says otherwise), and while the
        # window lays out or restores its docks a tab can be raised and lowered again: only a showing that
        # lasts past this turn of the event loop builds the panel.
        self._in_view = visible
        if visible and not self.built:
            QTimer.singleShot(0, self.shell, self._build_if_in_view)

    def _build_if_in_view(self) -> None:
        if self._in_view:
            self.get()
