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


def favour_throughput_gc(young_threshold: int = 20_000) -> tuple[int, int, int]:
    """For a long-running service that makes many short-lived objects a second (a tick feed): freeze
    what start-up built, so full collections stop rescanning it, and collect the young generation less
    often. Returns the thresholds it replaced.

    Per tick a feed builds a dozen objects that live for milliseconds, and a batch's survive until it is
    sent; with the default young threshold (700) the collector runs dozens of times per 5,500-tick batch
    and rescans the survivors each time. Cycles are rare in that traffic, so the memory held back is small.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young_threshold, before[0]), before[1], before[2])
    return before


def collect_due() -> tuple[int | None, int]:
    """Collect the oldest generation whose allocation count passed its threshold, as the automatic
    collector would have; for a process that turned automatic collection off and collects on a timer.
    Returns (the generation collected or None, objects freed)."""
    thresholds, counts = gc.get_threshold(), gc.get_count()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            return generation, gc.collect(generation)
    return None, 0
