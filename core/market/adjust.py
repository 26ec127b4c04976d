"""Price adjustment for splits and dividends: none, forward (前复权) and backward (后复权)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.market.series import PRICE_FIELDS, Adjust, BarSeries


def has_factors(series: BarSeries) -> bool:
    """Whether any bar carries a known adjustment factor."""
    return bool(np.isfinite(series.factor).any())


def filled_factors(factor: np.ndarray) -> np.ndarray:
    """Factors with gaps filled from the previous known one (leading gaps from the first known one).

    A factor only changes on an ex-rights day, so the last known value is the best guess for a gap;
    bars before the first known factor take that first one.
    """
    known = np.isfinite(factor)
    if known.all() or not known.any():
        return factor.copy()
    index = np.where(known, np.arange(factor.shape[0]), 0)
    np.maximum.accumulate(index, out=index)
    filled = factor[index]
    filled[: int(np.argmax(known))] = factor[known][0]
    return filled


def adjust(series: BarSeries, mode: Adjust, base_factor: float | None = None) -> BarSeries:
    """Adjusted prices; volume and amount stay as traded, as terminals show them under 前复权/后复权.

    backward: raw × factor, so the earliest prices stay close to what was traded at listing.
    forward:  raw × factor / base, so the latest price equals the quote on screen; `base` defaults
              to the series' last factor, and a caller charting old minute bars passes the latest
              daily factor so those bars line up with the forward-adjusted daily chart.
    Without any known factor the series is returned unchanged.
    """
    if mode is Adjust.NONE or len(series) == 0 or not has_factors(series):
        return series
    factor = filled_factors(series.factor)
    if mode is Adjust.FORWARD:
        base = float(factor[-1]) if base_factor is None or not np.isfinite(base_factor) else float(base_factor)
        scale = factor / base
    else:
        scale = factor
    prices = {name: getattr(series, name) * scale for name in PRICE_FIELDS}
    return series.with_fields(**prices)


def attach_daily_factors(minutes: BarSeries, days: BarSeries) -> BarSeries:
    """Minute bars carrying the factor of their trading day's daily bar, where theirs is unknown.

    Vendors deliver 1m bars without factors; the daily series has them, and a factor is constant
    within a day (it changes only at the open of an ex-rights day).
    """
    if len(minutes) == 0 or len(days) == 0:
        return minutes
    minute_day = minutes.day_numbers()
    daily_day = days.day_numbers()
    pos = np.searchsorted(daily_day, minute_day)
    pos_clipped = np.minimum(pos, len(days) - 1)
    same_day = daily_day[pos_clipped] == minute_day
    from_days = np.where(same_day, days.factor[pos_clipped], np.nan)
    factor = np.where(np.isfinite(minutes.factor), minutes.factor, from_days)
    return minutes.with_fields(factor=factor)


@dataclass(frozen=True, slots=True)
class FactorTimeline:
    """A symbol's adjustment factor by day, to move a price between real (traded) and adjusted terms.

    Drawings keep real prices: the factor of the day they are anchored on turns them into whatever
    adjustment the chart shows, and a later dividend changes no stored price.
    """

    days: np.ndarray  # datetime64[D], ascending (repeats allowed)
    factors: np.ndarray  # known factors, gaps filled; empty when the store holds none

    @classmethod
    def of(cls, series: BarSeries) -> FactorTimeline:
        if len(series) == 0 or not has_factors(series):
            return cls(np.empty(0, dtype="datetime64[D]"), np.empty(0))
        return cls(series.time.astype("datetime64[D]"), filled_factors(series.factor))

    def scale(self, mode: Adjust, time: np.datetime64) -> float:
        """Adjusted price ÷ real price on the day of `time`, as `adjust` applies it to a chart in `mode`.

        Before the first known day the first factor holds, after the last the last, on a day without a
        bar the one before it: a factor only changes on an ex-rights day.
        """
        if mode is Adjust.NONE or self.factors.shape[0] == 0:
            return 1.0
        at = int(np.searchsorted(self.days, time.astype("datetime64[D]"), side="right")) - 1
        factor = float(self.factors[max(at, 0)])
        return factor / float(self.factors[-1]) if mode is Adjust.FORWARD else factor
