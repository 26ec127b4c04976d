"""Plots that follow the window's theme: pyqtgraph draws black by default, whatever the light theme says."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QPalette

_FOLLOWED = (QEvent.Type.PaletteChange, QEvent.Type.StyleChange, QEvent.Type.Polish, QEvent.Type.Show)


class PlotPalette(QObject):
    """Keeps a plot widget's background, axes and titles in the colours of its (style-sheeted) palette."""

    def __init__(self, view: pg.GraphicsView, plots: Sequence[pg.PlotItem]) -> None:
        super().__init__(view)
        self._view = view
        self._plots = list(plots)
        view.installEventFilter(self)
        self.apply()

    def apply(self) -> None:
        palette = self._view.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self._view.setBackground(background)
        for plot in self._plots:
            for name in ("left", "bottom", "right", "top"):
                axis = plot.getAxis(name)
                axis.setPen(text)
                axis.setTextPen(text)
            plot.titleLabel.setText(plot.titleLabel.text, color=text.name())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self._view and event.type() in _FOLLOWED:
            self.apply()
        return False
