"""Folding a live bar into ChartData: replace the newest bar or append one, studies alongside."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from widgets.chart.view_state import ChartBar, ChartData, as_datetime64

_PRICE_FIELDS = ("open", "high", "low", "close", "volume", "amount")


@dataclass(frozen=True, slots=True)
class LiveBarChange:
    """The data after a live bar, where it landed and whether it added a bar."""

    data: ChartData
    at: int
    appended: bool
    moved: bool  # the newest bar's time changed, so the time axis needs the new times


def with_live_bar(
    data: ChartData,
    bar: ChartBar,
    studies: Mapping[str, Mapping[str, float]] | None = None,
    appended: bool | None = None,
) -> LiveBarChange | None:
    """`data` with `bar` as its newest bar; None for a late tick of a finished bar (nothing changes).

    Without `appended` a bar with a later time is a new one; week and month bars pass it, as their
    label moves to each new day while the bar stays the same.
    """
    when = as_datetime64(bar.time)
    n = len(data)
    if n and when < data.time[-1]:
        return None
    append = n == 0 or (when > data.time[-1] if appended is None else appended)
    at = n if append else n - 1
    put = {name: _put(getattr(data, name), at, getattr(bar, name)) for name in _PRICE_FIELDS}
    new_studies = {
        group: {
            name: _put(line, at, (studies or {}).get(group, {}).get(name, math.nan)) for name, line in lines.items()
        }
        for group, lines in data.studies.items()
    }
    if append:
        time = np.r_[data.time, np.array([when], dtype="datetime64[s]")]
    else:
        time = data.time.copy()
        time[-1] = when
    moved = append or bool(when != data.time[-1])
    new = replace(
        data,
        time=time,
        studies=new_studies,
        open=put["open"],
        high=put["high"],
        low=put["low"],
        close=put["close"],
        volume=put["volume"],
        amount=put["amount"],
    )
    return LiveBarChange(new, at, append, moved)


def _put(array: np.ndarray, at: int, value: float) -> np.ndarray:
    if at < array.shape[0]:
        out = array.copy()
        out[at] = value
        return out
    return np.r_[array, float(value)]
