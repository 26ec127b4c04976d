"""Cooperative cancellation and progress reports for long work written as generators.

Core never knows which thread runs it: a job is a generator that yields `Progress` and checks
a `CancelToken` between steps; the CLI drives it with a progress bar, the app in a worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled; work done so far stays consistent."""


class CancelToken:
    """Thread-safe flag the caller sets and the job polls between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of a long job: `done` of `total` units, with a short human-readable note."""

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0
