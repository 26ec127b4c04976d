"""GuiEvents: the session's event bus heard on the GUI thread, one relay for every dock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject

from app.relay import EventRelay
from core.events import EventBus

log = logging.getLogger(__name__)
E = TypeVar("E")


class GuiEvents(QObject):
    """Facts published on `bus` from any thread reach handlers registered here, on the GUI thread, by type."""

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self._handlers: dict[type, list[Callable[[Any], None]]] = {}
        self._relay = EventRelay("session", self)
        self._relay.subscribe(self._dispatch)
        self._unsubscribe = bus.subscribe(self._relay.core_handler())
        self.destroyed.connect(lambda *_: self._unsubscribe())

    def on(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler(event)` on the GUI thread for each published `kind`; returns the way to stop."""
        handlers = self._handlers.setdefault(kind, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler) if handler in handlers else None

    def _dispatch(self, event: object) -> None:
        for handler in list(self._handlers.get(type(event), ())):
            try:
                handler(event)
            except Exception:  # one dock's failure must not keep the fact from the others
                log.exception("%s handler %s failed", type(event).__name__, getattr(handler, "__qualname__", handler))
