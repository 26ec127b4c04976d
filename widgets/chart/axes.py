"""Axes for a bar-index x axis: calendar-aware time ticks, and value ticks with unit suffixes."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg

from widgets.chart.formatting import format_axis_time

_TICK_PIXELS = 90  # room one time label needs, so labels never overlap


def boundary_levels(time: np.ndarray, intraday: bool) -> np.ndarray:
    """For each bar, the coarsest calendar unit that starts with it: 4 year, 3 month, 2 day, 1 hour, 0 none."""
    n = time.shape[0]
    levels = np.zeros(n, dtype=np.int8)
    if n == 0:
        return levels
    units = [(4, "datetime64[Y]"), (3, "datetime64[M]"), (2, "datetime64[D]")]
    if intraday:
        units.append((1, "datetime64[h]"))
    # Minute bars are end-labelled: 10:00 closes the 09:59 minute, so shift by a second to find the hour.
    shifted = time - np.timedelta64(1, "s") if intraday else time
    for level, unit in reversed(units):
        stamp = shifted.astype(unit)
        starts = np.r_[True, stamp[1:] != stamp[:-1]]
        levels[starts] = level
    levels[0] = 4
    return levels


class TimeAxisItem(pg.AxisItem):
    """Bottom axis for bar indices: ticks on year/month/day/hour boundaries, as sparse as fits."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self._time = np.empty(0, dtype="datetime64[s]")
        self._levels = np.empty(0, dtype=np.int8)
        self._intraday = False
        self._label_level: dict[int, int] = {}

    def set_times(self, time: np.ndarray, intraday: bool) -> None:
        self._time, self._intraday = time, intraday
        self._levels = boundary_levels(time, intraday)
        self.picture = None  # AxisItem caches its drawing; the labels just changed
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:  # noqa: N802,N803
        n = self._time.shape[0]
        first, last = max(0, math.ceil(minVal)), min(n - 1, math.floor(maxVal))
        if last < first:
            return []
        room = max(2, int(size // _TICK_PIXELS))
        window = self._levels[first : last + 1]
        lowest = 1 if self._intraday else 3
        chosen: np.ndarray | None = None
        for level in range(lowest, 5):
            candidates = np.flatnonzero(window >= level) + first
            if 0 < len(candidates) <= room:
                chosen = candidates
                break
            if len(candidates) > room and level == 4:
                chosen = candidates[:: math.ceil(len(candidates) / room)]
        if chosen is None or len(chosen) < 3:  # few boundaries in view (zoomed in): evenly spaced bars
            step = max(1, math.ceil((last - first + 1) / room))
            chosen = np.arange(math.ceil(first / step) * step, last + 1, step)
        self._label_level = {int(i): int(self._levels[i]) for i in chosen}
        return [(1.0, [float(i) for i in chosen])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        n = self._time.shape[0]
        out = []
        first = True
        for value in values:
            i = int(round(value))
            if not 0 <= i < n:
                out.append("")
                continue
            level = self._label_level.get(i, 0)
            # Inside one month a daily chart labels days; inside one day an intraday chart labels times.
            out.append(format_axis_time(self._time[i], level if level or self._intraday else 2, with_year=first))
            first = False
        return out


class ValueAxisItem(pg.AxisItem):
    """Right-hand value axis whose tick text comes from a formatter (prices, or volumes in 万/亿)."""

    def __init__(self, formatter: Callable[[float], str] | None = None) -> None:
        super().__init__(orientation="right")
        self._formatter = formatter
        self.enableAutoSIPrefix(False)  # the formatter picks units; an "x1e6" label would be noise

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if self._formatter is None:
            return super().tickStrings(values, scale, spacing)
        return [self._formatter(v) for v in values]
