"""分时 (intraday time-share): one session's minute prices, running average price and volume, with its limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from core.domain.ticks import Tick
from core.jobs import CancelToken, Progress
from core.market.aggregate import session_minute
from core.market.live import beijing_time
from core.market.series import BarSeries
from core.rules.price_limits import limit_prices, round_to_tick
from core.storage.market_store import MarketStore

SLOTS = 240  # trading minutes of a session: 09:31..11:30 and 13:01..15:00, end-labelled
_STEPS = 3


@dataclass(frozen=True, slots=True)
class TimeShare:
    """One day's 分时 in raw prices. Arrays have SLOTS entries, slot i closing trading minute i + 1;
    NaN prices mark minutes not traded yet. `average` is the running volume-weighted price.
    `pre_close` is the day's reference price (the previous close, ex-rights when a factor changed);
    the limits are NaN where none apply (indices, new listings) or the previous close is unknown."""

    symbol: str
    day: np.datetime64 | None
    pre_close: float
    price: np.ndarray
    average: np.ndarray
    volume: np.ndarray
    limit_up: float = float("nan")
    limit_down: float = float("nan")

    @classmethod
    def empty(cls, symbol: str) -> TimeShare:
        return cls(symbol, None, float("nan"), np.full(SLOTS, np.nan), np.full(SLOTS, np.nan), np.zeros(SLOTS))

    @property
    def traded(self) -> int:
        """How many slots from the open carry a price (the line's length)."""
        finite = np.flatnonzero(np.isfinite(self.price))
        return int(finite[-1]) + 1 if finite.size else 0


def slots_of(time: np.ndarray) -> np.ndarray:
    """The 0-based slot of each end-labelled minute time (the auction folds into the first)."""
    return session_minute(time) - 1


def running_average(close: np.ndarray, volume: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Cumulative amount / cumulative volume; price × volume stands in where any amount is missing.

    Slots before the first traded share show the price itself, as terminals start the line there.
    """
    weights = amount if np.isfinite(amount).all() else close * volume
    cum_volume = np.cumsum(np.nan_to_num(volume))
    cum_amount = np.cumsum(np.nan_to_num(weights))
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(cum_volume > 0, cum_amount / cum_volume, close)
    return average


def timeshare_of(symbol: str, minutes: BarSeries, pre_close: float, index: bool = False) -> TimeShare:
    """The 分时 of the one day in `minutes` (raw 1m bars of that day, end-labelled)."""
    if len(minutes) == 0:
        return replace(TimeShare.empty(symbol), pre_close=pre_close)
    day = minutes.time[0].astype("datetime64[D]")
    slot = slots_of(minutes.time)
    price, volume, amount = np.full(SLOTS, np.nan), np.zeros(SLOTS), np.zeros(SLOTS)
    # Several bars can fold into one slot (an opening-auction print beside 09:31): the last price counts,
    # the volume and amount add up.
    price[slot] = minutes.close
    np.add.at(volume, slot, np.nan_to_num(minutes.volume))
    known = bool(np.isfinite(minutes.amount).all())
    np.add.at(amount, slot, np.nan_to_num(minutes.amount))
    traded = int(slot.max()) + 1
    price[:traded] = _forward_fill(price[:traded])  # a minute with no trade keeps the last price
    average = np.full(SLOTS, np.nan)
    average[:traded] = running_average(price[:traded], volume[:traded], amount[:traded] if known else _nan(traded))
    up, down = _limits(symbol, day, pre_close, index)
    return TimeShare(symbol, day, pre_close, price, average, volume, up, down)


@dataclass(frozen=True, slots=True)
class TimeShareLoaded:
    """A finished load: the 分时, the newest day stored as a finished daily bar, and whether it is an index."""

    share: TimeShare
    closed_until: np.datetime64 | None = None
    index: bool = False

    def live(self) -> LiveTimeShare:
        """The updater that extends this 分时 from live ticks."""
        return LiveTimeShare(self.share, self.closed_until, self.index)


def load_timeshare(
    store: MarketStore, symbol: str, end: str | None = None, cancel: CancelToken | None = None
) -> Iterator[Progress | TimeShareLoaded]:
    """The 分时 of the newest stored minute day (on or before `end`); the last item yielded is the load."""
    token = cancel or CancelToken()
    last = store.query(
        "SELECT max(time) FROM bars WHERE symbol=? AND freq='1m' AND time <= ?", [symbol, f"{end or '9999'} 23:59:59"]
    ).fetchone()
    daily_end = store.query(
        "SELECT max(time) FROM bars WHERE symbol=? AND freq='1d' AND time <= ?", [symbol, f"{end or '9999'} 23:59:59"]
    ).fetchone()
    closed = np.datetime64(str(daily_end[0])[:10], "D") if daily_end and daily_end[0] else None
    index = symbol in store.index_symbols()
    yield Progress(1, _STEPS, "read")
    token.raise_if_cancelled()
    if not last or not last[0]:
        yield TimeShareLoaded(TimeShare.empty(symbol), closed, index)
        return
    day = str(last[0])[:10]
    minutes = _series(store.read_bars(symbol, "1m", day, f"{day} 23:59:59"))
    yield Progress(2, _STEPS, "read")
    token.raise_if_cancelled()
    pre_close = _pre_close(store, symbol, day, minutes)
    yield Progress(3, _STEPS, "aggregate")
    yield TimeShareLoaded(timeshare_of(symbol, minutes, pre_close, index), closed, index)


class LiveTimeShare:
    """Extends a TimeShare from cumulative Level-1 snapshots; a tick of a later day starts that day afresh.

    `closed_until` is the newest day the store holds as a finished daily bar: a tick of a later day
    is live trading, while ticks of days up to it are summaries (a replay of daily bars) and draw nothing.
    """

    def __init__(self, share: TimeShare, closed_until: np.datetime64 | None = None, index: bool = False) -> None:
        self.share = share
        self._closed_until = closed_until
        self._index = index
        self._offset = 0.0  # the day's volume traded before the first slot drawn

    def on_tick(self, tick: Tick) -> TimeShare | None:
        """The 分时 after `tick`, or None when the tick changes nothing drawn."""
        if tick.symbol != self.share.symbol or tick.suspended or not tick.last > 0:
            return None
        moment = beijing_time(tick.time)
        day = moment.astype("datetime64[D]")
        share = self.share
        if share.day is None or day > share.day:
            if self._closed_until is not None and day <= self._closed_until:
                return None
            pre = tick.pre_close if tick.pre_close > 0 else share.pre_close
            share = replace(TimeShare.empty(share.symbol), day=day, pre_close=pre)
        elif day < share.day:
            return None
        slot = int(slots_of(np.array([moment]))[0])
        if share is not self.share:
            # Joining a session under way: what traded before the first snapshot seen is in no minute.
            self._offset = 0.0 if slot == 0 else tick.volume
        price, volume, average = share.price.copy(), share.volume.copy(), share.average.copy()
        traded = share.traded
        if slot + 1 < traded:
            return None  # a late snapshot of a finished minute
        before = float(volume[:slot].sum()) + self._offset
        volume[slot] = max(tick.volume - before, 0.0)
        if traded:  # quiet minutes keep the last price and average
            price[traded:slot], average[traded:slot] = price[traded - 1], average[traded - 1]
        price[slot] = tick.last
        # Snapshots carry the day's cumulative amount and volume: their ratio is the exact average price.
        average[slot] = tick.amount / tick.volume if tick.volume > 0 and tick.amount > 0 else tick.last
        if tick.limit_up > 0 and tick.limit_down > 0:
            up, down = tick.limit_up, tick.limit_down
        elif np.isfinite(share.limit_up):
            up, down = share.limit_up, share.limit_down
        else:
            up, down = _limits(share.symbol, day, share.pre_close, self._index)
        self.share = replace(share, price=price, volume=volume, average=average, limit_up=up, limit_down=down)
        return self.share


def _pre_close(store: MarketStore, symbol: str, day: str, minutes: BarSeries) -> float:
    """The previous close as the exchange sets the day's reference: the last daily close before `day`,
    taken ex-rights when the backward factor changed overnight; else the previous minute day's last close."""
    row = store.query(
        "SELECT close, factor FROM bars WHERE symbol=? AND freq='1d' AND time < ? ORDER BY time DESC LIMIT 1",
        [symbol, day],
    ).fetchone()
    if row is not None and row[0] is not None:
        close, factor = float(row[0]), row[1]
        today = store.query(
            "SELECT factor FROM bars WHERE symbol=? AND freq='1d' AND substr(time, 1, 10)=?", [symbol, day]
        ).fetchone()
        if factor and today is not None and today[0] and abs(float(today[0]) - float(factor)) > 1e-9:
            close = float(round_to_tick(np.array([close * float(factor) / float(today[0])]))[0])
        return close
    row = store.query(
        "SELECT close FROM bars WHERE symbol=? AND freq='1m' AND time < ? ORDER BY time DESC LIMIT 1", [symbol, day]
    ).fetchone()
    if row is not None and row[0] is not None:
        return float(row[0])
    return float(minutes.open[0]) if len(minutes) else float("nan")


def _limits(symbol: str, day: np.datetime64, pre_close: float, index: bool) -> tuple[float, float]:
    if index or not np.isfinite(pre_close) or pre_close <= 0:
        return float("nan"), float("nan")
    limits = limit_prices(symbol, dt.date.fromisoformat(str(day)), pre_close)
    return limits if limits is not None else (float("nan"), float("nan"))


def _forward_fill(values: np.ndarray) -> np.ndarray:
    index = np.where(np.isfinite(values), np.arange(values.shape[0]), 0)
    np.maximum.accumulate(index, out=index)
    return values[index]


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _series(frame: object) -> BarSeries:
    if getattr(frame, "empty", True):
        return BarSeries.empty()
    return BarSeries.from_columns(frame)  # type: ignore[arg-type]
