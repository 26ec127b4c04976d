"""BarGlyphItem: candles, volume bars or MACD sticks, drawn chunk by chunk from cached QPictures.

Only the chunks that overlap the visible x range are played back on a repaint, and a chunk's
picture is recorded once and reused until its bars change (a live update re-records one chunk),
so ten years of daily bars pan as fast as one screen of them.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPicture
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

GlyphKind = Literal["candle", "volume", "stick"]
CHUNK = 128  # bars per cached picture: small enough that little is drawn outside the view
_BODY = 0.7  # body width in bars; the gap keeps neighbouring candles apart
# Below this many pixels per bar a body cannot be seen: draw the high-low line alone, as terminals do.
_THIN_PIXELS = 3.0


class BarGlyphItem(pg.GraphicsObject):
    """One glyph per bar at x = bar index; colours come from the bar's direction (+1 up, -1 down)."""

    def __init__(self, kind: GlyphKind) -> None:
        super().__init__()
        self._kind = kind
        self._up = QColor("#f23d4f")
        self._down = QColor("#19b36b")
        self._hollow_up = True
        empty = np.empty(0)
        self._open = self._high = self._low = self._close = empty
        self._direction = np.empty(0, dtype=np.int8)
        self._pictures: dict[tuple[int, bool], QPicture] = {}
        self._bounds = QRectF()
        # What the last paint drew, for tests and benchmarks: chunk indices and bar count.
        self.painted_chunks: list[int] = []
        self.painted_bars = 0

    # -- data ------------------------------------------------------------------------------------

    def set_bars(
        self, open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, direction: np.ndarray
    ) -> None:
        """Replace all bars. Volume bars pass the volume as `high` and zeros elsewhere; sticks likewise."""
        self.prepareGeometryChange()
        self._open, self._high, self._low, self._close = open_, high, low, close
        self._direction = direction
        self._pictures.clear()
        self._bounds = self._compute_bounds()
        self.update()

    def update_bars(
        self,
        open_: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        direction: np.ndarray,
        changed_from: int,
    ) -> None:
        """New arrays that differ from the current ones only from bar `changed_from` on (a live update):
        only the chunks from there are re-recorded."""
        self._open, self._high, self._low, self._close = open_, high, low, close
        self._direction = direction
        first_chunk = max(0, changed_from) // CHUNK
        for key in [k for k in self._pictures if k[0] >= first_chunk]:
            del self._pictures[key]
        self.prepareGeometryChange()
        self._bounds = self._compute_bounds()
        self.update()

    def set_colors(self, up: str, down: str, hollow_up: bool) -> None:
        self._up, self._down, self._hollow_up = QColor(up), QColor(down), hollow_up
        self._pictures.clear()
        self.update()

    def __len__(self) -> int:
        return int(self._close.shape[0])

    @property
    def heights(self) -> np.ndarray:
        """The value each volume bar or stick reaches (the `high` array)."""
        return self._high

    # -- QGraphicsItem ---------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        n = len(self)
        self.painted_chunks, self.painted_bars = [], 0
        view = self.getViewBox()
        if n == 0 or view is None:
            return
        (x0, x1), _ = view.viewRange()
        width = max(view.width(), 1.0)
        thin = self._kind != "stick" and width / max(x1 - x0, 1e-9) < _THIN_PIXELS
        first = max(0, math.floor(x0 + 0.5)) // CHUNK
        last = min(n - 1, math.ceil(x1 - 0.5)) // CHUNK
        for chunk in range(first, last + 1):
            key = (chunk, thin)
            picture = self._pictures.get(key)
            if picture is None:
                picture = self._pictures[key] = self._record(chunk, thin)
            picture.play(painter)
            self.painted_chunks.append(chunk)
            self.painted_bars += min(n, (chunk + 1) * CHUNK) - chunk * CHUNK

    # -- drawing ---------------------------------------------------------------------------------

    def _compute_bounds(self) -> QRectF:
        if len(self) == 0:
            return QRectF()
        if self._kind == "candle":
            lo, hi = float(np.nanmin(self._low)), float(np.nanmax(self._high))
        else:
            lo, hi = min(0.0, float(np.nanmin(self._high))), max(0.0, float(np.nanmax(self._high)))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return QRectF()
        return QRectF(-0.5, float(lo), float(len(self)), float(hi - lo) or 1.0)

    def _pens(self) -> tuple[QPen, QPen]:
        # Cosmetic pens stay one pixel wide however far the view is zoomed. Flat caps: a square cap is
        # sized in data units under the view's non-uniform scale and paints a bar-wide block.
        up, down = QPen(self._up), QPen(self._down)
        for pen in (up, down):
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return up, down

    def _record(self, chunk: int, thin: bool) -> QPicture:
        picture = QPicture()
        painter = QPainter(picture)
        try:
            start, stop = chunk * CHUNK, min(len(self), (chunk + 1) * CHUNK)
            draw = {"candle": self._draw_candles, "volume": self._draw_volume, "stick": self._draw_sticks}
            draw[self._kind](painter, start, stop, thin)
        finally:
            painter.end()
        return picture

    def _draw_candles(self, painter: QPainter, start: int, stop: int, thin: bool) -> None:
        up_pen, down_pen = self._pens()
        half = _BODY / 2
        for i in range(start, stop):
            o, h, lo, c = self._open[i], self._high[i], self._low[i], self._close[i]
            if not math.isfinite(c):
                continue
            rising = self._direction[i] >= 0
            painter.setPen(up_pen if rising else down_pen)
            if thin:
                _vline(painter, i, lo, h)
                continue
            top, bottom = max(o, c), min(o, c)
            if rising and self._hollow_up:
                # The wick stops at the body so the hollow body stays empty.
                _vline(painter, i, top, h)
                _vline(painter, i, lo, bottom)
                painter.setBrush(QBrush())
            else:
                _vline(painter, i, lo, h)
                painter.setBrush(QBrush(self._up if rising else self._down))
            if top == bottom:
                painter.drawLine(QLineF(i - half, top, i + half, top))  # doji: a flat body
            else:
                painter.drawRect(QRectF(i - half, bottom, _BODY, top - bottom))

    def _draw_volume(self, painter: QPainter, start: int, stop: int, thin: bool) -> None:
        up_pen, down_pen = self._pens()
        half = _BODY / 2
        for i in range(start, stop):
            v = self._high[i]
            if not math.isfinite(v) or v <= 0:
                continue
            rising = self._direction[i] >= 0
            painter.setPen(up_pen if rising else down_pen)
            if thin:
                _vline(painter, i, 0.0, v)
                continue
            painter.setBrush(QBrush() if rising and self._hollow_up else QBrush(self._up if rising else self._down))
            painter.drawRect(QRectF(i - half, 0.0, _BODY, v))

    def _draw_sticks(self, painter: QPainter, start: int, stop: int, thin: bool) -> None:
        up_pen, down_pen = self._pens()
        for i in range(start, stop):
            v = self._high[i]
            if not math.isfinite(v):
                continue
            painter.setPen(up_pen if v >= 0 else down_pen)
            _vline(painter, i, min(0.0, v), max(0.0, v))


def _vline(painter: QPainter, x: float, low: float, high: float) -> None:
    """A vertical line from `low` up to `high`; nothing when they are equal (a one-price bar's wick).

    Qt paints a zero-length line as a dot whose size comes from the data transform, not the pen,
    which showed as a bar-wide block across the candle.
    """
    if high > low:
        painter.drawLine(QLineF(x, low, x, high))
