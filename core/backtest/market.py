"""The market as wide day × symbol arrays for a backtest window: raw bars, factors, limit prices."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.jobs import CancelToken, Progress
from core.rules.engine import DayQuote
from core.rules.price_limits import free_days_after_listing, limit_fraction_series, round_to_tick
from core.storage.market_store import MarketStore

_BARS_SQL = (
    "SELECT time, open, high, low, close, volume, amount, factor FROM bars "
    "WHERE symbol=? AND freq='1d' AND time>=? AND time<=? ORDER BY time"
)
_WARMUP_DAYS = 20  # calendar rows loaded before the start: previous closes and new-listing day counts


@dataclass
class MarketPanel:
    """Arrays are [day, symbol]; NaN marks a day without a bar (suspended, not listed yet, delisted)."""

    days: np.ndarray  # datetime64[D]
    symbols: list[str]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    vwap: np.ndarray
    factor: np.ndarray  # forward-filled backward-adjustment factor
    mark: np.ndarray  # last raw close, carried over suspensions, for valuation
    limit_up: np.ndarray  # NaN: no limit that day
    limit_down: np.ndarray
    first: int  # index of the first day of the backtest window
    vwap_from_close: np.ndarray | None = None  # bars whose vwap is the close: the source had no amount

    @property
    def index(self) -> dict[str, int]:
        return {s: j for j, s in enumerate(self.symbols)}

    def day(self, i: int) -> dt.date:
        return self.days[i].astype("datetime64[D]").astype(dt.date)

    def quote(self, i: int, j: int) -> DayQuote | None:
        c = self.close[i, j]
        if np.isnan(c):
            return None
        up, down = self.limit_up[i, j], self.limit_down[i, j]
        return DayQuote(
            float(self.open[i, j]),
            float(self.high[i, j]),
            float(self.low[i, j]),
            float(c),
            None if np.isnan(up) else float(up),
            None if np.isnan(down) else float(down),
        )

    def use_flat_limits(self, threshold: float) -> None:
        """Replace the board limits by one flat band on the change from the previous close, unrounded.

        Qlib's `limit_threshold` model (e.g. 0.095 for every board), kept for reconciling with qlib.backtest.
        """
        prev = np.vstack([np.full((1, len(self.symbols)), np.nan), (self.mark * self.factor)[:-1]]) / self.factor
        self.limit_up = prev * (1 + threshold)
        self.limit_down = prev * (1 - threshold)

    def deal_prices(self, deal_price: str) -> np.ndarray:
        return {"open": self.open, "close": self.close, "vwap": self.vwap}[deal_price]


def load_market(
    store: MarketStore,
    symbols: Sequence[str],
    start: dt.date,
    end: dt.date,
    st_intervals: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[Progress | MarketPanel]:
    """Read the symbols' daily bars for [start, end] plus a warm-up; yields progress, then the panel."""
    calendar = [d for d in store.trading_days() if d <= end.isoformat()]
    store_first_day = calendar[0] if calendar else None
    first = next((k for k, d in enumerate(calendar) if d >= start.isoformat()), len(calendar))
    if first >= len(calendar):
        raise ValueError(f"no trading days in the store between {start} and {end}")
    lo = max(first - _WARMUP_DAYS, 0)
    calendar = calendar[lo:]
    days = np.array(calendar, dtype="datetime64[D]")
    shape = (len(days), len(symbols))
    arrays: dict[str, np.ndarray] = {
        k: np.full(shape, np.nan) for k in ("open", "high", "low", "close", "vwap", "factor", "volume")
    }
    listings = {r["symbol"]: r.get("list_date") for r in store.instruments()}
    first_bars = {s.symbol: s.first_time for s in store.series("1d")}
    list_dates: dict[str, dt.date] = {}
    day_pos = {d: k for k, d in enumerate(calendar)}
    # A read-only connection of our own: one query per symbol straight into arrays, without a DataFrame per
    # symbol (the store's read_bars builds one), which was most of the loading time. WAL lets it read alongside.
    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, check_same_thread=False)
    try:
        for j, symbol in enumerate(symbols):
            if cancel is not None:
                cancel.raise_if_cancelled()
            rows = conn.execute(_BARS_SQL, (symbol, calendar[0], calendar[-1])).fetchall()
            if rows:
                times, *cols = zip(*rows, strict=True)
                at = np.fromiter((day_pos.get(t, -1) for t in times), dtype=np.int64, count=len(times))
                ok = at >= 0
                values = np.array(cols, dtype=float)  # NULL (no amount, no factor) becomes NaN
                for k, col in enumerate(("open", "high", "low", "close", "volume", "amount", "factor")):
                    target = "vwap" if col == "amount" else col
                    arrays[target][at[ok], j] = values[k][ok]
            listed = listings.get(symbol) or _first_bar_day(first_bars.get(symbol), store_first_day)
            if listed:
                list_dates[symbol] = dt.date.fromisoformat(listed[:10])
            if j % 50 == 0:
                yield Progress(j, len(symbols), f"loading bars {symbol}")
    finally:
        conn.close()
    volume = arrays.pop("volume")
    with np.errstate(invalid="ignore", divide="ignore"):
        arrays["vwap"] = np.where(volume > 0, arrays["vwap"] / np.where(volume > 0, volume, 1.0), np.nan)
    yield _build_panel(days, list(symbols), arrays, first - lo, list_dates, st_intervals or {})


def _first_bar_day(first_bar: str | None, store_first_day: str | None) -> str | None:
    """The first stored bar counts as the listing day only when it is later than the store's first day."""
    if first_bar is None or store_first_day is None or first_bar <= store_first_day:
        return None
    return first_bar


def _build_panel(
    days: np.ndarray,
    symbols: list[str],
    a: dict[str, np.ndarray],
    first: int,
    list_dates: dict[str, dt.date],
    st_intervals: Mapping[str, Sequence[tuple[str, str]]],
) -> MarketPanel:
    import pandas as pd

    has_bar = ~np.isnan(a["close"])
    factor = pd.DataFrame(np.where(np.isnan(a["factor"]) & has_bar, 1.0, a["factor"])).ffill().to_numpy()
    # Missing vwap (no amount in the source) falls back to the close rather than refusing the trade; the mask
    # lets the run say how often that happened.
    from_close = np.isnan(a["vwap"]) & has_bar
    vwap = np.where(from_close, a["close"], a["vwap"])
    adj = pd.DataFrame(a["close"] * factor).ffill().to_numpy()
    mark = adj / factor
    # The exchange reference price: yesterday's close, adjusted for an ex-right/ex-dividend day.
    prev_adj = np.vstack([np.full((1, len(symbols)), np.nan), adj[:-1]])
    pre_close = prev_adj / factor
    fraction = np.full(a["close"].shape, np.nan)
    for j, symbol in enumerate(symbols):
        st = _st_mask(days, st_intervals.get(symbol, ()))
        fraction[:, j] = limit_fraction_series(symbol, days, st)
        listed = list_dates.get(symbol)
        if listed is not None and days[0] <= np.datetime64(listed) + 30:
            free = free_days_after_listing(symbol, listed)
            number = np.cumsum(has_bar[:, j] & (days >= np.datetime64(listed)))
            fraction[(number >= 1) & (number <= free), j] = np.nan
    up = round_to_tick(pre_close * (1 + fraction))
    down = round_to_tick(pre_close * (1 - fraction))
    return MarketPanel(
        days, symbols, a["open"], a["high"], a["low"], a["close"], vwap, factor, mark, up, down, first, from_close
    )


def _st_mask(days: np.ndarray, intervals: Sequence[tuple[str, str]]) -> np.ndarray | None:
    if not intervals:
        return None
    mask = np.zeros(len(days), dtype=bool)
    for lo, hi in intervals:
        mask |= (days >= np.datetime64(lo)) & (days <= np.datetime64(hi))
    return mask
