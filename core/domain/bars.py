"""Bars, bar frequencies and instruments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from core.domain.symbols import Board


class Freq(str, Enum):
    """Stored bar frequencies. Coarser periods (5m, 1w, ...) are aggregated from these."""

    DAY = "1d"
    MINUTE = "1m"

    @property
    def qlib_name(self) -> str:
        return "day" if self is Freq.DAY else "1min"


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar in raw (unadjusted) prices; `factor` is the cumulative backward-adjustment factor."""

    symbol: str
    freq: Freq
    time: dt.datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    amount: float | None = None
    factor: float | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    """A listed security as QDesk knows it."""

    symbol: str
    exchange: str
    board: Board
    name: str = ""
    list_date: dt.date | None = None
    delist_date: dt.date | None = None
    total_shares: float | None = None  # share capital (总股本), shares; None = unknown
    float_shares: float | None = None  # tradable shares (流通股本), the base of turnover %
