"""Listeners: the one registry for core's event handlers, with one error policy for all of them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")
log = logging.getLogger(__name__)


def handler_name(handler: Callable[..., object]) -> str:
    """A readable name for log lines: `Class.method` or `function`, else the handler's repr."""
    return getattr(handler, "__qualname__", None) or repr(handler)


class Listeners(Generic[E]):
    """Handlers called with each event, in the order they were added, on the emitting thread.

    A handler that raises is logged with its name and the event's kind; the other handlers still
    run and the emitter never sees the exception (a broken view must not stop a quote feed or undo
    a fill). Adding and removing are safe from any thread, also from inside a handler.
    """

    def __init__(self, what: str) -> None:
        self.what = what  # named in the failure log line: "quote", "order event", ...
        self._handlers: tuple[Callable[[E], object], ...] = ()
        self._lock = threading.Lock()

    def add(self, handler: Callable[[E], object]) -> Callable[[], None]:
        """Register `handler`; returns a function that removes it again (calling that twice is harmless)."""
        with self._lock:
            self._handlers = (*self._handlers, handler)
        return lambda: self.remove(handler)

    def remove(self, handler: Callable[[E], object]) -> None:
        with self._lock:
            if handler in self._handlers:
                handlers = list(self._handlers)
                handlers.remove(handler)
                self._handlers = tuple(handlers)

    def __len__(self) -> int:
        return len(self._handlers)

    def emit(self, event: E) -> int:
        """Call every handler with `event`; returns how many raised (each one is logged)."""
        failed = 0
        for handler in self._handlers:  # a snapshot: handlers added meanwhile see the next event
            try:
                handler(event)
            except Exception:
                failed += 1
                log.exception("%s listener %s failed on %s", self.what, handler_name(handler), type(event).__name__)
        return failed
