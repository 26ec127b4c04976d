"""BacktestPanel offscreen: the form as a dict, strategy rows toggle, results drawn into curves and tables."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from widgets.backtest_panel import BacktestPanel, BacktestView


def test_form_and_strategy_rows(qtbot: QtBot) -> None:
    panel = BacktestPanel()
    qtbot.addWidget(panel)
    panel.signal_file.setText(" /tmp/s.csv ")
    panel.topk.setValue(30)
    panel.deal_price.setCurrentIndex(2)
    asked: list[dict] = []
    panel.sig_run_requested.connect(asked.append)
    panel.run_button.click()
    assert asked[0]["signals"] == "/tmp/s.csv" and asked[0]["topk"] == 30 and asked[0]["deal_price"] == "vwap"
    assert asked[0]["source"] == "file" and asked[0]["stop_loss"] is None
    panel.show()
    assert panel.topk.isVisible() and not panel.max_positions.isVisible()
    panel.strategy.setCurrentIndex(1)
    assert not panel.topk.isVisible() and panel.max_positions.isVisible()
    panel.source.setCurrentIndex(1)
    assert panel.run_id.isVisible() and not panel.signal_file.isVisible()


def test_result_is_drawn_and_a_trade_can_be_opened(qtbot: QtBot) -> None:
    panel = BacktestPanel()
    qtbot.addWidget(panel)
    view = BacktestView(
        "topk",
        [1.6e9, 1.6e9 + 86400],
        [1.0, 1.02],
        [1.0, 0.99],
        [0.0, -0.01],
        [("Annualised excess return (benchmark-relative)", "2.00%")],
        [("2020-09-14", "600000.SH", "buy", "100", "10.00", "1,000.00", "5.02", "")],
    )
    assert panel.curves_stack.currentWidget() is panel.empty_label  # no four empty plots before a run
    panel.show_result(view)
    assert panel.curves_stack.currentWidget() is panel.curves
    name_width = panel.metrics_table.fontMetrics().horizontalAdvance(view.metrics[0][0])
    assert panel.metrics_table.columnWidth(0) >= name_width  # the metric's name is not cut off
    xs, ys = panel.curves.equity_curve.getData()
    assert list(ys) == [1.0, 1.02] and list(panel.curves.benchmark_curve.getData()[1]) == [1.0, 0.99]
    assert panel.metrics_table.item(0, 1).text() == "2.00%" and panel.trades_table.rowCount() == 1
    assert panel.export_button.isEnabled()
    opened: list[tuple[str, str]] = []
    panel.sig_trade_activated.connect(lambda s, d: opened.append((s, d)))
    panel.trades_table.cellDoubleClicked.emit(0, 3)
    assert opened == [("600000.SH", "2020-09-14")]


def test_busy_state_toggles_buttons(qtbot: QtBot) -> None:
    panel = BacktestPanel()
    qtbot.addWidget(panel)
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    panel.show_busy("Backtest 2020-01-02", 3, 10)
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled() and panel.progress.value() == 3
