"""Sparkline: a tiny pyqtgraph line with no axes or mouse, coloured by the metric's level."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy, QWidget

LEVEL_COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "critical": "#c62828", "n/a": "#9e9e9e"}
HEIGHT = 26
WIDTH = 120


class Sparkline(pg.PlotWidget):
    """Shows the recent history of one metric; `set_values` is cheap enough to call every second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=None)
        self.setFixedHeight(HEIGHT)
        self.setMinimumWidth(WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        item = self.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(False, False)
        item.getViewBox().setDefaultPadding(0.05)
        self.setContentsMargins(0, 0, 0, 0)
        item.layout.setContentsMargins(0, 0, 0, 0)
        self._curve = item.plot([], [], pen=pg.mkPen(LEVEL_COLOURS["ok"], width=1.5))
        self._level = "ok"
        self._values: tuple[float, ...] = ()
        self.points = 0

    def set_values(self, values: Sequence[float], level: str = "ok") -> None:
        values = tuple(values)
        if values == self._values and level == self._level:
            return  # most metrics are sampled less often than the panel redraws: skip the repaint
        self._values = values
        if level != self._level:
            self._level = level
            self._curve.setPen(pg.mkPen(LEVEL_COLOURS.get(level, LEVEL_COLOURS["n/a"]), width=1.5))
        self.points = len(values)
        self._curve.setData(list(range(len(values))), list(values))
