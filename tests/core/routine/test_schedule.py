"""When the daily routine is due, its time setting, and the day it last ran."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.quotes.session import BEIJING
from core.routine.schedule import ScheduleState, close_due, parse_close_at
from core.settings import AppSettings

AT = dt.time(15, 30)


def test_due_once_per_weekday_after_the_time() -> None:
    friday = dt.date(2024, 5, 10)
    assert close_due(dt.datetime(2024, 5, 10, 15, 29, 59), AT, None) is None
    assert close_due(dt.datetime(2024, 5, 10, 15, 30), AT, None) == friday
    assert close_due(dt.datetime(2024, 5, 10, 23, 0), AT, dt.date(2024, 5, 9)) == friday
    assert close_due(dt.datetime(2024, 5, 10, 23, 0), AT, friday) is None  # already run today
    assert close_due(dt.datetime(2024, 5, 11, 16, 0), AT, dt.date(2024, 5, 9)) is None  # Saturday
    assert close_due(dt.datetime(2024, 5, 12, 16, 0), AT, None) is None  # Sunday


def test_an_aware_clock_is_read_in_beijing_time() -> None:
    # 07:31 UTC is 15:31 in Beijing; 07:29 UTC is before the time there, whatever the machine's zone.
    assert close_due(dt.datetime(2024, 5, 10, 7, 31, tzinfo=dt.timezone.utc), AT, None) == dt.date(2024, 5, 10)
    assert close_due(dt.datetime(2024, 5, 10, 7, 29, tzinfo=dt.timezone.utc), AT, None) is None
    # Friday 17:00 UTC is Saturday 01:00 in Beijing: no session.
    assert close_due(dt.datetime(2024, 5, 10, 17, 0, tzinfo=dt.timezone.utc), AT, None) is None
    assert dt.datetime(2024, 5, 10, 17, 0, tzinfo=dt.timezone.utc).astimezone(BEIJING).weekday() == 5


def test_the_time_must_be_after_the_close() -> None:
    assert parse_close_at("16:05") == dt.time(16, 5)
    with pytest.raises(ValueError, match="'14:30': must be after the 15:00 close"):
        parse_close_at("14:30")
    with pytest.raises(ValueError, match="'3pm': expected HH:MM"):
        parse_close_at("3pm")
    bad = AppSettings(routine_close_at="14:00", routine_topk=0, routine_n_drop=9, routine_run=" r1 ").validated()
    assert (bad.routine_close_at, bad.routine_topk, bad.routine_n_drop, bad.routine_run) == ("15:30", 50, 9, "r1")
    assert AppSettings(routine_topk=3, routine_n_drop=4).validated().routine_n_drop == 3


def test_the_last_day_survives_a_restart_and_a_bad_file_is_ignored(tmp_path: Path) -> None:
    state = ScheduleState(tmp_path)
    assert state.last_day() is None
    state.record(dt.date(2024, 5, 10), "failed")
    assert ScheduleState(tmp_path).last_day() == dt.date(2024, 5, 10)
    state.path.write_text("{not json", encoding="utf-8")
    assert state.last_day() is None
    state.path.write_text('{"last_close_day": "2024-13-01"}', encoding="utf-8")
    assert state.last_day() is None
