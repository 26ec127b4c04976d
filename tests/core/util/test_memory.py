"""MemoryReleaser: trims the heap after a burst, at most once per interval, on an injected clock."""

from __future__ import annotations

import sys

from core.util.memory import MemoryReleaser


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
