"""PerThread: one SQLite connection (or a store on one) per thread, opened on the thread's first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerThread(Generic[T]):
    """SQLite connections must not cross threads: each thread gets its own from `opener`, kept for reuse.

    `close` closes the calling thread's connection (SQLite refuses a close from another thread); the
    next `get` on that thread opens a fresh one.
    """

    def __init__(self, opener: Callable[[], T], closer: Callable[[T], None]) -> None:
        self._opener = opener
        self._closer = closer
        self._local = threading.local()

    def get(self) -> T:
        value: T | None = getattr(self._local, "value", None)
        if value is None:
            value = self._local.value = self._opener()
        return value

    def close(self) -> None:
        value: T | None = getattr(self._local, "value", None)
        if value is not None:
            self._local.value = None
            self._closer(value)
