"""Session facts every interested part hears (runs registered, jobs started, account changed) and their bus."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunRegistered:
    """A trained run was recorded in the run registry."""

    run_id: str
    model: str


@dataclass(frozen=True, slots=True)
class RunDeleted:
    run_id: str


@dataclass(frozen=True, slots=True)
class JobStarted:
    """A background job began; `job_id` stays unique for the session, unlike the job's name."""

    job_id: int
    name: str


@dataclass(frozen=True, slots=True)
class JobProgressed:
    job_id: int
    name: str
    fraction: float | None
    message: str


@dataclass(frozen=True, slots=True)
class JobEnded:
    job_id: int
    name: str
    cancelled: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class AccountChanged:
    """Orders, fills, positions or the armed state of the trading account changed."""

    mode: str


@dataclass(frozen=True, slots=True)
class InstrumentsUpdated:
    """Names or listing dates in the market store changed (an instrument list from the bridge or a file)."""

    count: int


class EventSink(Protocol):
    """Where facts are published; core code that reports facts needs nothing more than this."""

    def publish(self, event: object) -> None: ...


Handler = Callable[[Any], None]


class EventBus:
    """Synchronous fan-out of facts to subscribers, from any thread.

    Handlers run on the publishing thread; one that must touch the GUI registers a relay's emit.
    A handler's exception is logged and the others still run: a faulty listener never stops a job
    that publishes, nor hides the fact from everyone else.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Call `handler(event)` for every published event; returns the unsubscribe function."""
        with self._lock:
            self._handlers.append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers:
                    self._handlers.remove(handler)

        return unsubscribe

    def publish(self, event: object) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %s failed on %s", getattr(handler, "__qualname__", handler), event)
