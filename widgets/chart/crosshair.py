"""Crosshair across the stacked panes and the info box listing the bar under it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QLabel, QWidget

from widgets.chart.formatting import format_bar_time, format_price, format_value, format_volume
from widgets.chart.panes import ChartPane
from widgets.chart.theme import ChartTheme
from widgets.chart.view_state import ChartData

InfoRow = tuple[str, str, str]  # label, value text, colour


def info_rows(data: ChartData, index: int, groups: Sequence[str], theme: ChartTheme) -> list[InfoRow]:
    """The info box content for bar `index`: time, OHLC, change, volume, then the shown studies."""
    if not 0 <= index < len(data):
        return []
    d = data.price_decimals
    prev = float(data.close[index - 1]) if index > 0 else math.nan

    def tone(value: float) -> str:
        # Terminals colour a price by where it stands against the previous close.
        if not (math.isfinite(value) and math.isfinite(prev)) or value == prev:
            return theme.text
        return theme.up if value > prev else theme.down

    close = float(data.close[index])
    change = close - prev
    tr = QCoreApplication.translate
    rows: list[InfoRow] = [
        (tr("ChartPanel", "Time"), format_bar_time(data.time[index], data.intraday), theme.text),
        (tr("ChartPanel", "Open"), format_price(float(data.open[index]), d), tone(float(data.open[index]))),
        (tr("ChartPanel", "High"), format_price(float(data.high[index]), d), tone(float(data.high[index]))),
        (tr("ChartPanel", "Low"), format_price(float(data.low[index]), d), tone(float(data.low[index]))),
        (tr("ChartPanel", "Close"), format_price(close, d), tone(close)),
        (tr("ChartPanel", "Change"), _signed(change, d), tone(close)),
        (tr("ChartPanel", "Change %"), _signed(change / prev * 100.0 if prev else math.nan, 2, "%"), tone(close)),
        (
            tr("ChartPanel", "Amplitude"),
            _plain((float(data.high[index]) - float(data.low[index])) / prev * 100.0 if prev else math.nan, "%"),
            theme.text,
        ),
        (tr("ChartPanel", "Volume"), format_volume(float(data.volume[index])), theme.text),
        (tr("ChartPanel", "Amount"), format_volume(float(data.amount[index])), theme.text),
    ]
    for group in groups:
        # Same colour order as the pane draws the group's lines in.
        for position, (name, values) in enumerate(data.studies.get(group, {}).items()):
            value = float(values[index]) if index < values.shape[0] else math.nan
            text = format_volume(value) if group == "VOL" else format_value(value)  # share counts read as 万/M
            rows.append((name, text, theme.line_color(position)))
    return rows


def _signed(value: float, decimals: int, suffix: str = "") -> str:
    return "—" if not math.isfinite(value) else f"{value:+.{decimals}f}{suffix}"


def _plain(value: float, suffix: str = "") -> str:
    return "—" if not math.isfinite(value) else f"{value:.2f}{suffix}"


class InfoBox(QLabel):
    """Floating box over the price pane, as terminals show it while the cursor is on a bar."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("chart_info_box")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.rows: list[InfoRow] = []
        self.hide()

    def apply_theme(self, theme: ChartTheme) -> None:
        self.setStyleSheet(
            f"QLabel#chart_info_box {{ background: {theme.info_background}; color: {theme.text};"
            f" border: 1px solid {theme.info_border}; border-radius: 3px; padding: 4px 6px; font-size: 9pt; }}"
        )

    def show_rows(self, rows: list[InfoRow]) -> None:
        self.rows = rows
        cells = "".join(
            f"<tr><td style='padding-right:10px'>{label}</td><td align='right' style='color:{color}'>{value}</td></tr>"
            for label, value, color in rows
        )
        self.setText(f"<table cellspacing='0' cellpadding='1'>{cells}</table>")
        self.adjustSize()

    def plain_text(self) -> str:
        return "\n".join(f"{label} {value}" for label, value, _ in self.rows)


class Crosshair:
    """A vertical line through every pane and a horizontal one in the pane under the mouse."""

    def __init__(self, theme: ChartTheme) -> None:
        self._theme = theme
        self._vertical: dict[str, pg.InfiniteLine] = {}
        self._horizontal: dict[str, pg.InfiniteLine] = {}
        self.index: int | None = None

    def attach(self, pane: ChartPane) -> None:
        pen = QPen(QColor(self._theme.crosshair))
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        label_opts = {"color": self._theme.background, "fill": self._theme.crosshair, "movable": False}
        vertical = pg.InfiniteLine(
            angle=90, movable=False, pen=pen, label="", labelOpts={**label_opts, "position": 0.04}
        )
        horizontal = pg.InfiniteLine(
            angle=0, movable=False, pen=pen, label="", labelOpts={**label_opts, "position": 0.97}
        )
        for line in (vertical, horizontal):
            line.setZValue(30)
            line.hide()
            pane.plot.addItem(line, ignoreBounds=True)
        self._vertical[pane.key] = vertical
        self._horizontal[pane.key] = horizontal

    def show_at(self, index: int, time_text: str, bottom_key: str, hover: tuple[str, float, str] | None) -> None:
        """Lines on bar `index`; the time label on the bottom pane; `hover` = (pane, y, y text)."""
        self.index = index
        for key, line in self._vertical.items():
            line.setPos(index)
            line.label.setFormat(time_text if key == bottom_key else "")
            line.label.setVisible(key == bottom_key)
            line.show()
        for key, line in self._horizontal.items():
            if hover is not None and hover[0] == key:
                line.setPos(hover[1])
                line.label.setFormat(hover[2])
                line.show()
            else:
                line.hide()

    def hide(self) -> None:
        self.index = None
        for line in (*self._vertical.values(), *self._horizontal.values()):
            line.hide()
