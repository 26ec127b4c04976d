"""Drawing tools on the price pane: trend lines, horizontal lines, Fibonacci retracements.

Each drawing is anchored to bar times and prices, not to bar indices, so it lands on the same dates
after a period change, a zoom or a reload with more history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPen

from widgets.chart.theme import ChartTheme

DrawingKind = Literal["trend", "hline", "fib"]
DRAWING_KINDS: tuple[DrawingKind, ...] = ("trend", "hline", "fib")
POINTS_NEEDED = {"trend": 2, "hline": 1, "fib": 2}
FIB_LEVELS = (0.0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0)
HIT_PIXELS = 6.0  # how near (in pixels) a click must come to a line to pick it


@dataclass(frozen=True)
class ChartDrawing:
    """One drawing: its kind and anchors, each a bar's END time (datetime64[s]) and a price as shown."""

    kind: DrawingKind
    points: tuple[tuple[np.datetime64, float], ...]


def bar_index(time: np.ndarray, anchor: np.datetime64, intraday: bool) -> int | None:
    """The bar of `time` that holds `anchor`; None when it lies outside the loaded bars.

    Day, week and month bars compare by date (a week bar holds the days up to its label); minute
    bars by time, so a day's anchor lands on that day's first minute bar.
    """
    n = time.shape[0]
    if n == 0:
        return None
    unit = "datetime64[s]" if intraday else "datetime64[D]"
    stamps, at = time.astype(unit), anchor.astype(unit)
    if intraday:
        first_day = time[0].astype("datetime64[D]")
        if at.astype("datetime64[D]") < first_day or at > stamps[-1]:
            return None
    elif at < stamps[0].astype("datetime64[M]").astype(unit) or at > stamps[-1]:
        return None
    return min(int(np.searchsorted(stamps, at, side="left")), n - 1)


def _pen(color: str, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


def fib_prices(start: float, end: float) -> list[tuple[float, float]]:
    """(level, price) of each retracement line: 0% at the move's end, 100% back at its start."""
    return [(level, end + (start - end) * level) for level in FIB_LEVELS]


class DrawingLayer(QObject):
    """The drawings of the charted symbol on one PlotItem: placing, picking, adding and deleting them."""

    sig_changed = Signal()  # the user added or deleted a drawing

    def __init__(self, plot: pg.PlotItem, theme: ChartTheme) -> None:
        super().__init__()
        self._plot = plot
        self._theme = theme
        self.drawings: list[ChartDrawing] = []
        self.selected: int | None = None
        self.tool: DrawingKind | None = None
        self._pending: list[tuple[int, float]] = []  # points clicked so far for the tool (bar index, price)
        self._time = np.empty(0, dtype="datetime64[s]")
        self._intraday = False
        self._items: list[list[pg.GraphicsObject]] = []
        self._segments: list[list[tuple[float, float, float, float]]] = []  # per drawing, in view coordinates
        self._preview = pg.PlotCurveItem()
        self._preview.setZValue(15)
        plot.addItem(self._preview, ignoreBounds=True)
        self.apply_theme(theme)

    # -- state -------------------------------------------------------------------------------------

    def set_drawings(self, drawings: list[ChartDrawing]) -> None:
        self.drawings = list(drawings)
        self.selected = None
        self.redraw()

    def place(self, time: np.ndarray, intraday: bool) -> None:
        """The bars the anchors are mapped onto (after a load or a new bar)."""
        self._time, self._intraday = time, intraday
        self.redraw()

    def apply_theme(self, theme: ChartTheme) -> None:
        self._theme = theme
        self._preview.setPen(_pen(theme.signal, 1.0, Qt.PenStyle.DashLine))
        self.redraw()

    def start(self, tool: DrawingKind | None) -> None:
        """Arm a tool (None disarms it); the next clicks on the price pane place its points."""
        self.tool = tool
        self._pending = []
        self._preview.setData([], [])

    # -- user input --------------------------------------------------------------------------------

    def click(self, x: float, y: float) -> bool:
        """A left click at view point (x, y) while a tool is armed; True once it completes a drawing."""
        if self.tool is None or self._time.shape[0] == 0:
            return False
        index = min(max(0, round(x)), self._time.shape[0] - 1)
        self._pending.append((index, float(y)))
        if len(self._pending) < POINTS_NEEDED[self.tool]:
            return False
        points = tuple((self._time[i], price) for i, price in self._pending)
        self.drawings.append(ChartDrawing(self.tool, points))
        self.start(None)
        self.selected = len(self.drawings) - 1
        self.redraw()
        self.sig_changed.emit()
        return True

    def hover(self, x: float, y: float) -> None:
        """Rubber band from the first point of a two-point tool to the mouse."""
        if self.tool is None or not self._pending:
            return
        x0, y0 = self._pending[0]
        self._preview.setData([float(x0), x], [y0, y])

    def hit(self, scene_pos: QPointF) -> int | None:
        """The drawing within HIT_PIXELS of `scene_pos`, nearest first; None when there is none."""
        view = self._plot.getViewBox()
        best, best_distance = None, HIT_PIXELS
        for number, segments in enumerate(self._segments):
            for x0, y0, x1, y1 in segments:
                a, b = view.mapViewToScene(QPointF(x0, y0)), view.mapViewToScene(QPointF(x1, y1))
                distance = _distance(scene_pos, a, b)
                if distance <= best_distance:
                    best, best_distance = number, distance
        return best

    def select(self, number: int | None) -> None:
        self.selected = number
        self.redraw()

    def delete_selected(self) -> bool:
        if self.selected is None or not 0 <= self.selected < len(self.drawings):
            return False
        del self.drawings[self.selected]
        self.selected = None
        self.redraw()
        self.sig_changed.emit()
        return True

    def clear(self) -> None:
        if self.drawings:
            self.set_drawings([])
            self.sig_changed.emit()

    # -- drawing -----------------------------------------------------------------------------------

    def redraw(self) -> None:
        for items in self._items:
            for item in items:
                self._plot.removeItem(item)
        self._items, self._segments = [], []
        for number, drawing in enumerate(self.drawings):
            color = self._theme.signal
            pen = _pen(color, 2.2 if number == self.selected else 1.2)
            items, segments = self._build(drawing, pen, color)
            for item in items:
                item.setZValue(12)
                self._plot.addItem(item, ignoreBounds=True)
            self._items.append(items)
            self._segments.append(segments)

    def _build(
        self, drawing: ChartDrawing, pen: QPen, color: str
    ) -> tuple[list[pg.GraphicsObject], list[tuple[float, float, float, float]]]:
        if drawing.kind == "hline":
            price = drawing.points[0][1]
            line = pg.InfiniteLine(pos=price, angle=0, pen=pen, label=f"{price:.2f}", labelOpts={"position": 0.88})
            line.label.setColor(color)
            return [line], [(-1e9, price, 1e9, price)]
        xs = [bar_index(self._time, t, self._intraday) for t, _ in drawing.points]
        if any(x is None for x in xs):
            return [], []  # drawn on bars this chart has not loaded
        (x0, y0), (x1, y1) = ((float(x), p) for x, (_, p) in zip(xs, drawing.points, strict=True))  # type: ignore[arg-type]
        if drawing.kind == "trend":
            return [pg.PlotCurveItem([x0, x1], [y0, y1], pen=pen)], [(x0, y0, x1, y1)]
        left, end = min(x0, x1), max(x0, x1, min(x0, x1) + 1)
        items: list[pg.GraphicsObject] = [
            pg.PlotCurveItem([x0, x1], [y0, y1], pen=_pen(color, 1.0, Qt.PenStyle.DotLine))
        ]
        segments = []
        for level, price in fib_prices(y0, y1):
            items.append(pg.PlotCurveItem([left, end], [price, price], pen=pen))
            label = pg.TextItem(f"{level * 100:.1f}%  {price:.2f}", color=color, anchor=(0, 1))
            label.setPos(left, price)
            items.append(label)
            segments.append((left, price, end, price))
        return items, segments


def _distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """Pixels from `p` to the segment a–b."""
    ax, ay, bx, by, px, py = a.x(), a.y(), b.x(), b.y(), p.x(), p.y()
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))
