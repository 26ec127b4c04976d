"""TrainingCurves: loss (train and valid) and valid IC per epoch, drawn while a model trains.

Built with the first training run, not with the dock: pyqtgraph plots are costly to create at launch,
and until then the tab says what it will show.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from widgets.plot_palette import PlotPalette


def _tr(text: str) -> str:
    return QCoreApplication.translate("TrainingPanel", text)


class TrainingCurves(pg.GraphicsLayoutWidget):
    """Two plots stacked: loss on top, valid IC below, both by epoch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = self.addPlot(row=0, col=0, title=_tr("Loss"))
        self.loss_plot.addLegend()
        self.loss_plot.setLabel("bottom", _tr("Epoch"))
        self.ic_plot = self.addPlot(row=1, col=0, title=_tr("Valid IC"))
        self.ic_plot.setLabel("bottom", _tr("Epoch"))
        self.plot_palette = PlotPalette(self, [self.loss_plot, self.ic_plot])
        self.train_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#4c9be8", width=2), name=_tr("train"))
        self.valid_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#e8a33c", width=2), name=_tr("valid"))
        self.ic_curve = self.ic_plot.plot([], [], pen=pg.mkPen("#5cc26b", width=2), symbol="o", symbolSize=5)

    def show_epochs(self, title: str, epochs: Sequence[tuple[int, float, float, float]]) -> None:
        """Redraw from (epoch, train loss, valid loss, valid IC) rows; an empty list clears the plots."""
        self.loss_plot.setTitle(title)
        xs = [e[0] for e in epochs]
        self.train_curve.setData(xs, [e[1] for e in epochs])
        self.valid_curve.setData(xs, [e[2] for e in epochs])
        self.ic_curve.setData(xs, [e[3] for e in epochs])
