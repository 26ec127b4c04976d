"""The chart's pure pieces: folding a live bar into the data, the bars in view, MA window parsing."""

from __future__ import annotations

import numpy as np

from widgets.chart.bar_window import MIN_VISIBLE, RIGHT_MARGIN, bars_in_view, x_range_for, zoomed
from widgets.chart.live_bar import with_live_bar
from widgets.chart.toolbar_actions import parse_ma_windows
from widgets.chart.view_state import ChartBar, ChartData


def _data(days: list[str], closes: list[float]) -> ChartData:
    c = np.array(closes, dtype=float)
    return ChartData(
        symbol="600000.SH",
        period="1d",
        adjust="none",
        time=np.array(days, dtype="datetime64[s]"),
        open=c,
        high=c + 1,
        low=c - 1,
        close=c,
        volume=np.full(len(c), 100.0),
        amount=np.full(len(c), 1000.0),
        studies={"MA": {"MA5": c.copy()}},
    )


def _bar(day: str, close: float) -> ChartBar:
    return ChartBar(np.datetime64(day, "s"), close, close + 2, close - 2, close, 50.0, 500.0)


def test_a_later_bar_is_appended_with_its_study_values_and_missing_ones_as_nan() -> None:
    data = _data(["2024-01-02", "2024-01-03"], [10.0, 11.0])
    change = with_live_bar(data, _bar("2024-01-04", 12.0), {"MA": {"MA5": 11.0}})
    assert change is not None and change.appended and change.moved and change.at == 2
    assert change.data.close.tolist() == [10.0, 11.0, 12.0] and change.data.high[-1] == 14.0
    assert change.data.studies["MA"]["MA5"].tolist() == [10.0, 11.0, 11.0]
    bare = with_live_bar(data, _bar("2024-01-04", 12.0))
    assert bare is not None and np.isnan(bare.data.studies["MA"]["MA5"][-1])
    assert data.close.tolist() == [10.0, 11.0]  # the shown data is never changed in place


def test_the_same_time_replaces_the_last_bar_and_a_late_tick_changes_nothing() -> None:
    data = _data(["2024-01-02", "2024-01-03"], [10.0, 11.0])
    change = with_live_bar(data, _bar("2024-01-03", 10.5))
    assert change is not None and not change.appended and not change.moved and change.at == 1
    assert change.data.close.tolist() == [10.0, 10.5] and len(change.data) == 2
    assert with_live_bar(data, _bar("2024-01-02", 9.0)) is None


def test_a_week_bar_moving_to_a_new_day_replaces_the_bar_and_moves_its_time() -> None:
    data = _data(["2024-01-05", "2024-01-09"], [10.0, 11.0])
    change = with_live_bar(data, _bar("2024-01-10", 11.5), appended=False)
    assert change is not None and not change.appended and change.moved
    assert change.data.time[-1] == np.datetime64("2024-01-10", "s") and len(change.data) == 2


def test_the_bars_in_view_and_the_range_that_shows_them_agree_and_stay_in_bounds() -> None:
    x0, x1 = x_range_for(20, 30, 100)
    assert bars_in_view(x0, x1, 100) == (20, 49)
    # Past the end the window stops at the right margin; a tiny count keeps the minimum.
    x0, x1 = x_range_for(95, 30, 100)
    assert bars_in_view(x0, x1, 100) == (100 + RIGHT_MARGIN - 30, 99)
    assert x_range_for(-5, 1, 100) == (-0.5, MIN_VISIBLE - 0.5)
    first, count = zoomed(0, 99, 99, 0.5)
    assert count == 50 and first + count - 1 == 99  # the anchor bar stays at the right edge


def test_ma_windows_parse_with_either_comma_and_refuse_bad_input() -> None:
    assert parse_ma_windows("20, 5，10,5") == (5, 10, 20)
    assert parse_ma_windows("5,x") is None
    assert parse_ma_windows("0,5") is None
    assert parse_ma_windows(" , ") is None
