"""Loading a chart from the market store: stored bars -> period bars in one adjustment, with their studies.

Written as a generator job (core.jobs): it reports progress and checks its cancel token between
steps, so the desktop can run it on a worker thread and drop it when the user switches symbol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from core.jobs import CancelToken, Progress
from core.market.adjust import FactorTimeline, has_factors
from core.market.series import Adjust, BarSeries, Period
from core.market.studies import Studies, StudyConfig, chart_series, compute_studies, latest_factor
from core.storage.instrument_names import name_as_of
from core.storage.market_store import MarketStore

# Calendar days of minute history read per period: enough bars to fill a wide screen several times,
# few enough that years of stored 1m bars never load at once.
MINUTE_HISTORY_DAYS = {Period.M1: 30, Period.M5: 90, Period.M15: 180, Period.M30: 365, Period.M60: 730}
_STEPS = 4


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """What to chart. `end` (inclusive, 'YYYY-MM-DD') cuts history, as a replay of past days needs."""

    symbol: str
    period: Period = Period.DAY
    adjust: Adjust = Adjust.FORWARD
    studies: StudyConfig = field(default_factory=StudyConfig)
    end: str | None = None


@dataclass(frozen=True, slots=True)
class ChartLoaded:
    """A finished load: chart bars, the adjusted stored-frequency bars they came from, and the studies.

        `live_scale` turns a raw live price of today into this adjustment (prices × scale; volume stays real).
        `adjusted` is False when the store holds no factors for the symbol, so prices stayed raw whatever
        the request asked for. `name` is the one the instrument traded under on the newest bar charted
        (names change: renames, ST periods); empty when the store knows no name. `factors` turn real prices
    into this chart's adjustment and back (drawings are kept in real prices).
    """

    request: ChartRequest
    bars: BarSeries
    base: BarSeries
    studies: Studies
    live_scale: float
    adjusted: bool = True
    daily_end: np.datetime64 | None = None  # the day of the newest stored daily bar (None: no daily bars)
    name: str = ""
    factors: FactorTimeline = field(default_factory=lambda: FactorTimeline.of(BarSeries.empty()))


def load_chart(
    store: MarketStore, request: ChartRequest, cancel: CancelToken | None = None
) -> Iterator[Progress | ChartLoaded]:
    """Read, adjust, aggregate and compute studies; the last item yielded is the ChartLoaded."""
    token = cancel or CancelToken()
    period, mode = request.period, request.adjust
    daily = read_series(store, request.symbol, "1d", end=request.end)
    yield Progress(1, _STEPS, "read")
    token.raise_if_cancelled()
    if period.is_intraday:
        stored = read_series(store, request.symbol, "1m", start=_minute_start(store, request), end=request.end)
    else:
        stored = daily
    yield Progress(2, _STEPS, "read")
    token.raise_if_cancelled()
    base = chart_series(stored, Period.M1 if period.is_intraday else Period.DAY, mode, daily)
    bars = chart_series(stored, period, mode, daily)
    yield Progress(3, _STEPS, "aggregate")
    token.raise_if_cancelled()
    studies = compute_studies(bars, request.studies)
    yield Progress(4, _STEPS, "studies")
    factors = has_factors(daily) or has_factors(stored)
    yield ChartLoaded(
        request,
        bars,
        base,
        studies,
        live_scale(daily if len(daily) else stored, mode),
        mode is Adjust.NONE or factors,
        daily.time[-1].astype("datetime64[D]") if len(daily) else None,
        name_as_of(store, request.symbol, _chart_day(bars, request)),
        FactorTimeline.of(daily if has_factors(daily) else stored),
    )


def read_series(
    store: MarketStore, symbol: str, freq: str, start: str | None = None, end: str | None = None
) -> BarSeries:
    """One stored series as a BarSeries (raw prices with factors); empty when nothing is stored."""
    if end is not None and freq == "1m":
        end = f"{end[:10]} 23:59:59"
    columns = store.read_bar_columns(symbol, freq, start, end)
    if not columns["time"]:
        return BarSeries.empty()
    return BarSeries.from_columns(columns)


def live_scale(series: BarSeries, mode: Adjust) -> float:
    """The factor a raw price of today takes in `mode`: forward charts are anchored at today (1.0)."""
    if mode is not Adjust.BACKWARD:
        return 1.0
    factor = latest_factor(series)
    return factor if np.isfinite(factor) and factor > 0 else 1.0


def _chart_day(bars: BarSeries, request: ChartRequest) -> dt.date:
    """The day the chart shows the instrument as of: its newest bar, else the day history is cut at."""
    if len(bars):
        day: dt.date = bars.time[-1].astype("datetime64[D]").item()
        return day
    return dt.date.fromisoformat(request.end[:10]) if request.end else dt.date.max


def _minute_start(store: MarketStore, request: ChartRequest) -> str | None:
    """The first day of minute history to read: a period-sized window before the newest stored minute."""
    end = request.end
    if end is None:
        last = store.query("SELECT max(time) FROM bars WHERE symbol=? AND freq='1m'", [request.symbol]).fetchone()
        end = last[0] if last and last[0] else None
    if end is None:
        return None
    first = dt.date.fromisoformat(end[:10]) - dt.timedelta(days=MINUTE_HISTORY_DAYS[request.period])
    return first.isoformat()
