"""FactorCharts: a factor's IC decay by horizon and its quantile mean returns, as the tear sheet draws them."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QSplitter, QWidget

from widgets.plot_palette import PlotPalette


def _tr(text: str) -> str:
    return QCoreApplication.translate("FactorLabPanel", text)


class FactorCharts(QSplitter):
    """IC and Rank IC against the holding horizon, beside the quantiles' mean daily return (the dock is wide
    and short, so side by side)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.decay_plot = pg.PlotWidget()
        self.decay_plot.setTitle(_tr("IC decay"))
        self.decay_plot.setLabel("bottom", _tr("Horizon (trading days)"))
        self.decay_plot.addLegend()
        self.decay_plot.addLine(y=0, pen=pg.mkPen("#888888", style=Qt.PenStyle.DashLine))
        self.ic_curve = self.decay_plot.plot([], [], pen=pg.mkPen("#c0392b", width=1.5), symbol="o", name="IC")
        self.rank_ic_curve = self.decay_plot.plot(
            [], [], pen=pg.mkPen("#2c7fb8", width=1.5), symbol="t", name=_tr("Rank IC")
        )
        self.quantile_plot = pg.PlotWidget()
        self.quantile_plot.setTitle(_tr("Mean daily return by quantile (%), lowest factor first"))
        self.quantile_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush="#e67e22")
        self.quantile_plot.addItem(self.quantile_bars)
        for plot in (self.decay_plot, self.quantile_plot):
            self.addWidget(plot)
        self.plot_palettes = [PlotPalette(p, [p.getPlotItem()]) for p in (self.decay_plot, self.quantile_plot)]

    def show_series(
        self,
        horizons: Sequence[int],
        ic: Sequence[float],
        rank_ic: Sequence[float],
        quantile_returns: Sequence[float],
    ) -> None:
        xs = list(horizons)
        self.ic_curve.setData(xs, list(ic))
        self.rank_ic_curve.setData(xs, list(rank_ic))
        quantiles = list(range(1, len(quantile_returns) + 1))
        self.quantile_bars.setOpts(x=quantiles, height=list(quantile_returns))
        self.quantile_plot.getAxis("bottom").setTicks([[(q, f"Q{q}") for q in quantiles]])
