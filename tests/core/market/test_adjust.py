"""Price adjustment on real bars with real factors: forward keeps the latest price, backward the factor scale."""

from __future__ import annotations

import numpy as np
import pytest

from core.market.adjust import FactorTimeline, adjust, attach_daily_factors, filled_factors, has_factors
from core.market.aggregate import daily
from core.market.series import Adjust, BarSeries, Period
from core.market.studies import chart_series


def test_backward_multiplies_prices_by_the_factor_and_keeps_volume_as_traded(daily_600000: BarSeries) -> None:
    raw = daily_600000
    back = adjust(raw, Adjust.BACKWARD)
    for field in ("open", "high", "low", "close"):
        np.testing.assert_allclose(getattr(back, field), getattr(raw, field) * raw.factor, rtol=1e-12)
    np.testing.assert_array_equal(back.volume, raw.volume)  # terminals show shares actually traded
    np.testing.assert_array_equal(back.amount, raw.amount)  # money traded does not change
    np.testing.assert_array_equal(raw.close, daily_600000.close)  # the input is left alone


def test_forward_keeps_the_latest_price_and_scales_history(daily_600000: BarSeries) -> None:
    raw = daily_600000
    fwd = adjust(raw, Adjust.FORWARD)
    last = raw.factor[-1]
    assert fwd.close[-1] == raw.close[-1]
    np.testing.assert_allclose(fwd.close, raw.close * raw.factor / last, rtol=1e-12)
    np.testing.assert_array_equal(fwd.volume, raw.volume)
    assert (raw.factor != last).any()  # the series does cross ex-rights days: the check above means something


def test_adjusted_returns_remove_the_ex_dividend_gaps(daily_600000: BarSeries) -> None:
    raw = daily_600000
    ex_days = np.flatnonzero(np.diff(raw.factor) != 0) + 1
    assert len(ex_days) >= 10  # 600000.SH paid a dividend almost every year
    raw_ret = raw.close[1:] / raw.close[:-1] - 1
    fwd, back = adjust(raw, Adjust.FORWARD), adjust(raw, Adjust.BACKWARD)
    fwd_ret = fwd.close[1:] / fwd.close[:-1] - 1
    back_ret = back.close[1:] / back.close[:-1] - 1
    np.testing.assert_allclose(fwd_ret, back_ret, rtol=1e-9, atol=1e-12)  # same shape, different scale
    # On ex-days the adjusted return adds back the cash/shares distributed: it is always higher.
    assert np.all(fwd_ret[ex_days - 1] > raw_ret[ex_days - 1])
    np.testing.assert_allclose(
        fwd_ret[ex_days - 1] + 1, (raw_ret[ex_days - 1] + 1) * raw.factor[ex_days] / raw.factor[ex_days - 1]
    )


def test_none_and_unknown_factors_leave_prices_raw(daily_600000: BarSeries) -> None:
    assert adjust(daily_600000, Adjust.NONE) is daily_600000
    no_factor = daily_600000.with_fields(factor=np.full(len(daily_600000), np.nan))
    assert not has_factors(no_factor)
    assert adjust(no_factor, Adjust.FORWARD) is no_factor


def test_gaps_in_factors_take_the_previous_known_value() -> None:
    filled = filled_factors(np.array([np.nan, 2.0, np.nan, np.nan, 3.0, np.nan]))
    np.testing.assert_array_equal(filled, [2.0, 2.0, 2.0, 2.0, 3.0, 3.0])


def test_minute_bars_take_the_daily_factor_and_line_up_with_the_daily_chart(
    minutes_000001: BarSeries, daily_000001: BarSeries
) -> None:
    with_factors = attach_daily_factors(minutes_000001, daily_000001)
    jan_2018 = daily_000001.factor[daily_000001.time.astype("datetime64[M]") == np.datetime64("2018-01")]
    assert np.all(jan_2018 == jan_2018[0])  # 000001.SZ had no ex-day in January 2018
    assert np.all(with_factors.factor == jan_2018[0])
    fwd_minutes = chart_series(minutes_000001, Period.M1, Adjust.FORWARD, daily_000001)
    fwd_daily = chart_series(daily_000001, Period.DAY, Adjust.FORWARD)
    # Forward adjustment is anchored at the latest (2022) factor for both, so the closes agree.
    day_close = daily(fwd_minutes).close
    pos = np.searchsorted(fwd_daily.time, daily(fwd_minutes).time)
    np.testing.assert_allclose(day_close, fwd_daily.close[pos], rtol=1e-12)
    assert fwd_daily.close[-1] == daily_000001.close[-1]


def test_weekly_bars_are_adjusted_day_by_day_before_aggregating(daily_600000: BarSeries) -> None:
    weeks = chart_series(daily_600000, Period.WEEK, Adjust.BACKWARD)
    back = adjust(daily_600000, Adjust.BACKWARD)
    # The week of the 2018-07-13 ex-day: its high is the max of per-day adjusted highs.
    in_week = (back.time >= np.datetime64("2018-07-09")) & (back.time <= np.datetime64("2018-07-13"))
    at = int(np.searchsorted(weeks.time, np.datetime64("2018-07-13")))
    assert weeks.high[at] == back.high[in_week].max()
    assert weeks.volume[at] == back.volume[in_week].sum()


def test_the_factor_timeline_moves_each_bars_real_price_to_the_chart_adjustment(daily_600000: BarSeries) -> None:
    raw = daily_600000
    timeline = FactorTimeline.of(raw)
    for mode in (Adjust.NONE, Adjust.FORWARD, Adjust.BACKWARD):
        shown = adjust(raw, mode)
        for i in (0, len(raw) // 2, len(raw) - 1):
            assert raw.close[i] * timeline.scale(mode, raw.time[i]) == pytest.approx(shown.close[i], rel=1e-12)
    # A day with no bar takes the factor of the bar before it (the next bar is the ex-rights day).
    days = raw.time.astype("datetime64[D]")
    j = next(
        j
        for j in range(len(raw) - 1)
        if raw.factor[j + 1] != raw.factor[j] and days[j + 1] - days[j] > np.timedelta64(1, "D")
    )
    assert timeline.scale(Adjust.BACKWARD, days[j] + np.timedelta64(1, "D")) == raw.factor[j]
    # Before the first bar the first factor holds, after the last the last.
    day = days[100]
    assert timeline.scale(Adjust.BACKWARD, np.datetime64("1990-01-01")) == raw.factor[0]
    assert timeline.scale(Adjust.FORWARD, np.datetime64("2099-01-01")) == 1.0
    assert FactorTimeline.of(raw.with_fields(factor=np.full(len(raw), np.nan))).scale(Adjust.FORWARD, day) == 1.0
