"""MemoryReleaser: trims the heap after a burst, at most once per interval, on an injected clock."""

from __future__ import annotations

import gc
import sys

from core.util.memory import MemoryReleaser, favour_throughput_gc


def test_release_is_rate_limited_on_its_clock() -> None:
    now = [100.0]
    releaser = MemoryReleaser(min_interval_s=1.0, clock=lambda: now[0])
    on_glibc = sys.platform.startswith("linux")
    assert releaser.release() is on_glibc
    now[0] += 0.5
    assert releaser.release() is False  # too soon after the last one
    now[0] += 0.6
    assert releaser.release() is on_glibc
    assert releaser.releases == (2 if on_glibc else 0)


def test_throughput_gc_freezes_start_up_objects_and_collects_young_objects_less_often() -> None:
    original = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    try:
        before = favour_throughput_gc(young_threshold=25_000)
        assert before == original
        assert gc.get_threshold() == (max(25_000, original[0]), original[1], original[2])
        assert gc.get_freeze_count() > frozen_before  # what exists now is out of the collector's way
        again = favour_throughput_gc(young_threshold=1_000)  # never lowers a higher threshold
        assert again[0] == gc.get_threshold()[0] == max(25_000, original[0])
    finally:
        gc.unfreeze()
        gc.set_threshold(*original)
