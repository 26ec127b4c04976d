"""MarkerLayer: buy/sell trade arrows and model-signal diamonds on the price pane."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPainterPath

from widgets.chart.theme import ChartTheme
from widgets.chart.view_state import ChartMarker, as_datetime64

_SIZE = 13
# More labels than this would be an unreadable smear; the arrows alone still show every trade.
_MAX_LABELS = 300


def _arrow(pointing_up: bool) -> QPainterPath:
    """An arrow whose tip sits exactly on the marker's price (symbol y grows downwards)."""
    sign = 1.0 if pointing_up else -1.0
    path = QPainterPath()
    path.moveTo(0.0, 0.0)
    path.lineTo(-0.5, 0.6 * sign)
    path.lineTo(-0.18, 0.6 * sign)
    path.lineTo(-0.18, 1.1 * sign)
    path.lineTo(0.18, 1.1 * sign)
    path.lineTo(0.18, 0.6 * sign)
    path.lineTo(0.5, 0.6 * sign)
    path.closeSubpath()
    return path


_BUY, _SELL = _arrow(True), _arrow(False)


def bar_index_of(times: np.ndarray, when: np.datetime64, intraday: bool) -> int | None:
    """Index of the end-labelled bar containing `when`, or None outside the chart."""
    if times.shape[0] == 0:
        return None
    first_day = times[0].astype("datetime64[D]")
    # A week or month bar is labelled by its last day, so its first days come before the label.
    gap = times[1] - times[0] if times.shape[0] > 1 else np.timedelta64(0, "s")
    long_bars = not intraday and gap >= np.timedelta64(5, "D")
    slack = np.timedelta64(0 if not long_bars else 30 if gap >= np.timedelta64(20, "D") else 6, "D")
    if when.astype("datetime64[D]") < first_day - slack:
        return None  # before the first bar: no bar contains it
    if intraday:
        i = int(np.searchsorted(times, when, side="left"))
    else:
        # Day and week bars are labelled by date: compare dates, so a 10:15 trade lands on its day/week.
        i = int(np.searchsorted(times.astype("datetime64[D]"), when.astype("datetime64[D]"), side="left"))
    return i if i < times.shape[0] else None


def _merged(texts: list[str]) -> str:
    """One label for a bar's markers: 'B×3' for three alike, else the distinct texts in order."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) == 1:
        return distinct[0] if len(texts) == 1 else f"{distinct[0]}×{len(texts)}"
    return " ".join(distinct)


class MarkerLayer:
    """Draws ChartMarkers as one scatter item plus text labels; re-placed when the bars change."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self.scatter = pg.ScatterPlotItem(pxMode=True)
        self.scatter.setZValue(15)
        plot.addItem(self.scatter)
        self._labels: list[pg.TextItem] = []
        self.markers: list[ChartMarker] = []
        self.placed: list[tuple[int, float, str]] = []  # (bar index, price, kind) of drawn markers

    def set_markers(self, markers: Sequence[ChartMarker]) -> None:
        self.markers = list(markers)

    def place(self, times: np.ndarray, intraday: bool, theme: ChartTheme) -> None:
        """Put every marker on its bar; markers outside the loaded bars are left out."""
        for label in self._labels:
            self._plot.removeItem(label)
        self._labels.clear()
        spots, self.placed = [], []
        colors = {"buy": theme.buy, "sell": theme.sell, "signal": theme.signal}
        symbols = {"buy": _BUY, "sell": _SELL, "signal": "d"}
        labels: dict[tuple[int, str], tuple[float, QColor, list[str]]] = {}
        for marker in self.markers:
            index = bar_index_of(times, as_datetime64(marker.time), intraday)
            if index is None:
                continue
            color = QColor(colors.get(marker.kind, theme.signal))
            spots.append(
                {
                    "pos": (index, marker.price),
                    "symbol": symbols.get(marker.kind, "d"),
                    "size": _SIZE,
                    "brush": color,
                    "pen": pg.mkPen(theme.background, width=0.5),
                    "data": marker,
                }
            )
            self.placed.append((index, marker.price, marker.kind))
            if marker.text:
                # Several fills of one bar and side share one label instead of piling up on one spot.
                labels.setdefault((index, marker.kind), (marker.price, color, []))[2].append(marker.text)
        for (index, kind), (price, color, texts) in list(labels.items())[:_MAX_LABELS]:
            below = kind == "buy"
            label = pg.TextItem(_merged(texts), color=color, anchor=(0.5, -0.9) if below else (0.5, 1.9))
            label.setPos(index, price)
            self._plot.addItem(label)
            self._labels.append(label)
        self.scatter.setData(spots)

    def label_texts(self) -> list[str]:
        return [label.toPlainText() for label in self._labels]
