"""Which bars are in view: from the view box's x range to bar indices and back, zoom anchors, limits."""

from __future__ import annotations

import math

MIN_VISIBLE = 10
RIGHT_MARGIN = 2  # empty bars right of the last one, so the newest candle is not glued to the axis
_EPS = 1e-6  # view ranges come back with float noise


def bars_in_view(x0: float, x1: float, n: int) -> tuple[int, int]:
    """First and last of `n` bars fully or partly inside the x range (x0, x1)."""
    # Bar i spans [i - 0.5, i + 0.5]; it counts when any of that is inside (x0, x1).
    return max(0, math.floor(x0 - 0.5 + _EPS) + 1), min(n - 1, math.ceil(x1 + 0.5 - _EPS) - 1)


def x_range_for(first: int, count: int, n: int) -> tuple[float, float]:
    """The x range showing `count` bars from `first`, kept within the `n` bars and the right margin."""
    count = max(min(MIN_VISIBLE, max(n, 1)), min(int(count), n + RIGHT_MARGIN))
    first = min(max(0, int(first)), max(0, n + RIGHT_MARGIN - count))
    return first - 0.5, first + count - 0.5


def zoomed(first: int, last: int, anchor: int, factor: float) -> tuple[int, int]:
    """(first, count) after showing `factor` times as many bars, bar `anchor` staying where it is."""
    count = max(MIN_VISIBLE, round((last - first + 1) * factor))
    ratio = (anchor - first) / max(1, last - first)
    return round(anchor - ratio * (count - 1)), count
