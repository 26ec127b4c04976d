"""What the chart panel renders: plain arrays and small dataclasses, filled in by its presenter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

# Keys the panel knows; the presenter sends the same strings (they match core.market.series).
PERIODS = ("1m", "5m", "15m", "30m", "60m", "1d", "1w", "1mo")
ADJUSTMENTS = ("none", "forward", "backward")
OVERLAYS = ("MA", "EMA", "BOLL")
SUB_PANES = ("VOL", "MACD", "KDJ", "RSI")
MarkerKind = Literal["buy", "sell", "signal"]
Studies = Mapping[str, Mapping[str, np.ndarray]]


def _no_studies() -> dict[str, dict[str, np.ndarray]]:
    return {}


@dataclass(frozen=True)
class ChartData:
    """One symbol's bars in one period and adjustment, with every study group computed.

    `time` is datetime64[s] holding each bar's END (days at midnight); the price arrays are float64
    of the same length. `studies` maps a group ("MA", "MACD", ...) to its named lines.
    """

    symbol: str
    period: str
    adjust: str
    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    amount: np.ndarray
    studies: Studies = field(default_factory=_no_studies)
    name: str = ""
    price_decimals: int = 2
    note: str = ""

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @property
    def intraday(self) -> bool:
        return self.period not in ("1d", "1w", "1mo")


@dataclass(frozen=True, slots=True)
class ChartBar:
    """The newest bar as a live feed reports it (same period and adjustment as the chart)."""

    time: np.datetime64 | dt.datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    amount: float = float("nan")


@dataclass(frozen=True, slots=True)
class ChartMarker:
    """A trade or model-signal mark on the candles: drawn at `price` on the bar that contains `time`."""

    time: np.datetime64 | dt.datetime | dt.date | str
    price: float
    kind: MarkerKind = "signal"
    text: str = ""


def as_datetime64(value: np.datetime64 | dt.datetime | dt.date | str) -> np.datetime64:
    """Any of the time spellings markers and bars arrive in, as naive datetime64[s]."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Chart times are Beijing wall time; China has no daylight saving time.
        value = value.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[s]")
    return np.datetime64(value, "s")
