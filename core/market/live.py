"""Turn one symbol's ticks into updates of its stored-frequency bar (today's 1d bar, the current 1m bar)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from core.domain.ticks import Tick
from core.market.aggregate import session_minute
from core.market.series import BarSeries

# China keeps no daylight saving time, so a fixed offset is exact and needs no tz database.
_BEIJING = dt.timezone(dt.timedelta(hours=8))
_MORNING_OPEN = 9 * 60 + 30
_AFTERNOON_OPEN = 13 * 60


def beijing_time(moment: dt.datetime) -> np.datetime64:
    """`moment` as naive Beijing wall time (naive inputs are taken to be Beijing already)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(_BEIJING).replace(tzinfo=None)
    return np.datetime64(moment, "s")


def _one_bar(time: np.datetime64, o: float, h: float, lo: float, c: float, v: float, amt: float) -> BarSeries:
    def one(value: float) -> np.ndarray:
        return np.array([value], dtype=float)

    return BarSeries(
        np.array([time], dtype="datetime64[s]"), one(o), one(h), one(lo), one(c), one(v), one(amt), one(np.nan)
    )


def daily_bar(tick: Tick) -> BarSeries:
    """Today's daily bar as the snapshot states it (day open/high/low, last, cumulative volume)."""
    day = beijing_time(tick.time).astype("datetime64[D]").astype("datetime64[s]")
    return _one_bar(day, tick.open, tick.high, tick.low, tick.last, tick.volume, tick.amount)


class MinuteBarBuilder:
    """Builds end-labelled 1m bars from cumulative snapshots of one symbol.

    `volume_before`/`amount_before` are what the day had traded before the first tick seen (the sum
    of today's stored 1m bars), so the first live minute does not swallow the whole morning.
    """

    def __init__(self, volume_before: float = 0.0, amount_before: float = 0.0) -> None:
        self._label: np.datetime64 | None = None
        self._day: np.datetime64 | None = None
        self._base_volume = volume_before
        self._base_amount = amount_before
        self._last_volume = volume_before
        self._last_amount = amount_before
        self._ohlc = (0.0, 0.0, 0.0, 0.0)

    def on_tick(self, tick: Tick) -> BarSeries:
        """The 1m bar this tick updates (or opens), labelled by the minute's end."""
        moment = beijing_time(tick.time)
        day = moment.astype("datetime64[D]")
        if self._day is not None and day != self._day:  # cumulative volume restarts each day
            self._label = None
            self._last_volume = self._last_amount = 0.0
        self._day = day
        minute = int(session_minute(np.array([moment]))[0])
        clock = _MORNING_OPEN + minute if minute <= 120 else _AFTERNOON_OPEN + minute - 120
        label = day.astype("datetime64[s]") + np.timedelta64(clock * 60, "s")
        price = tick.last
        if label != self._label:
            self._label = label
            self._base_volume, self._base_amount = self._last_volume, self._last_amount
            self._ohlc = (price, price, price, price)
        else:
            o, h, lo, _ = self._ohlc
            self._ohlc = (o, max(h, price), min(lo, price), price)
        self._last_volume, self._last_amount = tick.volume, tick.amount
        o, h, lo, c = self._ohlc
        return _one_bar(
            label, o, h, lo, c, max(tick.volume - self._base_volume, 0.0), max(tick.amount - self._base_amount, 0.0)
        )
