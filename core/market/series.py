"""BarSeries: one symbol's bars as parallel numpy arrays, plus the chart periods and adjustment modes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

import numpy as np

FIELDS = ("open", "high", "low", "close", "volume", "amount", "factor")
PRICE_FIELDS = ("open", "high", "low", "close")


class Period(str, Enum):
    """Chart periods; the minute ones are built from stored 1m bars, week and month from stored 1d bars."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    M60 = "60m"
    DAY = "1d"
    WEEK = "1w"
    MONTH = "1mo"

    @property
    def is_intraday(self) -> bool:
        return self not in (Period.DAY, Period.WEEK, Period.MONTH)

    @property
    def minutes(self) -> int:
        """Length in trading minutes (intraday periods only)."""
        if not self.is_intraday:
            raise ValueError(f"{self.value} is not an intraday period")
        return int(self.value[:-1])


class Adjust(str, Enum):
    """Price adjustment: raw, 前复权 (latest price kept), 后复权 (first listing price kept)."""

    NONE = "none"
    FORWARD = "forward"
    BACKWARD = "backward"


@dataclass(frozen=True, slots=True)
class BarSeries:
    """Bars of one symbol in time order. `time` is datetime64[s], the bar's END (days at midnight).

    Arrays are float64 and share one length; `factor` is the cumulative backward-adjustment factor
    (NaN where unknown). Functions return new series and never write into their input's arrays.
    """

    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    amount: np.ndarray
    factor: np.ndarray

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @classmethod
    def empty(cls) -> BarSeries:
        nothing = np.empty(0, dtype=float)
        return cls(np.empty(0, dtype="datetime64[s]"), *(nothing.copy() for _ in FIELDS))

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> BarSeries:
        """From a mapping (a DataFrame works) with `time` as text or datetimes and the FIELDS columns.

        Missing `amount`/`factor` become NaN, so vendor files without them still chart.
        """
        time = np.asarray(_values(columns["time"]))
        # Text times ('YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS') parse directly; numpy accepts the space.
        time = time.astype("datetime64[s]")
        n = time.shape[0]
        arrays = []
        for name in FIELDS:
            if name in columns:
                arrays.append(np.asarray(_values(columns[name]), dtype=float).copy())
            else:
                arrays.append(np.full(n, np.nan))
        return cls(time, *arrays)

    def slice(self, start: int, stop: int | None = None) -> BarSeries:
        """Bars [start, stop) as a new series (copies, so callers may modify them)."""
        return BarSeries(*(getattr(self, f)[start:stop].copy() for f in ("time", *FIELDS)))

    def with_fields(self, **arrays: np.ndarray) -> BarSeries:
        """A copy with some arrays replaced."""
        return replace(self, **arrays)

    def upsert_last(self, other: BarSeries) -> BarSeries:
        """Merge newer bars: a bar with the last bar's time replaces it, later ones are appended.

        Bars older than the last one are ignored: live feeds only ever move the right edge.
        """
        if len(other) == 0:
            return self
        if len(self) == 0:
            return other
        last_time = self.time[-1]
        newer = other.time >= last_time
        if not newer.any():
            return self
        keep = len(self) - (1 if other.time[newer][0] == last_time else 0)
        head = self.slice(0, keep)
        tail = other.slice(int(np.argmax(newer)))
        return BarSeries(*(np.concatenate([getattr(head, f), getattr(tail, f)]) for f in ("time", *FIELDS)))

    def day_numbers(self) -> np.ndarray:
        """Days since 1970-01-01 of each bar (int64), for grouping by trading day."""
        return self.time.astype("datetime64[D]").astype(np.int64)


def _values(column: Any) -> Any:
    # pandas Series -> ndarray without importing pandas here.
    to_numpy = getattr(column, "to_numpy", None)
    return to_numpy() if to_numpy is not None else column
