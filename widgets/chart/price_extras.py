"""PriceExtras: the last-price line and the visible window's highest/lowest price labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen

from widgets.chart.theme import ChartTheme
from widgets.chart.view_state import ChartData


class PriceExtras:
    """What terminals add to the price pane beyond candles: where the price is now, and the extremes."""

    def __init__(self, plot: pg.PlotItem, theme: ChartTheme) -> None:
        self._plot = plot
        # The price tag ends at the pane's right edge, centred on the line: pyqtgraph's default anchor centres
        # it on its position, which cut the tag in half against the axis.
        self.last_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            label="",
            labelOpts={"position": 1.0, "movable": False, "anchors": [(1.0, 0.5), (1.0, 0.5)]},
        )
        self.last_line.setZValue(12)
        plot.addItem(self.last_line, ignoreBounds=True)
        self.high_label = pg.TextItem("", anchor=(0, 1))
        self.low_label = pg.TextItem("", anchor=(0, 0))
        for label in (self.high_label, self.low_label):
            label.setZValue(12)
            plot.addItem(label, ignoreBounds=True)
        self._theme = theme
        self.apply_theme(theme)

    def apply_theme(self, theme: ChartTheme) -> None:
        self._theme = theme
        for label in (self.high_label, self.low_label):
            label.setColor(QColor(theme.text))

    def show(self, data: ChartData, first: int, last: int, fmt: Callable[[float], str]) -> None:
        n = len(data)
        if n == 0 or last < first:
            self.last_line.hide()
            self.high_label.setText("")
            self.low_label.setText("")
            return
        close = float(data.close[-1])
        prev = float(data.close[-2]) if n > 1 else close
        color = self._theme.up if close >= prev else self._theme.down
        pen = QPen(QColor(color))
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.last_line.setPen(pen)
        self.last_line.setPos(close)
        self.last_line.label.setFormat(fmt(close))
        self.last_line.label.fill = pg.mkBrush(color)
        self.last_line.label.setColor(QColor(self._theme.background))
        self.last_line.show()
        hi = first + int(np.nanargmax(data.high[first : last + 1]))
        lo = first + int(np.nanargmin(data.low[first : last + 1]))
        # The arrow points from the label back at the bar, on whichever side has room.
        right_half = (hi - first) > (last - first) / 2
        self.high_label.setText(f"{fmt(float(data.high[hi]))} →" if right_half else f"← {fmt(float(data.high[hi]))}")
        self.high_label.setAnchor((1, 1) if right_half else (0, 1))
        self.high_label.setPos(hi, float(data.high[hi]))
        right_half = (lo - first) > (last - first) / 2
        self.low_label.setText(f"{fmt(float(data.low[lo]))} →" if right_half else f"← {fmt(float(data.low[lo]))}")
        self.low_label.setAnchor((1, 0) if right_half else (0, 0))
        self.low_label.setPos(lo, float(data.low[lo]))
