"""TimeShareWidget: the 分时 view — minute price and average lines over a fixed session axis, volume below."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPen, QResizeEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from widgets.chart.candles import BarGlyphItem
from widgets.chart.formatting import format_price, format_volume
from widgets.chart.panes import AXIS_WIDTH
from widgets.chart.theme import ChartTheme

SLOTS = 240  # trading minutes: 09:31..11:30 then 13:01..15:00, with no room for the lunch break
# Axis labels at slot boundaries: x = k - 0.5 is where slot k starts.
_TIME_TICKS = ((-0.5, "09:30"), (59.5, "10:30"), (119.5, "11:30/13:00"), (179.5, "14:00"), (239.5, "15:00"))
_MIN_SPAN = 0.01  # the price axis spans at least ±1% of the previous close, so a quiet day is not magnified
_Y_PADDING = 1.08


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


def slot_time(slot: int) -> str:
    """'10:31' for the minute slot `slot` ends (slot 0 ends 09:31, slot 120 ends 13:01)."""
    minute = 9 * 60 + 31 + slot if slot < 120 else 13 * 60 + 1 + slot - 120
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class TimeShareData:
    """One session's 分时 as the view draws it: SLOTS-long arrays, NaN past the last traded minute."""

    symbol: str
    day: str  # 'YYYY-MM-DD', or '' when nothing is stored
    pre_close: float
    price: np.ndarray
    average: np.ndarray
    volume: np.ndarray
    limit_up: float = math.nan
    limit_down: float = math.nan
    name: str = ""
    price_decimals: int = 2

    @property
    def traded(self) -> int:
        finite = np.flatnonzero(np.isfinite(self.price))
        return int(finite[-1]) + 1 if finite.size else 0


def _pen(color: str, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


class _SessionAxis(pg.AxisItem):
    """Bottom axis fixed to the session: 09:30 … 11:30/13:00 … 15:00, whatever has traded."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:  # noqa: N802,N803
        return [(1.0, [x for x, _ in _TIME_TICKS])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        labels = dict(_TIME_TICKS)
        return [labels.get(v, "") for v in values]


class _PercentAxis(pg.AxisItem):
    """Right axis: each price level as its change from the previous close (the 0% line)."""

    def __init__(self) -> None:
        super().__init__(orientation="right")
        self.base = math.nan
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if not (math.isfinite(self.base) and self.base > 0):
            return ["" for _ in values]
        return [f"{(v / self.base - 1) * 100:+.2f}%" for v in values]


class _FormatAxis(pg.AxisItem):
    """Left axis whose tick text comes from a formatter (prices, or volumes in 万/亿)."""

    def __init__(self, formatter: Callable[[float], str]) -> None:
        super().__init__(orientation="left")
        self._formatter = formatter
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [self._formatter(v) for v in values]


class TimeShareWidget(QWidget):
    """Price (left axis) and change % (right axis) about the previous close; volume bars below."""

    def __init__(self, theme: ChartTheme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeshare_view")
        self._theme = theme
        self._data: TimeShareData | None = None
        self._cursor: int | None = None
        self._decimals = 2
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setObjectName("timeshare_graphics")
        self.graphics.ci.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)

        self.percent_axis = _PercentAxis()
        self.price_plot = pg.PlotItem(
            axisItems={"left": _FormatAxis(lambda v: format_price(v, self._decimals)), "right": self.percent_axis}
        )
        self.volume_plot = pg.PlotItem(
            axisItems={"left": _FormatAxis(format_volume), "bottom": _SessionAxis(orientation="bottom")}
        )
        for plot in (self.price_plot, self.volume_plot):
            plot.showAxis("right")
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
            plot.getViewBox().disableAutoRange()
            plot.setXRange(-0.5, SLOTS - 0.5, padding=0)
            plot.getAxis("left").setWidth(AXIS_WIDTH)
            plot.getAxis("right").setWidth(AXIS_WIDTH)
        self.price_plot.hideAxis("bottom")
        self.volume_plot.getAxis("right").setStyle(showValues=False)
        self.volume_plot.setXLink(self.price_plot)
        self.graphics.addItem(self.price_plot, row=0, col=0)
        self.graphics.addItem(self.volume_plot, row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)

        self.zero_line = pg.InfiniteLine(angle=0, movable=False)
        self.limit_up_line = pg.InfiniteLine(angle=0, movable=False)
        self.limit_down_line = pg.InfiniteLine(angle=0, movable=False)
        self.hour_lines = [
            pg.InfiniteLine(pos=x, angle=90, movable=False) for _ in range(2) for x in (59.5, 119.5, 179.5)
        ]
        for number, line in enumerate(self.hour_lines):
            (self.price_plot if number < 3 else self.volume_plot).addItem(line, ignoreBounds=True)
        self.price_line = pg.PlotDataItem(connect="finite")
        self.average_line = pg.PlotDataItem(connect="finite")
        self.volume_bars = BarGlyphItem("volume")
        for item in (self.zero_line, self.limit_up_line, self.limit_down_line):
            self.price_plot.addItem(item, ignoreBounds=True)
        self.price_plot.addItem(self.price_line)
        self.price_plot.addItem(self.average_line)
        self.volume_plot.addItem(self.volume_bars)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False)
        self.cursor_line.hide()
        self.price_plot.addItem(self.cursor_line, ignoreBounds=True)
        self.legend = pg.LabelItem(justify="left")
        self.legend.setParentItem(self.price_plot.getViewBox())
        self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(2, 0))
        self.legend.setZValue(20)
        self.graphics.scene().sigMouseMoved.connect(self._on_scene_sig_mouse_moved)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("timeshare_message_label")
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        self.message_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.message_label.hide()
        self.apply_theme(theme)

    # -- public API ----------------------------------------------------------------------------------

    @property
    def data(self) -> TimeShareData | None:
        return self._data

    def set_data(self, data: TimeShareData) -> None:
        self._data = data
        n = data.traded
        x = np.arange(n, dtype=float)
        self.price_line.setData(x, data.price[:n])
        self.average_line.setData(x, data.average[:n])
        price = data.price[:n]
        prev = np.r_[data.pre_close, price[:-1]] if n else price
        direction = np.where(price >= prev, 1, -1).astype(np.int8)
        zeros = np.zeros(n)
        self.volume_bars.set_bars(zeros, data.volume[:n], zeros, zeros, direction)
        self._decimals = data.price_decimals
        self.percent_axis.base = data.pre_close
        for line, value in (
            (self.zero_line, data.pre_close),
            (self.limit_up_line, data.limit_up),
            (self.limit_down_line, data.limit_down),
        ):
            line.setVisible(math.isfinite(value))
            if math.isfinite(value):
                line.setValue(value)
        self._fit()
        self.set_cursor(None)

    def show_message(self, text: str) -> None:
        """A line over the view (nothing stored for the day); empty text hides it."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        self.message_label.setGeometry(0, 0, self.width(), self.height())
        self.message_label.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.message_label.setGeometry(0, 0, self.width(), self.height())

    def price_range(self) -> tuple[float, float]:
        """The price axis's span: symmetric about the previous close, so 0% sits in the middle."""
        (_, _), (lo, hi) = self.price_plot.getViewBox().viewRange()
        return lo, hi

    def set_cursor(self, slot: int | None) -> None:
        data = self._data
        if data is None or data.traded == 0:
            self._cursor = None
            self.cursor_line.hide()
            self.legend.setText("")
            return
        self._cursor = None if slot is None else min(max(0, slot), data.traded - 1)
        self.cursor_line.setVisible(self._cursor is not None)
        if self._cursor is not None:
            self.cursor_line.setValue(self._cursor)
        self.legend.setText(self.legend_html(), size="9pt")

    def legend_html(self) -> str:
        data = self._data
        if data is None or data.traded == 0:
            return ""
        i = self._cursor if self._cursor is not None else data.traded - 1
        t, d = self._theme, data.price_decimals
        price, average = float(data.price[i]), float(data.average[i])
        pct = (price / data.pre_close - 1) * 100 if data.pre_close > 0 else math.nan
        color = t.up if pct >= 0 else t.down
        parts = [
            f"<b>{data.name or data.symbol}</b>&nbsp;{_tr('Intraday')}&nbsp;{data.day}&nbsp;{slot_time(i)}",
            f"<span style='color:{t.line_color(0)}'>{_tr('Price')}: {format_price(price, d)}</span>",
            f"<span style='color:{color}'>{pct:+.2f}%</span>" if math.isfinite(pct) else "",
            f"<span style='color:{t.line_color(1)}'>{_tr('Avg')}: {format_price(average, d)}</span>",
            f"{_tr('VOL')}: {format_volume(float(data.volume[i]))}",
        ]
        if math.isfinite(data.limit_up):
            parts.append(
                f"<span style='color:{t.muted_text}'>{_tr('Limits')}: "
                f"{format_price(data.limit_up, d)} / {format_price(data.limit_down, d)}</span>"
            )
        return "&nbsp;&nbsp;".join(p for p in parts if p)

    def apply_theme(self, theme: ChartTheme) -> None:
        self._theme = theme
        self.graphics.setBackground(theme.background)
        font = QFont()
        font.setPointSize(8)
        for plot in (self.price_plot, self.volume_plot):
            for side in ("left", "right", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(_pen(theme.axis))
                axis.setTextPen(_pen(theme.muted_text))
                axis.setStyle(tickFont=font, tickLength=-4)
        self.price_plot.getAxis("left").setGrid(40)
        # Hour lines instead of the axis grid: a gridded axis clips the 09:30 and 15:00 labels on its edges.
        self.volume_plot.getAxis("bottom").setStyle(hideOverlappingLabels=30)
        for line in self.hour_lines:
            line.setPen(_pen(theme.grid))
        self.legend.opts["color"] = theme.text
        self.message_label.setStyleSheet(f"color: {theme.muted_text}; font-size: 11pt;")
        self.zero_line.setPen(_pen(theme.muted_text, 1.0, Qt.PenStyle.DashLine))
        self.limit_up_line.setPen(_pen(theme.up, 1.0, Qt.PenStyle.DotLine))
        self.limit_down_line.setPen(_pen(theme.down, 1.0, Qt.PenStyle.DotLine))
        self.cursor_line.setPen(_pen(theme.crosshair, 1.0, Qt.PenStyle.DashLine))
        self.price_line.setPen(_pen(theme.line_color(0), 1.3))
        self.average_line.setPen(_pen(theme.line_color(1), 1.2))
        self.volume_bars.set_colors(theme.up, theme.down, False)
        if self._data is not None:
            self.set_cursor(self._cursor)

    # -- internals -----------------------------------------------------------------------------------

    def _fit(self) -> None:
        data = self._data
        assert data is not None
        n = data.traded
        base = data.pre_close
        values = np.r_[data.price[:n], data.average[:n]]
        values = values[np.isfinite(values)]
        if not (math.isfinite(base) and base > 0):
            base = float(values[0]) if values.size else 1.0
        reach = float(np.max(np.abs(values - base))) if values.size else 0.0
        reach = max(reach * _Y_PADDING, base * _MIN_SPAN)
        self.price_plot.setYRange(base - reach, base + reach, padding=0)
        top = float(np.max(data.volume[:n])) if n else 1.0
        self.volume_plot.setYRange(0, (top or 1.0) * 1.1, padding=0)

    def _on_scene_sig_mouse_moved(self, pos: QPointF) -> None:
        for plot in (self.price_plot, self.volume_plot):
            view = plot.getViewBox()
            if view.sceneBoundingRect().contains(pos):
                self.set_cursor(round(view.mapSceneToView(pos).x()))
                return
        self.set_cursor(None)
