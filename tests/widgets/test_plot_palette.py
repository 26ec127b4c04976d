"""Training and backtest plots take the theme's colours instead of pyqtgraph's black."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from widgets.backtest_panel import BacktestPanel, BacktestView
from widgets.training_panel import TrainingPanel

THEMES = Path(__file__).resolve().parents[2] / "resources" / "themes"


def lightness(view: object) -> int:
    brush = view.backgroundBrush()  # type: ignore[attr-defined]
    return QColor(brush.color()).lightness()


@pytest.mark.parametrize(("theme", "light"), [("light", True), ("dark", False)])
def test_plots_follow_the_theme(qtbot: QtBot, qapp: QApplication, theme: str, light: bool) -> None:
    previous = qapp.styleSheet()
    qapp.setStyleSheet((THEMES / f"{theme}.qss").read_text(encoding="utf-8"))
    try:
        training, backtest = TrainingPanel(), BacktestPanel()
        for panel in (training, backtest):
            qtbot.addWidget(panel)
            panel.show()
        qtbot.waitExposed(backtest)
        # The plots are built with the first result or epoch, under whatever theme is on by then.
        backtest.show_result(BacktestView("run", [0.0, 86400.0], [1.0, 1.01], None, [0.0, 0.0], [], []))
        training.add_epoch(1, 0.5, 0.6, 0.02)
        curves = backtest.curves
        views = [training.curves, curves.equity_plot, curves.drawdown_plot, curves.activity_plot]
        qtbot.waitUntil(lambda: all((lightness(v) > 200) is light for v in views), timeout=2000)
        axis = backtest.curves.equity_plot.getPlotItem().getAxis("left")
        assert (QColor(axis.textPen().color()).lightness() < 128) is light  # dark text on light, and back
    finally:
        qapp.setStyleSheet(previous)
