"""Backtest presenter on a real store: a run on a worker thread shows curves and trades; cancel; errors; export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.backtest_presenter import BacktestPresenter
from core.storage import MarketStore
from tests.core.backtest.fixtures import SYMBOLS, fill_store, momentum_signals
from widgets.backtest_panel import BacktestPanel


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, cn_data: Path) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("bt-app")
    store = fill_store(MarketStore.open(folder / "market.sqlite"), cn_data)
    momentum_signals(store, SYMBOLS, "2015-01-01", "2020-12-31").reset_index().to_csv(folder / "sig.csv", index=False)
    store.close()
    yield folder


def make(qtbot: QtBot, data: Path) -> tuple[BacktestPanel, BacktestPresenter]:
    panel = BacktestPanel()
    qtbot.addWidget(panel)
    presenter = BacktestPresenter(panel, data / "market.sqlite", data)
    panel.signal_file.setText(str(data / "sig.csv"))
    panel.topk.setValue(4)
    panel.n_drop.setValue(1)
    return panel, presenter


def set_dates(panel: BacktestPanel, start: str, end: str) -> None:
    from PySide6.QtCore import QDate

    panel.start.setDate(QDate.fromString(start, "yyyy-MM-dd"))
    panel.end.setDate(QDate.fromString(end, "yyyy-MM-dd"))


def test_run_shows_curves_metrics_and_trades_then_exports(qtbot: QtBot, data: Path, tmp_path: Path) -> None:
    panel, presenter = make(qtbot, data)
    set_dates(panel, "2019-01-02", "2020-12-31")
    panel.run_button.click()
    assert not panel.progress.isHidden()
    qtbot.waitUntil(lambda: not presenter.runner.busy and panel.run_button.isEnabled(), timeout=30_000)
    assert presenter.result is not None
    assert len(panel.curves.equity_curve.getData()[1]) == len(presenter.result.daily) == 487
    assert panel.trades_table.rowCount() == len(presenter.result.trades) > 0
    assert list(panel.curves.excess_curve.getData()[1]) == pytest.approx(presenter.result.daily["excess"].tolist())
    assert max(panel.curves.positions_curve.getData()[1]) <= 5
    labels = [panel.metrics_table.item(r, 0).text() for r in range(panel.metrics_table.rowCount())]
    assert "Sharpe ratio" in labels and "Information ratio" in labels
    assert panel.status.text().startswith("topk 2019-01-02 → 2020-12-31: total return")
    opened: list[tuple[str, list]] = []
    presenter.set_open_chart(lambda symbol, markers: opened.append((symbol, markers)))
    first = presenter.result.trades.iloc[0]
    panel.trades_table.cellDoubleClicked.emit(0, 1)
    assert opened[0][0] == first["symbol"]
    marks = opened[0][1]
    assert len(marks) == int((presenter.result.trades["symbol"] == first["symbol"]).sum())
    assert marks[0].kind == "buy" and marks[0].price == first["price"] and marks[0].time == first["date"]
    panel.sig_export_requested.emit(str(tmp_path / "rep"))
    # The message arrives as the job's last report, on the GUI thread: wait for it, not for the file.
    qtbot.waitUntil(lambda: "Report written to" in panel.status.text(), timeout=20_000)
    assert (tmp_path / "rep" / "report.html").exists()


def test_cancel_stops_a_long_run(qtbot: QtBot, data: Path) -> None:
    panel, presenter = make(qtbot, data)
    set_dates(panel, "2015-01-05", "2020-12-31")
    panel.run_button.click()
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not presenter.runner.busy and panel.run_button.isEnabled(), timeout=30_000)
    assert presenter.result is None and panel.status.text() == "Backtest cancelled."


def test_bad_signal_file_shows_one_line(qtbot: QtBot, data: Path, tmp_path: Path) -> None:
    panel, presenter = make(qtbot, data)
    panel.signal_file.setText(str(tmp_path / "missing.csv"))
    panel.run_button.click()
    qtbot.waitUntil(lambda: not presenter.runner.busy and panel.run_button.isEnabled(), timeout=10_000)
    assert panel.status.text() == f"Backtest failed: {tmp_path / 'missing.csv'}: signal file not found"


def test_names_skipped_at_the_limit_up_are_shown_in_the_metrics(data: Path) -> None:
    """TopkDropout leaves limit-up names alone before ordering: the dock says how many, not just refusals."""
    import datetime as dt

    import pandas as pd

    from app.backtest_presenter import result_view
    from core.backtest.engine import BacktestConfig
    from core.backtest.run import run_backtest
    from core.strategy.topk_dropout import TopkDropoutStrategy

    # 600036.SH closed at its limit up (40.41) on 2020-07-06; judged at the close, as Qlib does, it is skipped.
    day = pd.Timestamp("2020-07-03")
    sig = pd.DataFrame(
        [(day, s, 1.0 if s == "600036.SH" else 0.0) for s in SYMBOLS], columns=["datetime", "instrument", "score"]
    ).set_index(["datetime", "instrument"])
    store = MarketStore.open(data / "market.sqlite")
    try:
        config = BacktestConfig(dt.date(2020, 7, 6), dt.date(2020, 7, 7), "open", mode="qlib")
        result = list(run_backtest(store, sig, TopkDropoutStrategy(topk=1, n_drop=1, ties="qlib"), config))[-1]
    finally:
        store.close()
    assert result.skipped_counts == {"limit_up": 1}
    assert ("Skipped: limit up", "1") in result_view(result).metrics


def test_the_form_last_run_is_filled_in_again_at_the_next_start(qtbot: QtBot, data: Path, tmp_path: Path) -> None:
    form_file = tmp_path / "backtest_form.json"
    panel = BacktestPanel()
    qtbot.addWidget(panel)
    presenter = BacktestPresenter(panel, data / "market.sqlite", data, form_file=form_file)
    panel.signal_file.setText(str(tmp_path / "missing.csv"))
    panel.strategy.setCurrentIndex(panel.strategy.findData("threshold"))
    panel.max_positions.setValue(7)
    panel.stop_loss.setValue(0.08)
    set_dates(panel, "2019-01-02", "2020-06-30")
    panel.run_button.click()  # fails at once (no such file), but the form is what the user last ran
    qtbot.waitUntil(lambda: not presenter.runner.busy and panel.run_button.isEnabled(), timeout=10_000)

    again = BacktestPanel()
    qtbot.addWidget(again)
    BacktestPresenter(again, data / "market.sqlite", data, form_file=form_file)
    assert again.form() == panel.form()
    assert again.strategy.currentData() == "threshold" and again.start.text() == "2019-01-02"

    form_file.write_text("[1, 2", encoding="utf-8")  # damaged: the defaults, not a refusal to open
    fresh = BacktestPanel()
    qtbot.addWidget(fresh)
    BacktestPresenter(fresh, data / "market.sqlite", data, form_file=form_file)
    assert fresh.form() == BacktestPanel().form()
