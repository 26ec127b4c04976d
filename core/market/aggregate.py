"""Aggregate stored bars to chart periods under A-share session rules (bars labelled by their end time)."""

from __future__ import annotations

import numpy as np

from core.market.series import BarSeries, Period

# Continuous trading runs 09:30-11:30 and 13:00-15:00 Beijing time: 120 minutes per session.
_MORNING_OPEN = 9 * 60 + 30
_MORNING_CLOSE = 11 * 60 + 30
_AFTERNOON_OPEN = 13 * 60
_SESSION_MINUTES = 120
_SECONDS_PER_DAY = 86_400


def to_period(series: BarSeries, period: Period) -> BarSeries:
    """Bars of `period` from the stored series it is built from (1m for intraday periods, else 1d)."""
    if period in (Period.M1, Period.DAY):
        return series
    if period is Period.WEEK:
        return weekly(series)
    if period is Period.MONTH:
        return monthly(series)
    return intraday(series, period.minutes)


def session_minute(time: np.ndarray) -> np.ndarray:
    """Trading minute (1..240) each end-labelled minute bar closes, counted from 09:30 over both sessions.

    The opening call auction (09:25, or vendors' 09:30 bar) folds into minute 1, anything between the
    sessions into the first afternoon minute, and after-hours prints (STAR fixed-price trading) into 240,
    so every traded share lands in some bar of its own day.
    """
    seconds = (time - time.astype("datetime64[D]")).astype(np.int64)
    # A label between whole minutes (a live bar stamped 10:15:30) belongs to the minute ending 10:16.
    clock = -(-seconds // 60)
    morning = np.clip(clock - _MORNING_OPEN, 1, _SESSION_MINUTES)
    afternoon = _SESSION_MINUTES + np.clip(clock - _AFTERNOON_OPEN, 1, _SESSION_MINUTES)
    return np.where(clock <= _MORNING_CLOSE, morning, afternoon)


def _clock_of(session_min: np.ndarray) -> np.ndarray:
    """Clock minute (minutes after midnight) at which trading minute `session_min` ends."""
    return np.where(
        session_min <= _SESSION_MINUTES,
        _MORNING_OPEN + session_min,
        _AFTERNOON_OPEN + session_min - _SESSION_MINUTES,
    )


def intraday(series: BarSeries, minutes: int) -> BarSeries:
    """N-minute bars from 1m bars: 5/15/30/60 divide a 120-minute session, so no bar spans lunch or days.

    Each bar is labelled by its bucket's end (10:30, 11:30, 14:00, 15:00 for 60m), also while the
    bucket is still filling, which is how exchanges and terminals label a live bar.
    """
    if _SESSION_MINUTES % minutes:
        raise ValueError(f"{minutes}-minute bars would straddle the lunch break")
    if len(series) == 0:
        return series
    _check_sorted(series)
    day = series.day_numbers()
    bucket = -(-session_minute(series.time) // minutes)  # 1-based bucket within the day
    starts = _group_starts(day * 1000 + bucket)
    label_min = _clock_of(bucket[starts] * minutes)
    label = (day[starts] * _SECONDS_PER_DAY + label_min * 60).astype("datetime64[s]")
    return _reduce(series, starts, label)


def daily(series: BarSeries) -> BarSeries:
    """Daily bars from 1m bars, labelled at the day's midnight like stored daily bars."""
    if len(series) == 0:
        return series
    _check_sorted(series)
    day = series.day_numbers()
    starts = _group_starts(day)
    return _reduce(series, starts, (day[starts] * _SECONDS_PER_DAY).astype("datetime64[s]"))


def weekly(series: BarSeries) -> BarSeries:
    """Weekly bars from daily bars: ISO weeks (Monday-Sunday), labelled by the week's last trading day.

    Adjust prices before calling this: a factor that changes mid-week cannot be applied afterwards.
    """
    if len(series) == 0:
        return series
    _check_sorted(series)
    # 1970-01-01 was a Thursday, so shifting by 3 days makes every Monday a multiple of 7.
    week = (series.day_numbers() + 3) // 7
    starts = _group_starts(week)
    ends = np.r_[starts[1:], len(series)] - 1
    return _reduce(series, starts, series.time[ends])


def monthly(series: BarSeries) -> BarSeries:
    """Monthly bars from daily bars, labelled by the month's last trading day (adjust prices first)."""
    if len(series) == 0:
        return series
    _check_sorted(series)
    month = series.time.astype("datetime64[M]").astype(np.int64)
    starts = _group_starts(month)
    ends = np.r_[starts[1:], len(series)] - 1
    return _reduce(series, starts, series.time[ends])


def _group_starts(key: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, key[1:] != key[:-1]])


def _reduce(series: BarSeries, starts: np.ndarray, label: np.ndarray) -> BarSeries:
    ends = np.r_[starts[1:], len(series)] - 1
    amount = series.amount
    known = np.isfinite(amount)
    amount_sum = np.add.reduceat(np.where(known, amount, 0.0), starts)
    # A bucket with any bar lacking an amount has no honest total.
    complete = np.add.reduceat(known.astype(np.int64), starts) == np.diff(np.r_[starts, len(series)])
    return BarSeries(
        time=label,
        open=series.open[starts].copy(),
        high=np.maximum.reduceat(series.high, starts),
        low=np.minimum.reduceat(series.low, starts),
        close=series.close[ends].copy(),
        volume=np.add.reduceat(series.volume, starts),
        amount=np.where(complete, amount_sum, np.nan),
        factor=series.factor[ends].copy(),
    )


def _check_sorted(series: BarSeries) -> None:
    if len(series) > 1 and not bool(np.all(series.time[1:] > series.time[:-1])):
        raise ValueError("bars must be in strictly increasing time order")
