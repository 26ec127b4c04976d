"""From stored bars to what a chart shows: period bars in the chosen adjustment, and their indicators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.market import indicators as ind
from core.market.adjust import adjust, attach_daily_factors, filled_factors
from core.market.aggregate import to_period
from core.market.series import Adjust, BarSeries, Period

# Lines per study group, in drawing order; the chart shows groups by these names.
Studies = dict[str, dict[str, np.ndarray]]


@dataclass(frozen=True, slots=True)
class StudyConfig:
    """Indicator parameters; the defaults are the ones Chinese terminals ship with."""

    ma_windows: tuple[int, ...] = (5, 10, 20, 60)
    ema_windows: tuple[int, ...] = (12, 50)
    boll: tuple[int, float] = (20, 2.0)
    macd: tuple[int, int, int] = (12, 26, 9)
    kdj: tuple[int, int, int] = (9, 3, 3)
    rsi_windows: tuple[int, ...] = (6, 12, 24)
    volume_ma_windows: tuple[int, ...] = (5, 10)


def chart_series(stored: BarSeries, period: Period, mode: Adjust, daily: BarSeries | None = None) -> BarSeries:
    """Bars of `period` in adjustment `mode` from the stored series `period` is built from.

    Adjusting comes before aggregating: a factor that changes inside a week has to be applied to
    each day. Minute bars take their factors from `daily`, and forward adjustment is anchored at
    the latest daily factor, so minute and daily charts of the same day show the same prices.
    """
    base: float | None = None
    if period.is_intraday and daily is not None and len(daily):
        stored = attach_daily_factors(stored, daily)
        known = daily.factor[np.isfinite(daily.factor)]
        base = float(known[-1]) if known.size else None
    return to_period(adjust(stored, mode, base), period)


def latest_factor(series: BarSeries) -> float:
    """The last known adjustment factor, NaN when none is known."""
    if len(series) == 0:
        return float("nan")
    return float(filled_factors(series.factor)[-1])


def compute_studies(bars: BarSeries, config: StudyConfig | None = None) -> Studies:
    """Every indicator group the chart offers, computed once so toggling one on needs no reload."""
    cfg = config or StudyConfig()
    close = bars.close
    out: Studies = {
        "MA": {f"MA{n}": ind.ma(close, n) for n in cfg.ma_windows},
        "EMA": {f"EMA{n}": ind.ema(close, n) for n in cfg.ema_windows},
    }
    mid, upper, lower = ind.boll(close, *cfg.boll)
    out["BOLL"] = {"MID": mid, "UPPER": upper, "LOWER": lower}
    out["VOL"] = {f"MAVOL{n}": ind.ma(bars.volume, n) for n in cfg.volume_ma_windows}
    dif, dea, hist = ind.macd(close, *cfg.macd)
    out["MACD"] = {"DIF": dif, "DEA": dea, "MACD": hist}
    k, d, j = ind.kdj(bars.high, bars.low, close, *cfg.kdj)
    out["KDJ"] = {"K": k, "D": d, "J": j}
    out["RSI"] = {f"RSI{n}": ind.rsi(close, n) for n in cfg.rsi_windows}
    return out
