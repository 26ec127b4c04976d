"""VolumeBaseline: the 5-session average volume behind 量比, learnt from the tick stream."""

from __future__ import annotations

import datetime as dt

from core.domain.ticks import Tick
from core.quotes.volume_baseline import VolumeBaseline


def tick(day: int, volume: float, hour: int = 15, symbol: str = "600000.SH") -> Tick:
    return Tick(symbol, dt.datetime(2023, 1, day, hour), 10.0, 10.0, 10.0, 10.0, 10.0, volume, volume * 10)


def test_a_session_counts_once_a_later_day_starts_and_only_the_last_five_are_kept() -> None:
    baseline = VolumeBaseline(days=5)
    assert baseline.update([tick(2, 1e6, hour=10), tick(2, 2e6)]) == {}  # day 2 not final yet
    assert baseline.update([tick(3, 4e6)]) == {"600000.SH": 2e6}  # day 2 closed at 2M
    for day in range(4, 9):
        baseline.update([tick(day, 4e6)])
    assert baseline.average("600000.SH") == 4e6  # day 2 fell out of the five-session window
    assert baseline.average("000001.SZ") == 0.0


def test_a_late_tick_of_an_earlier_day_changes_nothing() -> None:
    baseline = VolumeBaseline()
    baseline.update([tick(3, 3e6)])
    assert baseline.update([tick(2, 9e6)]) == {}
    assert baseline.update([tick(4, 1e6)]) == {"600000.SH": 3e6}


def test_a_replay_that_starts_over_does_not_count_its_jump_back() -> None:
    baseline = VolumeBaseline()
    baseline.update([tick(5, 5e6), tick(6, 6e6)])
    baseline.update([tick(2, 1e6)])  # the replay looped to its first day: ignored, not a new session
    assert baseline.average("600000.SH") == 5e6
