"""BacktestCurves: the Backtest dock's equity, excess, drawdown and activity plots, x-linked by date.

Built when the first result arrives, not with the dock: four pyqtgraph plots cost a good part of a
second at launch, and until a backtest has run the dock shows a sentence instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QSplitter, QWidget

from widgets.plot_palette import PlotPalette


def _tr(text: str) -> str:
    return QCoreApplication.translate("BacktestPanel", text)


class BacktestCurves(QSplitter):
    """Four stacked plots sharing the date axis; `show_series` replaces what they draw."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.equity_plot = _date_plot(_tr("Equity vs benchmark"))
        self.equity_plot.addLegend()
        self.equity_curve = self.equity_plot.plot([], [], pen=pg.mkPen("#c0392b", width=1.5), name=_tr("Strategy"))
        self.benchmark_curve = self.equity_plot.plot([], [], pen=pg.mkPen("#7f8c8d", width=1.2), name=_tr("Benchmark"))
        self.excess_plot = _date_plot(_tr("Excess return"))
        self.excess_curve = self.excess_plot.plot([], [], pen=pg.mkPen("#8e44ad", width=1.2))
        self.drawdown_plot = _date_plot(_tr("Drawdown"))
        self.drawdown_curve = self.drawdown_plot.plot(
            [], [], pen=pg.mkPen("#27ae60"), fillLevel=0, brush=pg.mkBrush(39, 174, 96, 80)
        )
        self.activity_plot = _date_plot(_tr("Positions and turnover (%)"))
        self.activity_plot.addLegend()
        self.positions_curve = self.activity_plot.plot([], [], pen=pg.mkPen("#2c3e50"), name=_tr("Positions"))
        self.turnover_bars = pg.BarGraphItem(x=[], height=[], width=86400 * 0.8, brush="#e67e22")
        self.activity_plot.addItem(self.turnover_bars)
        plots = (self.equity_plot, self.excess_plot, self.drawdown_plot, self.activity_plot)
        for plot in plots:
            if plot is not self.equity_plot:
                plot.setXLink(self.equity_plot)
            self.addWidget(plot)
        self.plot_palettes = [PlotPalette(plot, [plot.getPlotItem()]) for plot in plots]

    def show_series(
        self,
        x: Sequence[float],
        equity: Sequence[float],
        benchmark: Sequence[float] | None,
        drawdown: Sequence[float],
        excess: Sequence[float] | None,
        positions: Sequence[float],
        turnover: Sequence[float],
    ) -> None:
        xs = list(x)
        self.equity_curve.setData(xs, list(equity))
        self.benchmark_curve.setData(xs if benchmark is not None else [], list(benchmark or []))
        self.drawdown_curve.setData(xs, list(drawdown))
        self.excess_curve.setData(xs if excess is not None else [], list(excess or []))
        self.positions_curve.setData(xs if positions else [], list(positions))
        self.turnover_bars.setOpts(x=xs if turnover else [], height=[100 * t for t in turnover])


def _date_plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
    plot.setTitle(title)
    return plot
