"""ChartPanel: candlesticks with overlays and study panes, crosshair, zoom/pan, live last bar, markers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from widgets.chart.bar_window import MIN_VISIBLE, RIGHT_MARGIN, bars_in_view, x_range_for, zoomed
from widgets.chart.cursor_overlays import CursorOverlays
from widgets.chart.drawing_input import DrawingInput
from widgets.chart.drawings import ChartDrawing, DrawingLayer
from widgets.chart.formatting import format_price
from widgets.chart.keys import navigate
from widgets.chart.live_bar import with_live_bar
from widgets.chart.markers import MarkerLayer
from widgets.chart.pane_column import PaneColumn
from widgets.chart.theme import THEMES, ChartTheme
from widgets.chart.toolbar import TIMESHARE, ChartToolbarWidget
from widgets.chart.toolbar_actions import ChartToolbarActions, parse_ma_windows
from widgets.chart.view_state import OVERLAYS, SUB_PANES, ChartBar, ChartData, ChartMarker
from widgets.docking import raise_dock_of

if TYPE_CHECKING:
    from widgets.chart.timeshare_view import TimeShareData, TimeShareWidget

# Bars shown when a chart opens: one trading day of minutes, about half a year of days.
_DEFAULT_VISIBLE = {"1m": 240, "5m": 144, "15m": 96, "30m": 80, "60m": 80, "1d": 120, "1w": 120, "1mo": 120}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


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

        self.column = PaneColumn(self.graphics.ci, self._theme, self._format_price)
        self.column.build(self._sub_panes)  # KDJ and RSI are built when first shown
        self.price = self.column.price
        self.panes = self.column.panes
        self.extras = self.column.extras
        self.markers = MarkerLayer(self.price.plot)
        self.drawings = DrawingLayer(self.price.plot, self._theme)
        self.drawings.sig_changed.connect(lambda: self.sig_drawings_changed.emit(list(self.drawings.drawings)))
        self.floating = CursorOverlays(self.graphics, self.column.all(), self._theme)
        self.crosshair = self.floating.crosshair
        self.info_box = self.floating.info_box
        self.message_label = self.floating.message_label
        self.note_label = self.floating.note_label

        self.price.view.sigXRangeChanged.connect(self._on_price_view_sig_x_range_changed)
        self.price.view.sigResized.connect(self._on_price_view_sig_resized)  # label room is in pixels
        self.graphics.scene().sigMouseMoved.connect(self._on_scene_sig_mouse_moved)
        self.graphics.installEventFilter(self)
        self.drawing_input = DrawingInput(self, self.graphics.scene(), self.price, self.drawings)
        self.toolbar_actions = ChartToolbarActions(self)
        self.column.relayout(self._sub_panes)
        self._apply_theme()
        self.show_message(_tr("No symbol selected"))

    # -- data ----------------------------------------------------------------------------------------

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
        self.column.load_glyphs(data, 0)
        self._load_lines()
        for pane in self.column.all():
            pane.time_axis.set_times(data.time, data.intraday)
        n = len(data)
        self.price.view.setLimits(
            xMin=-0.5 - RIGHT_MARGIN, xMax=max(n, 1) - 0.5 + RIGHT_MARGIN, minXRange=min(MIN_VISIBLE, max(n, 1))
        )
        self.markers.place(data.time, data.intraday, self._theme)
        self.drawings.place(data.time, data.intraday)
        self.set_cursor(None)
        self.floating.show_note(data.note)
        self.show_message("" if n else _tr("No bars for {symbol}").format(symbol=data.symbol))
        if keep_view and previous is not None:
            self.set_visible_range(previous[0], previous[1] - previous[0] + 1)
        else:
            self.set_visible_range(n - _DEFAULT_VISIBLE.get(data.period, 120), _DEFAULT_VISIBLE.get(data.period, 120))

    def update_last_bar(
        self, bar: ChartBar, studies: Mapping[str, Mapping[str, float]] | None = None, appended: bool | None = None
    ) -> None:
        """Live update: replace the last bar or append a new one; study values optional (see with_live_bar)."""
        if self._data is None:
            return
        change = with_live_bar(self._data, bar, studies, appended)
        if change is None:
            return  # a late tick for a finished bar changes nothing on screen
        following = self._is_at_right_edge()
        data = self._data = change.data
        self.column.load_glyphs(data, max(0, change.at - 1))
        self._load_lines()
        if change.moved:
            for pane in self.column.all():
                pane.time_axis.set_times(data.time, data.intraday)
        if change.appended:
            self.price.view.setLimits(xMax=len(data) - 0.5 + RIGHT_MARGIN)
            self.markers.place(data.time, data.intraday, self._theme)
            self.drawings.place(data.time, data.intraday)
        if following and change.appended:
            first, last = self.visible_range()
            self.set_visible_range(first + 1, last - first + 1)
        else:
            self._refresh_view()

    @property
    def timeshare(self) -> TimeShareWidget:
        """The 分时 view, built on first use."""
        if self._timeshare is None:
            from widgets.chart.timeshare_view import TimeShareWidget  # imported once 分时 is first shown

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

    def set_markers(self, markers: Sequence[ChartMarker]) -> None:
        """Trade and signal markers; each lands on the bar containing its time."""
        self.markers.set_markers(markers)
        if self._data is not None:
            self.markers.place(self._data.time, self._data.intraday, self._theme)

    def reveal(self) -> None:
        """Bring the chart to the front: raise the dock (or tab) it sits in and take keyboard focus."""
        raise_dock_of(self)
        self.graphics.setFocus()

    # -- look ----------------------------------------------------------------------------------------

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
        self.toolbar.show_groups(self.shown_groups())
        self._refresh_view()
        self.sig_groups_changed.emit(self.shown_groups())

    def set_sub_panes(self, groups: Iterable[str]) -> None:
        self._sub_panes = [g for g in SUB_PANES if g in set(groups)]
        self._build_panes()
        self.toolbar.show_groups(self.shown_groups())
        self.column.relayout(self._sub_panes)
        self._refresh_view()
        self.sig_groups_changed.emit(self.shown_groups())

    def overlays(self) -> list[str]:
        return list(self._overlays)

    def sub_panes(self) -> list[str]:
        return list(self._sub_panes)

    def shown_groups(self) -> list[str]:
        return [*self._overlays, *self._sub_panes]

    def request_ma_windows(self, text: str) -> bool:
        """Ask for MA lines with the windows in `text` ('5, 10, 20'); False when it is not valid."""
        windows = parse_ma_windows(text)
        if windows is None:
            return False
        self.sig_ma_windows_requested.emit(windows)
        return True

    # -- view range and cursor -----------------------------------------------------------------------

    def visible_range(self) -> tuple[int, int]:
        """First and last bar index fully or partly in view."""
        (x0, x1), _ = self.price.view.viewRange()
        return bars_in_view(x0, x1, len(self._data) if self._data is not None else 0)

    def set_visible_range(self, first: int, count: int) -> None:
        target = x_range_for(first, count, len(self._data) if self._data is not None else 0)
        if tuple(self.price.view.viewRange()[0]) == target:
            self._refresh_view()  # no range change, so no signal: refresh for new data
        else:
            self.price.view.setXRange(*target, padding=0)  # sigXRangeChanged refreshes the view

    def zoom(self, factor: float) -> None:
        """Show `factor` times as many bars, anchored at the cursor or else at the right edge."""
        first, last = self.visible_range()
        self.set_visible_range(*zoomed(first, last, self._cursor if self._cursor is not None else last, factor))

    def pan(self, bars: int) -> None:
        first, last = self.visible_range()
        self.set_visible_range(first + bars, last - first + 1)

    def set_cursor(self, index: int | None, hover: tuple[str, float] | None = None) -> None:
        """Put the crosshair on bar `index` (None hides it); `hover` = (pane key, y) adds the level line."""
        data = self._data
        if index is None or data is None or len(data) == 0:
            self._cursor = None
            self.floating.hide_cursor()
        else:
            self._cursor = min(max(0, index), len(data) - 1)
            shown = (self._overlays, self._sub_panes)
            visible = self.visible_range()
            self.floating.show_cursor(data, self._cursor, hover, shown, visible, self._theme, self._format_price)
        self._update_legends()

    @property
    def cursor_index(self) -> int | None:  # not `cursor`: that is QWidget.cursor(), the mouse shape
        return self._cursor

    def info_text(self) -> str:
        """The info box as plain text (one 'label value' line per row)."""
        return self.floating.info_text()

    def show_message(self, text: str) -> None:
        """A line over the chart (no data, loading failed); empty text hides it."""
        self.floating.show_message(text)
        self._place_overlays()

    # -- rendering -----------------------------------------------------------------------------------

    def _build_panes(self) -> None:
        """Build the shown indicator panes not built yet and give them the crosshair and the current bars."""
        built = self.column.build(self._sub_panes)
        for pane in built:
            self.floating.crosshair.attach(pane)
        data = self._data
        if built and data is not None:
            for pane in built:
                pane.time_axis.set_times(data.time, data.intraday)
            self.column.load_glyphs(data, 0)
            self._load_lines()

    def _load_lines(self) -> None:
        if self._data is not None:
            self.column.load_lines(self._data, self._overlays, self._theme)

    def _refresh_view(self) -> None:
        """Fit every pane's y range to the visible bars and refresh legends and price labels."""
        data = self._data
        if data is None or len(data) == 0:
            self.column.clear(data)
            return
        for pane in self.column.all():
            pane.value_axis.setStyle(showValues=True)
        first, last = self.visible_range()
        if last < first:
            return
        self.column.fit(data, first, last, self._sub_panes)
        self._update_legends()

    def _update_legends(self) -> None:
        data = self._data
        if data is None or len(data) == 0:
            return
        # Without a cursor the legends show the newest bar, as terminals do (and stay put while panning).
        index = self._cursor if self._cursor is not None else len(data) - 1
        buttons = self.toolbar.period_buttons
        period = buttons[data.period].text() if data.period in buttons else data.period
        title = f"<b>{data.name or data.symbol}</b>&nbsp;({period})"
        self.column.show_legends(data, index, title, self._sub_panes, self._theme)

    def _apply_theme(self) -> None:
        self._theme = self._theme.with_red_up(self._red_up)
        self.graphics.setBackground(self._theme.background)
        self.column.apply_theme(self._theme)
        self.toolbar.apply_theme(self._theme)
        if self._timeshare is not None:
            self._timeshare.apply_theme(self._theme)
        self.floating.apply_theme(self._theme)
        self.drawings.apply_theme(self._theme)
        self._load_lines()
        if self._data is not None:
            self.markers.place(self._data.time, self._data.intraday, self._theme)
            self._refresh_view()

    def _format_price(self, value: float) -> str:
        return format_price(value, self._data.price_decimals if self._data is not None else 2)

    def _is_at_right_edge(self) -> bool:
        return self._data is not None and self.visible_range()[1] >= len(self._data) - 1

    def _place_overlays(self) -> None:
        self.floating.place()

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
        for pane in self.column.shown(self._sub_panes):
            if pane.view.sceneBoundingRect().contains(pos):
                point = pane.view.mapSceneToView(pos)
                self.set_cursor(round(point.x()), (pane.key, point.y()))
                return

    def _on_price_view_sig_x_range_changed(self, *_: object) -> None:
        self._refresh_view()

    def _on_price_view_sig_resized(self, *_: object) -> None:
        self._refresh_view()
        self._place_overlays()
