"""PaneColumn: the price pane over the indicator panes, their glyphs, lines, y ranges, legends and rows."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication

from widgets.chart.candles import GlyphKind
from widgets.chart.formatting import format_volume
from widgets.chart.panes import ChartPane
from widgets.chart.price_extras import PriceExtras
from widgets.chart.theme import ChartTheme
from widgets.chart.view_state import SUB_PANES, ChartData

_Y_PADDING = 0.06
# Pixels kept free above the highest bar (the legend, then the high label) and below the lowest (the
# low label): set in pixels, not as a share of the range, so a short pane never lets them overlap.
_TOP_ROOM_PX = 48
_BOTTOM_ROOM_PX = 22
_LEGEND_ROOM_PX = 26  # a pane too short for the high/low labels keeps room for its legend only
_LABELS_MIN_PX = 160
_STICK_GROUPS = {"MACD": "MACD"}  # groups with one line drawn as sticks instead of a curve
_GLYPHS: dict[str, GlyphKind | None] = {"VOL": "volume", "MACD": "stick", "KDJ": None, "RSI": None}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


def bar_direction(data: ChartData) -> np.ndarray:
    """+1 for a rising bar, -1 for a falling one; a doji takes the sign of its change from the last close."""
    prev = np.r_[data.open[:1], data.close[:-1]]
    body = np.sign(data.close - data.open)
    return np.where(body != 0, body, np.where(data.close >= prev, 1, -1)).astype(np.int8)


class PaneColumn:
    """The chart's stacked panes: what each shows for a ChartData, and how tall and how scaled each is."""

    def __init__(self, layout: pg.GraphicsLayout, theme: ChartTheme, format_price: Callable[[float], str]) -> None:
        self._layout = layout
        self._theme = theme
        self._format_price = format_price
        self.price = ChartPane("price", "candle", theme, format_price)
        # The indicator panes built so far: each is built the first time it is shown (see `build`).
        self.panes: dict[str, ChartPane] = {}
        self.extras = PriceExtras(self.price.plot, theme)

    def build(self, keys: Iterable[str]) -> list[ChartPane]:
        """Build the panes of `keys` not built yet (linked to the price pane's time axis); returns the new ones."""
        built = []
        for key in keys:
            if key not in self.panes:
                pane = ChartPane(key, _GLYPHS[key], self._theme, format_volume if key == "VOL" else None)
                pane.plot.setXLink(self.price.plot)
                self.panes[key] = pane
                built.append(pane)
        return built

    def all(self) -> list[ChartPane]:
        """The price pane and every indicator pane built so far."""
        return [self.price, *self.panes.values()]

    def shown(self, sub_panes: Sequence[str]) -> list[ChartPane]:
        """The panes on screen, top to bottom."""
        return [self.price, *(self.panes[k] for k in sub_panes)]

    def load_glyphs(self, data: ChartData, changed_from: int) -> None:
        """Candles, volume bars and MACD sticks; from `changed_from` on only, when the rest is unchanged."""
        direction = bar_direction(data)
        zeros = np.zeros(len(data))
        hist = data.studies.get("MACD", {}).get("MACD", zeros)
        glyphs = (
            (self.price, (data.open, data.high, data.low, data.close)),
            (self.panes.get("VOL"), (zeros, data.volume, zeros, zeros)),
            (self.panes.get("MACD"), (zeros, hist, zeros, zeros)),
        )
        for pane, (open_, high, low, close) in glyphs:
            if pane is None:
                continue  # not built yet: it gets the bars when it is first shown
            assert pane.glyph is not None
            if 0 < changed_from <= len(pane.glyph):
                pane.glyph.update_bars(open_, high, low, close, direction, changed_from)
            else:
                pane.glyph.set_bars(open_, high, low, close, direction)

    def load_lines(self, data: ChartData, overlays: Iterable[str], theme: ChartTheme) -> None:
        """The study lines: overlays on the price pane, each indicator group on its own pane."""

        def group_lines(groups: Iterable[str]) -> dict[str, tuple[np.ndarray, str]]:
            lines = {}
            for group in groups:
                for position, (name, values) in enumerate(data.studies.get(group, {}).items()):
                    if _STICK_GROUPS.get(group) != name:
                        lines[name] = (values, theme.line_color(position))
            return lines

        self.price.set_lines(group_lines(overlays))
        for key, pane in self.panes.items():
            pane.set_lines(group_lines([key]))

    def fit(self, data: ChartData, first: int, last: int, sub_panes: Sequence[str]) -> None:
        """Fit every shown pane's y range to bars `first`..`last` and place the price labels."""
        # y_range slices [first, last] itself: hand it whole arrays.
        price = self.price.y_range(first, last, [data.low, data.high])
        if price is not None:
            self.price.view.setYRange(*self.price_span(*price), padding=0)
        for key in sub_panes:
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

    def price_span(self, lo: float, hi: float) -> tuple[float, float]:
        """The price pane's y range: the bars, plus fixed pixel room for the legend and high/low labels."""
        height = float(self.price.view.height())
        spread = (hi - lo) or abs(hi) * 0.01 or 1.0
        top, bottom = (_TOP_ROOM_PX, _BOTTOM_ROOM_PX) if height >= _LABELS_MIN_PX else (_LEGEND_ROOM_PX, 4)
        if height <= (top + bottom) * 1.5:  # not laid out yet: fall back to a share of the range
            return lo - spread * _Y_PADDING * 2, hi + spread * _Y_PADDING * 3
        per_pixel = spread / (height - top - bottom)
        return lo - bottom * per_pixel, hi + top * per_pixel

    def clear(self, data: ChartData | None) -> None:
        """No bars: nothing of the previous chart may stay (legends, last-price line, value labels)."""
        if data is not None:
            self.extras.show(data, 0, -1, self._format_price)
        for pane in self.all():
            pane.set_legend("")
            pane.value_axis.setStyle(showValues=False)

    def show_legends(
        self, data: ChartData, index: int, title: str, sub_panes: Sequence[str], theme: ChartTheme
    ) -> None:
        """Every shown pane's legend with the values of bar `index`; `title` heads the price pane's."""
        self.price.set_legend(self.price.legend_html(index, title))
        for key in sub_panes:
            pane = self.panes[key]
            extra = ""
            if key == "MACD":
                hist = data.studies.get("MACD", {}).get("MACD")
                if hist is not None and 0 <= index < hist.shape[0] and math.isfinite(hist[index]):
                    color = theme.up if hist[index] >= 0 else theme.down
                    extra = f"&nbsp;&nbsp;<span style='color:{color}'>MACD: {hist[index]:.3f}</span>"
            pane_title = f"{_tr('VOL')}: {format_volume(float(data.volume[index]))}" if key == "VOL" else key
            pane.set_legend(pane.legend_html(index, pane_title) + extra)

    def relayout(self, sub_panes: Sequence[str]) -> None:
        """Stack the price pane and `sub_panes` in rows; only the bottom one shows the time axis."""
        layout = self._layout
        for pane in self.all():
            if pane.plot in layout.items:
                layout.removeItem(pane.plot)
        shown = self.shown(sub_panes)
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

    def apply_theme(self, theme: ChartTheme) -> None:
        self._theme = theme
        for pane in self.all():
            pane.apply_theme(theme)
        self.extras.apply_theme(theme)
