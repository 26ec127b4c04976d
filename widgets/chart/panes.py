"""ChartPane: one stacked plot of the chart (prices or a study) with its glyphs, lines and legend."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPen

from widgets.chart.axes import TimeAxisItem, ValueAxisItem
from widgets.chart.candles import BarGlyphItem, GlyphKind
from widgets.chart.formatting import format_value
from widgets.chart.theme import ChartTheme

AXIS_WIDTH = 62  # every pane's value axis is equally wide, so the panes' x axes line up
_LEGEND_FONT_PT = 9


def _pen(color: str, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


class ChartPane:
    """A PlotItem over bar indices: an optional glyph item (candles, volume, sticks), lines, a legend."""

    def __init__(
        self, key: str, glyph: GlyphKind | None, theme: ChartTheme, value_format: Callable[[float], str] | None = None
    ) -> None:
        self.key = key
        self._value_format = value_format
        self.time_axis = TimeAxisItem()
        self.value_axis = ValueAxisItem(value_format)
        self.value_axis.setWidth(AXIS_WIDTH)
        self.plot = pg.PlotItem(axisItems={"bottom": self.time_axis, "right": self.value_axis})
        self.plot.setObjectName(f"chart_pane_{key}")
        self.plot.hideAxis("left")
        self.plot.showAxis("right")
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        # Lines draw only the visible stretch, about a point per pixel when zoomed far out. Set on the
        # plot: PlotItem.addItem overwrites these modes on every line it is given.
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.view: pg.ViewBox = self.plot.getViewBox()
        # Prices pan and zoom along time only; y follows the visible bars (see `y_range`).
        self.view.setMouseEnabled(x=True, y=False)
        self.view.disableAutoRange()
        self.glyph = BarGlyphItem(glyph) if glyph is not None else None
        if self.glyph is not None:
            self.plot.addItem(self.glyph)
        self.lines: dict[str, pg.PlotDataItem] = {}
        self._line_values: dict[str, np.ndarray] = {}
        self._line_colors: dict[str, str] = {}
        self._legend_html = ""
        self.legend = pg.LabelItem(justify="left")
        self.legend.setParentItem(self.view)
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(2, 0))
        self.legend.setZValue(20)
        self.apply_theme(theme)

    # -- content ---------------------------------------------------------------------------------

    def set_lines(self, lines: Mapping[str, tuple[np.ndarray, str]]) -> None:
        """Show exactly these lines (name -> (values, colour)); other lines of the pane are removed."""
        for name in [n for n in self.lines if n not in lines]:
            self.plot.removeItem(self.lines.pop(name))
            self._line_values.pop(name, None)
            self._line_colors.pop(name, None)
        x = None
        for name, (values, color) in lines.items():
            if x is None or x.shape[0] != values.shape[0]:
                x = np.arange(values.shape[0], dtype=float)
            item = self.lines.get(name)
            if item is None:
                # 'finite' leaves the NaN warm-up bars blank.
                item = self.lines[name] = pg.PlotDataItem(connect="finite")
                self.plot.addItem(item)  # takes the plot's clip-to-view and downsampling modes
            item.setPen(_pen(color, 1.2))
            item.setData(x, values)
            self._line_values[name] = values
            self._line_colors[name] = color

    def line_values(self) -> Mapping[str, np.ndarray]:
        return self._line_values

    def legend_html(self, index: int, title: str = "") -> str:
        """The pane's legend: an optional title, then each line's value at bar `index`, in its colour."""
        parts = [title] if title else []
        # Volume lines read like the volume axis (28.4M, 2.84万), not as raw share counts.
        fmt = self._value_format if self.key == "VOL" and self._value_format is not None else format_value
        for name, values in self._line_values.items():
            value = float(values[index]) if 0 <= index < values.shape[0] else math.nan
            parts.append(f"<span style='color:{self._line_colors[name]}'>{name}: {fmt(value)}</span>")
        return "&nbsp;&nbsp;".join(parts)

    def set_legend(self, html: str) -> None:
        # Laying out rich text is the costliest step of a pan; most steps leave a legend as it was.
        if html != self._legend_html:
            self._legend_html = html
            self.legend.setText(html, size=f"{_LEGEND_FONT_PT}pt")

    # -- geometry --------------------------------------------------------------------------------

    def y_range(self, first: int, last: int, extra: list[np.ndarray] | None = None) -> tuple[float, float] | None:
        """Lowest and highest value drawn between bars `first` and `last` (inclusive), or None."""
        arrays = list(extra or [])
        arrays.extend(values for values in self._line_values.values())
        lows, highs = [], []
        for values in arrays:
            window = values[first : last + 1]
            if window.size and np.isfinite(window).any():
                lows.append(float(np.nanmin(window)))
                highs.append(float(np.nanmax(window)))
        if not lows:
            return None
        return min(lows), max(highs)

    def apply_theme(self, theme: ChartTheme) -> None:
        self.legend.opts["color"] = theme.text
        self._legend_html = ""  # same text, new colour: draw it again
        font = QFont()
        font.setPointSize(8)
        for axis in (self.time_axis, self.value_axis):
            axis.setPen(_pen(theme.axis))
            axis.setTextPen(_pen(theme.muted_text))
            axis.setStyle(tickFont=font, tickLength=-4)
        self.value_axis.setGrid(40)  # faint horizontal grid lines, as terminals draw them
        self.time_axis.setGrid(0)
        if self.glyph is not None:
            self.glyph.set_colors(theme.up, theme.down, theme.hollow_up)

    def show_time_axis(self, shown: bool) -> None:
        # Panes without their own time labels keep the axis line as a hairline between panes.
        self.time_axis.setStyle(showValues=shown)
        self.time_axis.setHeight(None if shown else 1)
