"""The one place core events cross into the GUI thread: a Qt signal's emit registered as the core handler.

Emitting a signal from any thread queues the call to the receiver's (GUI) thread; slots subscribed
through `subscribe` are wrapped so an exception is logged instead of escaping into Qt's event loop,
where PySide would print it and carry on without telling anyone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class EventRelay(QObject):
    """Carries core events (any Python object) to GUI-thread handlers."""

    sig_event = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.delivered = 0
        self.failed = 0

    def core_handler(self) -> Callable[[Any], None]:
        """The callable to give to core: safe to call from any thread."""
        return self.sig_event.emit

    def subscribe(self, slot: Callable[[Any], None]) -> None:
        """Run `slot` on the GUI thread for each event; its exceptions are logged, never lost."""

        @functools.wraps(slot)
        def guarded(event: Any) -> None:
            try:
                slot(event)
                self.delivered += 1
            except Exception:
                self.failed += 1
                log.exception("handler %s failed on %s event", getattr(slot, "__qualname__", slot), self.objectName())

        self.sig_event.connect(guarded)
