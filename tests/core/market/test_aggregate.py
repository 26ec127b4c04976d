"""Aggregation to chart periods: session-aware minute buckets, daily from minutes, ISO weeks; real bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.market.aggregate import daily, intraday, monthly, to_period, weekly
from core.market.series import BarSeries, Period
from tests.core.market.conftest import load_series


def _frame(series: BarSeries) -> pd.DataFrame:
    return pd.DataFrame(
        {f: getattr(series, f) for f in ("open", "high", "low", "close", "volume", "amount")},
        index=pd.DatetimeIndex(series.time),
    )


def _reference_intraday(series: BarSeries, minutes: int) -> pd.DataFrame:
    """pandas resampling, one session at a time, with bins anchored at that session's open."""
    frame = _frame(series)
    parts = []
    for day, rows in frame.groupby(frame.index.normalize()):
        for open_at, close_at in (("09:30", "11:30"), ("13:00", "15:00")):
            session = rows.between_time(open_at, close_at, inclusive="right")
            if session.empty:
                continue
            origin = pd.Timestamp(f"{day.date()} {open_at}")
            parts.append(
                session.resample(f"{minutes}min", closed="right", label="right", origin=origin).agg(
                    {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum", "amount": "sum"}
                )
            )
    return pd.concat(parts)


@pytest.mark.parametrize("period", [Period.M5, Period.M15, Period.M30, Period.M60])
def test_minute_periods_match_per_session_resampling(minutes_000001: BarSeries, period: Period) -> None:
    bars = to_period(minutes_000001, period)
    expected = _reference_intraday(minutes_000001, period.minutes)

    assert len(bars) == 21 * 240 // period.minutes
    np.testing.assert_array_equal(bars.time, expected.index.to_numpy().astype("datetime64[s]"))
    got = _frame(bars)
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy(), err_msg=column)
    np.testing.assert_allclose(got["amount"].to_numpy(), expected["amount"].to_numpy(), rtol=1e-12)


def test_sixty_minute_bars_end_at_the_a_share_hours_and_never_span_lunch(minutes_000001: BarSeries) -> None:
    bars = intraday(minutes_000001, 60)
    clocks = pd.DatetimeIndex(bars.time).strftime("%H:%M")
    assert list(clocks[:4]) == ["10:30", "11:30", "14:00", "15:00"]
    assert set(clocks) == {"10:30", "11:30", "14:00", "15:00"}
    # The 13:01..14:00 bar opens at the first afternoon minute's open, not at anything from the morning.
    first_day = pd.DatetimeIndex(minutes_000001.time) < pd.Timestamp("2018-01-03")
    afternoon_open = minutes_000001.open[first_day][120]
    assert bars.open[2] == afternoon_open
    assert bars.volume[:4].sum() == minutes_000001.volume[first_day].sum()


def test_five_minute_labels_cover_both_sessions_exactly(minutes_000001: BarSeries) -> None:
    bars = intraday(minutes_000001, 5)
    first_day = pd.DatetimeIndex(bars.time[:48]).strftime("%H:%M")
    assert first_day[0] == "09:35" and first_day[23] == "11:30"
    assert first_day[24] == "13:05" and first_day[-1] == "15:00"


def test_auction_lunch_and_after_hours_prints_stay_in_their_day() -> None:
    times = [
        "2021-06-01 09:25:00",
        "2021-06-01 09:31:00",
        "2021-06-01 11:30:00",
        "2021-06-01 13:01:00",
        "2021-06-01 15:00:00",
        "2021-06-01 15:30:00",
        "2021-06-02 09:31:00",
    ]
    ones = np.ones(len(times))
    series = BarSeries.from_columns(
        {
            "time": np.array(times),
            "open": np.arange(len(times)) + 1.0,
            "high": ones * 9,
            "low": ones,
            "close": np.arange(len(times)) + 1.0,
            "volume": ones * 100,
            "amount": ones * 1000,
        }
    )
    bars = intraday(series, 60)
    assert [str(t) for t in bars.time] == [
        "2021-06-01T10:30:00",
        "2021-06-01T11:30:00",
        "2021-06-01T14:00:00",
        "2021-06-01T15:00:00",
        "2021-06-02T10:30:00",
    ]
    # The 09:25 auction print opens the first bar; the STAR after-hours print closes the last one.
    assert bars.open[0] == 1.0 and bars.volume[0] == 200
    assert bars.close[3] == 6.0 and bars.volume[3] == 200
    with pytest.raises(ValueError, match="lunch"):
        intraday(series, 7)


def test_daily_from_vendor_minutes_against_stored_daily(minutes_000001: BarSeries, daily_000001: BarSeries) -> None:
    """Vendor 1m bars leave out the 09:25 call auction and some snapshot extremes; state what holds."""
    from_minutes = daily(minutes_000001)
    stored = daily_000001
    pos = np.searchsorted(stored.time, from_minutes.time)
    assert len(from_minutes) == 21
    np.testing.assert_array_equal(stored.time[pos], from_minutes.time)  # the same 21 trading days

    # Exact: the closing price (the 15:00 bar closes at the closing auction price).
    np.testing.assert_array_equal(from_minutes.close, stored.close[pos])
    # Bounded: the minute range lies inside the day's range and misses it by at most 3 ticks.
    assert np.all(from_minutes.high <= stored.high[pos]) and np.all(from_minutes.low >= stored.low[pos])
    assert np.max(stored.high[pos] - from_minutes.high) <= 0.03 + 1e-9
    assert np.max(from_minutes.low - stored.low[pos]) <= 0.03 + 1e-9
    # Volume and amount: the minutes always miss the auction, which is under 1% of the day here.
    missing_volume = 1 - from_minutes.volume / stored.volume[pos]
    missing_amount = 1 - from_minutes.amount / stored.amount[pos]
    assert np.all(missing_volume > 0) and np.all(missing_volume < 0.01)
    assert np.all(missing_amount > 0) and np.all(missing_amount < 0.01)
    # The first minute's open is the first continuous trade, within 1% of the auction open.
    assert np.max(np.abs(from_minutes.open / stored.open[pos] - 1)) < 0.01


def test_daily_from_exchange_trade_minutes_equals_stored_daily(cn_data: Path) -> None:
    """600020.SH 2021-01-04 minutes were built from every exchange trade, auction included: exact."""
    minutes = load_series(cn_data / "minute" / "600020.SH.csv", "1m")
    stored = load_series(cn_data / "daily" / "600020.SH.csv", "1d")
    day = daily(minutes)
    pos = int(np.searchsorted(stored.time, day.time[0]))
    assert stored.time[pos] == day.time[0]
    for field in ("open", "high", "low", "close", "volume"):
        assert getattr(day, field)[0] == getattr(stored, field)[pos], field
    assert abs(day.amount[0] - stored.amount[pos]) < 1.0  # the stored amount is rounded to the yuan


def test_weekly_bars_follow_iso_weeks_and_end_on_the_last_trading_day(daily_600000: BarSeries) -> None:
    weeks = weekly(daily_600000)
    frame = _frame(daily_600000)
    iso = frame.index.isocalendar()
    reference = frame.groupby([iso.year, iso.week]).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    last_days = frame.index.to_series().groupby([iso.year, iso.week]).max()

    assert len(weeks) == len(reference)
    np.testing.assert_array_equal(weeks.time, last_days.to_numpy().astype("datetime64[s]"))
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(weeks, column), reference[column].to_numpy(), err_msg=column)
    labels = pd.DatetimeIndex(weeks.time)
    assert labels.weekday.max() <= 4  # never a weekend
    # Across New Year: Mon 2019-12-30 to Fri 2020-01-03 is one ISO week, labelled by its Friday.
    days = weeks.time.astype("datetime64[D]")
    at = int(np.searchsorted(days, np.datetime64("2020-01-03")))
    assert days[at - 1] == np.datetime64("2019-12-27") and days[at] == np.datetime64("2020-01-03")
    assert weeks.open[at] == daily_600000.open[daily_600000.time == np.datetime64("2019-12-30")][0]


def test_monthly_bars_group_calendar_months_and_end_on_the_last_trading_day(daily_600000: BarSeries) -> None:
    months = to_period(daily_600000, Period.MONTH)
    frame = _frame(daily_600000)
    key = frame.index.to_period("M")
    reference = frame.groupby(key).agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    last_days = frame.index.to_series().groupby(key).max()
    assert len(months) == len(reference) and len(monthly(BarSeries.empty())) == 0
    np.testing.assert_array_equal(months.time, last_days.to_numpy().astype("datetime64[s]"))
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(months, column), reference[column].to_numpy(), err_msg=column)
    # 2022-12 ended on Friday the 30th, a trading day; the 31st was a Saturday.
    assert str(months.time[-1])[:10] == "2022-12-30" and not Period.MONTH.is_intraday


def test_daily_and_one_minute_periods_pass_through(daily_600000: BarSeries) -> None:
    assert to_period(daily_600000, Period.DAY) is daily_600000
    assert len(to_period(BarSeries.empty(), Period.M30)) == 0
