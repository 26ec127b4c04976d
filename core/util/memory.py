"""Hand freed heap memory back to the OS where the C library allows it (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys
import time
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None  # macOS and Windows allocators return large free blocks on their own
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
        return trim
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return None


class MemoryReleaser:
    """Returns free memory to the OS after a burst is over, at most once per `min_interval_s`.

    Python keeps freed objects' arenas and glibc keeps freed heap pages for reuse, so a long-running
    service's RSS stays at its peak after, say, many clients with large subscriptions have left.
    """

    def __init__(self, min_interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._last = -float("inf")
        self.releases = 0

    def release(self) -> bool:
        """Collect garbage and trim the heap; False when skipped (too soon, or no malloc_trim here)."""
        now = self._clock()
        if now - self._last < self._min_interval_s:
            return False
        self._last = now
        gc.collect()
        trim = _malloc_trim()
        if trim is None:
            return False
        trim(0)
        self.releases += 1
        return True
