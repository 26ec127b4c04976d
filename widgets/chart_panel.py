"""ChartPanel: candlesticks with overlays and study panes, crosshair, zoom/pan, live last bar, markers.

Past 400 lines on purpose: it is one view class; glyphs, axes, legends, keys and formatting already
live in widgets/chart/, and what remains is the panel's own state and Qt event handling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QInputDialog, QLabel, QStackedWidget, QVBoxLayout, QWidget

from widgets.chart.crosshair import Crosshair, InfoBox, info_rows
from widgets.chart.drawing_input import DrawingInput
from widgets.chart.drawings import ChartDrawing, DrawingLayer
from widgets.chart.formatting import format_bar_time, format_price, format_volume
from widgets.chart.keys import navigate
from widgets.chart.markers import MarkerLayer
from widgets.chart.panes import ChartPane
from widgets.chart.price_extras import PriceExtras
from widgets.chart.theme import THEMES, ChartTheme
from widgets.chart.timeshare_view import TimeShareData, TimeShareWidget
from widgets.chart.toolbar import TIMESHARE, ChartToolbarWidget
from widgets.chart.view_state import OVERLAYS, SUB_PANES, ChartBar, ChartData, ChartMarker, as_datetime64
from widgets.docking import raise_dock_of

# Bars shown when a chart opens: one trading day of minutes, about half a year of days.
_DEFAULT_VISIBLE = {"1m": 240, "5m": 144, "15m": 96, "30m": 80, "60m": 80, "1d": 120, "1w": 120, "1mo": 120}
_MIN_VISIBLE = 10
_RIGHT_MARGIN = 2  # empty bars right of the last one, so the newest candle is not glued to the axis
_Y_PADDING = 0.06
# Pixels kept free above the highest bar (the legend, then the high label) and below the lowest (the
# low label): set in pixels, not as a share of the range, so a short pane never lets them overlap.
_TOP_ROOM_PX = 48
_BOTTOM_ROOM_PX = 22
_LEGEND_ROOM_PX = 26  # a pane too short for the high/low labels keeps room for its legend only
_LABELS_MIN_PX = 160
_EPS = 1e-6  # view ranges come back with float noise
_STICK_GROUPS = {"MACD": "MACD"}  # groups with one line drawn as sticks instead of a curve


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


def _direction(data: ChartData) -> np.ndarray:
    """+1 for a rising bar, -1 for a falling one; a doji takes the sign of its change from the last close."""
    prev = np.r_[data.open[:1], data.close[:-1]]
    body = np.sign(data.close - data.open)
    return np.where(body != 0, body, np.where(data.close >= prev, 1, -1)).astype(np.int8)


class ChartPanel(QWidget):
    """Renders a ChartData; asks its presenter for other symbols, periods and adjustments."""

    sig_symbol_requested = Signal(str)
    sig_period_requested = Signal(str)
    sig_adjust_requested = Signal(str)
    sig_ma_windows_requested = Signal(object)  # tuple[int, ...]
    sig_red_up_requested = Signal(bool)
    sig_groups_changed = Signal(object)  # list[str]: the overlays and indicator panes now shown
    sig_drawings_changed = Signal(object)  # list[ChartDrawing]: the user added or deleted a drawing

    def __init__(self, parent: QWidget | None = None, theme: str = "dark") -> None:
        super().__init__(parent)
        self.setObjectName("chart_panel")
        self._theme: ChartTheme = THEMES[theme]
        self._red_up = True
        self._data: ChartData | None = None
        self._direction = np.empty(0, dtype=np.int8)
        self._overlays: list[str] = ["MA"]
        self._sub_panes: list[str] = ["VOL", "MACD"]
        self._cursor: int | None = None

        self.toolbar = ChartToolbarWidget(self)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setObjectName("chart_graphics")
        self.graphics.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.graphics.ci.setSpacing(0)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        # The K-line chart and the 分时 view share the space below the toolbar; F5 switches between them.
        # The 分时 view is built the first time it is asked for: most sessions never open it.
        self._timeshare: TimeShareWidget | None = None
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.graphics)
        layout.addWidget(self.stack, 1)

        self.price = ChartPane("price", "candle", self._theme, self._format_price)
        self.panes: dict[str, ChartPane] = {
            "VOL": ChartPane("VOL", "volume", self._theme, format_volume),
            "MACD": ChartPane("MACD", "stick", self._theme),
            "KDJ": ChartPane("KDJ", None, self._theme),
            "RSI": ChartPane("RSI", None, self._theme),
        }
        for pane in self.panes.values():
            pane.plot.setXLink(self.price.plot)
        self.extras = PriceExtras(self.price.plot, self._theme)
        self.markers = MarkerLayer(self.price.plot)
        self.drawings = DrawingLayer(self.price.plot, self._theme)
        self.drawings.sig_changed.connect(lambda: self.sig_drawings_changed.emit(list(self.drawings.drawings)))
        self.crosshair = Crosshair(self._theme)
        for pane in self._all_panes():
            self.crosshair.attach(pane)
        self.info_box = InfoBox(self.graphics)
        self.message_label = QLabel(self.graphics)
        self.message_label.setObjectName("chart_message_label")
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # A standing remark about the data shown (e.g. why it is unadjusted), in the price pane's corner.
        self.note_label = QLabel(self.graphics)
        self.note_label.setObjectName("chart_note_label")
        self.note_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.note_label.hide()

        self.price.view.sigXRangeChanged.connect(self._on_price_view_sig_x_range_changed)
        self.price.view.sigResized.connect(self._on_price_view_sig_resized)  # label room is in pixels
        self.graphics.scene().sigMouseMoved.connect(self._on_scene_sig_mouse_moved)
        self.graphics.installEventFilter(self)
        self.drawing_input = DrawingInput(self, self.graphics.scene(), self.price, self.drawings)
        self._connect_toolbar()
        self._relayout()
        self._apply_theme()
        self.show_message(_tr("No symbol selected"))

    # -- public API ----------------------------------------------------------------------------------

    @property
    def data(self) -> ChartData | None:
        return self._data

    def set_data(self, data: ChartData, keep_view: bool = False) -> None:
        """Show `data`; `keep_view` keeps the visible bars (a reload of the same symbol and period)."""
        previous = self.visible_range() if self._data is not None else None
        self._data = data
        self.stack.setCurrentWidget(self.graphics)
        self.toolbar.show_kline_controls(True)
        self.toolbar.show_state(data.symbol, data.name, data.period, data.adjust)
        self._load_glyphs(0)
        self._load_lines()
        for pane in self._all_panes():
            pane.time_axis.set_times(data.time, data.intraday)
        n = len(data)
        self.price.view.setLimits(
            xMin=-0.5 - _RIGHT_MARGIN, xMax=max(n, 1) - 0.5 + _RIGHT_MARGIN, minXRange=min(_MIN_VISIBLE, max(n, 1))
        )
        self.markers.place(data.time, data.intraday, self._theme)
        self.drawings.place(data.time, data.intraday)
        self.set_cursor(None)
        self.note_label.setText(data.note)
        self.note_label.setVisible(bool(data.note))
        self.show_message("" if n else _tr("No bars for {symbol}").format(symbol=data.symbol))
        if keep_view and previous is not None:
            self.set_visible_range(previous[0], previous[1] - previous[0] + 1)
        else:
            self.set_visible_range(n - _DEFAULT_VISIBLE.get(data.period, 120), _DEFAULT_VISIBLE.get(data.period, 120))

    def update_last_bar(
        self, bar: ChartBar, studies: Mapping[str, Mapping[str, float]] | None = None, appended: bool | None = None
    ) -> None:
        """Live update: replace the last bar or append a new one; study values optional.

        Without `appended` a bar with a later time is a new one; week and month bars pass it, as their
        label moves to each new day while the bar stays the same.
        """
        data = self._data
        if data is None:
            return
        when = as_datetime64(bar.time)
        n = len(data)
        if n and when < data.time[-1]:
            return  # a late tick for a finished bar changes nothing on screen
        append = n == 0 or (when > data.time[-1] if appended is None else appended)
        at = n if append else n - 1
        values = {
            "open": bar.open,
            "high": bar.high,
            "low": bar.low,
            "close": bar.close,
            "volume": bar.volume,
            "amount": bar.amount,
        }
        arrays = {name: self._put(getattr(data, name), at, value) for name, value in values.items()}
        new_studies = {
            group: {
                name: self._put(line, at, (studies or {}).get(group, {}).get(name, math.nan))
                for name, line in lines.items()
            }
            for group, lines in data.studies.items()
        }
        if append:
            time = np.r_[data.time, np.array([when], dtype="datetime64[s]")]
        else:
            time = data.time.copy()
            time[-1] = when
        following = self._is_at_right_edge()
        self._data = replace(
            data,
            time=time,
            studies=new_studies,
            open=arrays["open"],
            high=arrays["high"],
            low=arrays["low"],
            close=arrays["close"],
            volume=arrays["volume"],
            amount=arrays["amount"],
        )
        self._load_glyphs(max(0, at - 1))
        self._load_lines()
        if append or when != data.time[-1]:
            for pane in self._all_panes():
                pane.time_axis.set_times(self._data.time, self._data.intraday)
        if append:
            self.price.view.setLimits(xMax=len(self._data) - 0.5 + _RIGHT_MARGIN)
            self.markers.place(self._data.time, self._data.intraday, self._theme)
            self.drawings.place(self._data.time, self._data.intraday)
        if following and append:
            first, last = self.visible_range()
            self.set_visible_range(first + 1, last - first + 1)
        else:
            self._refresh_view()

    @property
    def timeshare(self) -> TimeShareWidget:
        """The 分时 view, built on first use."""
        if self._timeshare is None:
            self._timeshare = TimeShareWidget(self._theme, self)
            self.stack.addWidget(self._timeshare)
        return self._timeshare

    def show_timeshare(self, data: TimeShareData) -> None:
        """Show the 分时 view of `data` in place of the K-line chart (again on each live update)."""
        self.timeshare.set_data(data)
        self.stack.setCurrentWidget(self.timeshare)
        self.toolbar.show_kline_controls(False)
        self.toolbar.show_state(data.symbol, data.name, TIMESHARE, self.toolbar.adjust_combo.currentData())
        empty = _tr("No minute bars stored for {symbol}: import 1m bars or connect the bridge")
        self.timeshare.show_message("" if data.traded else empty.format(symbol=data.symbol))

    @property
    def showing_timeshare(self) -> bool:
        return self._timeshare is not None and self.stack.currentWidget() is self._timeshare

    def set_drawings(self, drawings: Sequence[ChartDrawing]) -> None:
        """The charted symbol's saved drawings (anchored to bar times, so any period shows them)."""
        self.drawings.set_drawings(list(drawings))

    def reveal(self) -> None:
        """Bring the chart to the front: raise the dock (or tab) it sits in and take keyboard focus."""
        raise_dock_of(self)
        self.graphics.setFocus()

    def set_markers(self, markers: Sequence[ChartMarker]) -> None:
        """Trade and signal markers; each lands on the bar containing its time."""
        self.markers.set_markers(markers)
        if self._data is not None:
            self.markers.place(self._data.time, self._data.intraday, self._theme)

    def set_red_up(self, red_up: bool) -> None:
        """A-share colours (red up, green down) or the Western green-up convention."""
        self._red_up = red_up
        self.toolbar.show_red_up(red_up)
        self._apply_theme()

    def set_theme(self, name: str) -> None:
        self._theme = THEMES[name]
        self._apply_theme()

    @property
    def theme(self) -> ChartTheme:
        return self._theme

    def set_overlays(self, groups: Iterable[str]) -> None:
        self._overlays = [g for g in OVERLAYS if g in set(groups)]
        self._load_lines()
        self.toolbar.show_groups([*self._overlays, *self._sub_panes])
        self._refresh_view()
        self.sig_groups_changed.emit(self.shown_groups())

    def set_sub_panes(self, groups: Iterable[str]) -> None:
        self._sub_panes = [g for g in SUB_PANES if g in set(groups)]
        self.toolbar.show_groups([*self._overlays, *self._sub_panes])
        self._relayout()
        self._refresh_view()
        self.sig_groups_changed.emit(self.shown_groups())

    def overlays(self) -> list[str]:
        return list(self._overlays)

    def sub_panes(self) -> list[str]:
        return list(self._sub_panes)

    def shown_groups(self) -> list[str]:
        return [*self._overlays, *self._sub_panes]

    def visible_range(self) -> tuple[int, int]:
        """First and last bar index fully or partly in view."""
        (x0, x1), _ = self.price.view.viewRange()
        n = len(self._data) if self._data is not None else 0
        # Bar i spans [i - 0.5, i + 0.5]; it counts when any of that is inside (x0, x1).
        return max(0, math.floor(x0 - 0.5 + _EPS) + 1), min(n - 1, math.ceil(x1 + 0.5 - _EPS) - 1)

    def set_visible_range(self, first: int, count: int) -> None:
        n = len(self._data) if self._data is not None else 0
        count = max(min(_MIN_VISIBLE, max(n, 1)), min(int(count), n + _RIGHT_MARGIN))
        first = min(max(0, int(first)), max(0, n + _RIGHT_MARGIN - count))
        target = (first - 0.5, first + count - 0.5)
        if tuple(self.price.view.viewRange()[0]) == target:
            self._refresh_view()  # no range change, so no signal: refresh for new data
        else:
            self.price.view.setXRange(*target, padding=0)  # sigXRangeChanged refreshes the view

    def zoom(self, factor: float) -> None:
        """Show `factor` times as many bars, anchored at the cursor or else at the right edge."""
        first, last = self.visible_range()
        count = max(_MIN_VISIBLE, round((last - first + 1) * factor))
        anchor = self._cursor if self._cursor is not None else last
        ratio = (anchor - first) / max(1, last - first)
        self.set_visible_range(round(anchor - ratio * (count - 1)), count)

    def pan(self, bars: int) -> None:
        first, last = self.visible_range()
        self.set_visible_range(first + bars, last - first + 1)

    def set_cursor(self, index: int | None, hover: tuple[str, float] | None = None) -> None:
        """Put the crosshair on bar `index` (None hides it); `hover` = (pane key, y) adds the level line."""
        n = len(self._data) if self._data is not None else 0
        if index is None or n == 0:
            self._cursor = None
            self.crosshair.hide()
            self.info_box.hide()
            self._update_legends()
            return
        index = min(max(0, index), n - 1)
        self._cursor = index
        assert self._data is not None
        bottom = self._sub_panes[-1] if self._sub_panes else "price"
        hover_text = None
        if hover is not None:
            pane_key, y = hover
            text = (
                format_volume(y) if pane_key == "VOL" else self._format_price(y) if pane_key == "price" else f"{y:.2f}"
            )
            hover_text = (pane_key, y, text)
        self.crosshair.show_at(index, format_bar_time(self._data.time[index], self._data.intraday), bottom, hover_text)
        self.info_box.show_rows(info_rows(self._data, index, self.shown_groups(), self._theme))
        self._place_info_box(index)
        self.info_box.show()
        self._update_legends()

    @property
    def cursor_index(self) -> int | None:  # not `cursor`: that is QWidget.cursor(), the mouse shape
        return self._cursor

    def info_text(self) -> str:
        """The info box as plain text (one 'label value' line per row)."""
        return self.info_box.plain_text() if self.info_box.isVisible() else ""

    def show_message(self, text: str) -> None:
        """A line over the chart (no data, loading failed); empty text hides it."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        self._place_overlays()

    # -- drawing ---------------------------------------------------------------------------------------

    def _load_glyphs(self, changed_from: int) -> None:
        data = self._data
        if data is None:
            return
        self._direction = _direction(data)
        zeros = np.zeros(len(data))
        hist = data.studies.get("MACD", {}).get("MACD", zeros)
        glyphs = (
            (self.price, (data.open, data.high, data.low, data.close)),
            (self.panes["VOL"], (zeros, data.volume, zeros, zeros)),
            (self.panes["MACD"], (zeros, hist, zeros, zeros)),
        )
        for pane, (open_, high, low, close) in glyphs:
            assert pane.glyph is not None
            if 0 < changed_from <= len(pane.glyph):
                pane.glyph.update_bars(open_, high, low, close, self._direction, changed_from)
            else:
                pane.glyph.set_bars(open_, high, low, close, self._direction)

    def _load_lines(self) -> None:
        data = self._data
        if data is None:
            return

        def group_lines(groups: Iterable[str]) -> dict[str, tuple[np.ndarray, str]]:
            lines = {}
            for group in groups:
                for position, (name, values) in enumerate(data.studies.get(group, {}).items()):
                    if _STICK_GROUPS.get(group) != name:
                        lines[name] = (values, self._theme.line_color(position))
            return lines

        self.price.set_lines(group_lines(self._overlays))
        for key, pane in self.panes.items():
            pane.set_lines(group_lines([key]))

    def _refresh_view(self) -> None:
        """Fit every pane's y range to the visible bars and refresh legends and price labels."""
        data = self._data
        if data is None or len(data) == 0:
            self._show_empty()
            return
        for pane in self._all_panes():
            pane.value_axis.setStyle(showValues=True)
        first, last = self.visible_range()
        if last < first:
            return
        # y_range slices [first, last] itself: hand it whole arrays.
        price = self.price.y_range(first, last, [data.low, data.high])
        if price is not None:
            self.price.view.setYRange(*self._price_span(*price), padding=0)
        for key in self._sub_panes:
            pane = self.panes[key]
            extra = [np.zeros(len(data))]  # study panes keep their zero line in view
            if pane.glyph is not None:
                extra.append(pane.glyph.heights)
            span = pane.y_range(first, last, extra)
            if span is not None:
                lo, hi = span
                pad = (hi - lo) * _Y_PADDING or 1.0
                pane.view.setYRange(lo - (pad if lo < 0 else 0), hi + pad, padding=0)
        self.extras.show(data, first, last, self._format_price)
        if self.price.view.height() < _LABELS_MIN_PX:  # no room: the labels would sit on the legend
            self.extras.high_label.setText("")
            self.extras.low_label.setText("")
        self._update_legends()

    def _price_span(self, lo: float, hi: float) -> tuple[float, float]:
        """The price pane's y range: the bars, plus fixed pixel room for the legend and high/low labels."""
        height = float(self.price.view.height())
        spread = (hi - lo) or abs(hi) * 0.01 or 1.0
        top, bottom = (_TOP_ROOM_PX, _BOTTOM_ROOM_PX) if height >= _LABELS_MIN_PX else (_LEGEND_ROOM_PX, 4)
        if height <= (top + bottom) * 1.5:  # not laid out yet: fall back to a share of the range
            return lo - spread * _Y_PADDING * 2, hi + spread * _Y_PADDING * 3
        per_pixel = spread / (height - top - bottom)
        return lo - bottom * per_pixel, hi + top * per_pixel

    def _show_empty(self) -> None:
        """No bars: nothing of the previous chart may stay (legends, last-price line, value labels)."""
        if self._data is not None:
            self.extras.show(self._data, 0, -1, self._format_price)
        for pane in self._all_panes():
            pane.set_legend("")
            pane.value_axis.setStyle(showValues=False)

    def _update_legends(self) -> None:
        data = self._data
        if data is None or len(data) == 0:
            return
        # Without a cursor the legends show the newest bar, as terminals do (and stay put while panning).
        index = self._cursor if self._cursor is not None else len(data) - 1
        period = (
            self.toolbar.period_buttons[data.period].text()
            if data.period in self.toolbar.period_buttons
            else data.period
        )
        title = f"<b>{data.name or data.symbol}</b>&nbsp;({period})"
        self.price.set_legend(self.price.legend_html(index, title))
        for key in self._sub_panes:
            pane = self.panes[key]
            extra = ""
            if key == "MACD":
                hist = data.studies.get("MACD", {}).get("MACD")
                if hist is not None and 0 <= index < hist.shape[0] and math.isfinite(hist[index]):
                    color = self._theme.up if hist[index] >= 0 else self._theme.down
                    extra = f"&nbsp;&nbsp;<span style='color:{color}'>MACD: {hist[index]:.3f}</span>"
            title = f"{_tr('VOL')}: {format_volume(float(data.volume[index]))}" if key == "VOL" else key
            pane.set_legend(pane.legend_html(index, title) + extra)

    def _relayout(self) -> None:
        layout = self.graphics.ci
        for pane in self._all_panes():
            if pane.plot in layout.items:
                layout.removeItem(pane.plot)
        shown = [self.price, *(self.panes[k] for k in self._sub_panes)]
        for row, pane in enumerate(shown):
            layout.addItem(pane.plot, row=row, col=0)
            pane.show_time_axis(row == len(shown) - 1)
        for row in range(len(SUB_PANES) + 1):
            layout.layout.setRowStretchFactor(row, 0)
        # The price pane keeps at least half the height however many indicator panes are open.
        subs = len(shown) - 1
        layout.layout.setRowStretchFactor(0, max(3, subs))
        for row in range(1, len(shown)):
            layout.layout.setRowStretchFactor(row, 1)

    def _apply_theme(self) -> None:
        self._theme = self._theme.with_red_up(self._red_up)
        self.graphics.setBackground(self._theme.background)
        for pane in self._all_panes():
            pane.apply_theme(self._theme)
        self.toolbar.apply_theme(self._theme)
        if self._timeshare is not None:
            self._timeshare.apply_theme(self._theme)
        self.info_box.apply_theme(self._theme)
        self.extras.apply_theme(self._theme)
        self.drawings.apply_theme(self._theme)
        self.message_label.setStyleSheet(f"color: {self._theme.muted_text}; font-size: 11pt;")
        self.note_label.setStyleSheet(f"color: {self._theme.muted_text}; font-size: 8pt;")
        self._load_lines()
        if self._data is not None:
            self.markers.place(self._data.time, self._data.intraday, self._theme)
            self._refresh_view()

    def _all_panes(self) -> list[ChartPane]:
        return [self.price, *self.panes.values()]

    def _format_price(self, value: float) -> str:
        return format_price(value, self._data.price_decimals if self._data is not None else 2)

    def _is_at_right_edge(self) -> bool:
        return self._data is not None and self.visible_range()[1] >= len(self._data) - 1

    @staticmethod
    def _put(array: np.ndarray, at: int, value: float) -> np.ndarray:
        if at < array.shape[0]:
            out = array.copy()
            out[at] = value
            return out
        return np.r_[array, float(value)]

    def _place_info_box(self, index: int) -> None:
        rect = self.price.view.sceneBoundingRect()
        first, last = self.visible_range()
        # Keep the box away from the cursor: left side unless the cursor is in the left third.
        on_left = (index - first) > (last - first) / 3
        x = rect.left() + 4 if on_left else rect.right() - self.info_box.width() - 4
        # Below the price legend, and never past the bottom of the chart however many rows it has.
        self.info_box.adjustSize()
        y = min(rect.top() + 22, self.graphics.height() - self.info_box.height() - 2)
        self.info_box.move(int(x), int(max(0, y)))

    def _place_overlays(self) -> None:
        self.message_label.setGeometry(0, 0, self.graphics.width(), self.graphics.height())
        self.note_label.adjustSize()
        rect = self.price.view.sceneBoundingRect()
        self.note_label.move(max(0, int(rect.right()) - self.note_label.width() - 4), int(rect.top()) + 20)

    # -- events ----------------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._place_overlays()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.graphics:
            if (
                isinstance(event, QKeyEvent)
                and event.type() == QEvent.Type.KeyPress
                and self._on_graphics_key_pressed(event)
            ):
                return True
            if event.type() == QEvent.Type.Leave:
                self.set_cursor(None)
            if event.type() == QEvent.Type.Resize:
                self._place_overlays()
        return super().eventFilter(watched, event)

    def _on_graphics_key_pressed(self, event: QKeyEvent) -> bool:
        return self.drawing_input.key(event.key()) or navigate(self, event.key())

    def _on_scene_sig_mouse_moved(self, pos: QPointF) -> None:
        if self._data is None or len(self._data) == 0:
            return
        self.drawing_input.move(pos)
        for pane in [self.price, *(self.panes[k] for k in self._sub_panes)]:
            if pane.view.sceneBoundingRect().contains(pos):
                point = pane.view.mapSceneToView(pos)
                self.set_cursor(round(point.x()), (pane.key, point.y()))
                return

    def _on_price_view_sig_x_range_changed(self, *_: object) -> None:
        self._refresh_view()

    def _on_price_view_sig_resized(self, *_: object) -> None:
        self._refresh_view()
        self._place_overlays()

    def _connect_toolbar(self) -> None:
        bar = self.toolbar
        bar.sig_symbol_entered.connect(self.sig_symbol_requested.emit)
        bar.sig_period_clicked.connect(self.sig_period_requested.emit)
        bar.sig_adjust_chosen.connect(self.sig_adjust_requested.emit)
        bar.sig_red_up_toggled.connect(self.sig_red_up_requested.emit)
        bar.sig_group_toggled.connect(self._on_toolbar_sig_group_toggled)
        bar.sig_ma_windows_clicked.connect(self._on_toolbar_sig_ma_windows_clicked)
        bar.sig_draw_tool_chosen.connect(self._on_toolbar_sig_draw_tool_chosen)
        bar.sig_delete_drawing_clicked.connect(self.drawings.delete_selected)
        bar.sig_clear_drawings_clicked.connect(self.drawings.clear)
        bar.show_groups(self.shown_groups())

    def _on_toolbar_sig_group_toggled(self, group: str, shown: bool) -> None:
        if group in OVERLAYS:
            chosen = set(self._overlays) | {group} if shown else set(self._overlays) - {group}
            self.set_overlays(chosen)
        else:
            chosen = set(self._sub_panes) | {group} if shown else set(self._sub_panes) - {group}
            self.set_sub_panes(chosen)

    def _on_toolbar_sig_draw_tool_chosen(self, tool: str) -> None:
        if self.showing_timeshare or tool not in ("trend", "hline", "fib"):
            return
        self.drawings.start(tool)  # type: ignore[arg-type]  # one of DrawingKind, checked above
        self.graphics.setFocus()

    def _on_toolbar_sig_ma_windows_clicked(self) -> None:
        current = ",".join(name[2:] for name in (self._data.studies.get("MA", {}) if self._data else {}))
        text, ok = QInputDialog.getText(
            self, _tr("Moving averages"), _tr("Windows, comma separated:"), text=current or "5,10,20,60"
        )
        if ok:
            self.request_ma_windows(text)

    def request_ma_windows(self, text: str) -> bool:
        """Ask for MA lines with the windows in `text` ('5, 10, 20'); False when it is not valid."""
        try:
            windows = tuple(sorted({int(part) for part in text.replace("，", ",").split(",") if part.strip()}))
        except ValueError:
            return False
        if not windows or any(not 1 <= w <= 1000 for w in windows):
            return False
        self.sig_ma_windows_requested.emit(windows)
        return True
