"""Sparkline: a tiny line of a metric's recent history, coloured by its level, painted directly.

A plain QWidget with QPainter rather than a pyqtgraph PlotWidget: the Health tab holds a dozen of
them, and each PlotWidget (a graphics view, a view box and hidden axes) cost ~0.1 s to build at launch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

LEVEL_COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "critical": "#c62828", "n/a": "#9e9e9e"}
HEIGHT = 26
WIDTH = 120
_PADDING = 0.05  # of the height, above and below, so a flat line is not drawn on the edge


class Sparkline(QWidget):
    """Shows the recent history of one metric; `set_values` is cheap enough to call every second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(HEIGHT)
        self.setMinimumWidth(WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._level = "ok"
        self._values: tuple[float, ...] = ()
        self.points = 0

    @property
    def level(self) -> str:
        return self._level

    def set_values(self, values: Sequence[float], level: str = "ok") -> None:
        values = tuple(values)
        if values == self._values and level == self._level:
            return  # most metrics are sampled less often than the panel redraws: skip the repaint
        self._values, self._level = values, level
        self.points = len(values)
        self.update()

    def polyline(self) -> QPolygonF:
        """The line in widget coordinates: oldest value at the left edge, newest at the right; gaps (NaN) skipped."""
        finite = [(i, v) for i, v in enumerate(self._values) if math.isfinite(v)]
        if not finite:
            return QPolygonF()
        low, high = min(v for _, v in finite), max(v for _, v in finite)
        span = (high - low) or 1.0
        width, height = max(self.width() - 1, 1), self.height() - 1
        last = max(len(self._values) - 1, 1)
        top, usable = height * _PADDING, height * (1 - 2 * _PADDING)
        return QPolygonF(
            [QPointF(width * i / last, top + usable * (1 - (v - low) / span if high > low else 0.5)) for i, v in finite]
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        line = self.polyline()
        if line.size() < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(LEVEL_COLOURS.get(self._level, LEVEL_COLOURS["n/a"])), 1.5))
        painter.drawPolyline(line)
        painter.end()
