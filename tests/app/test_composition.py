"""The desk as the app builds it: a run trained in the Training dock reaches every dock that lists runs at once."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.composition import Desk, build_desk
from app.services import Services, open_services
from core.domain.orders import Side
from core.events import JobEnded, JobStarted, RunDeleted, RunRegistered
from core.settings import AppSettings
from tests.core.research.slices import TINY_SEGMENTS, Slice, research_slice  # noqa: F401
from widgets.backtest_panel import BacktestPanel
from widgets.monitor_panel import MonitorPanel
from widgets.order_book_panel import OrderBookPanel
from widgets.signals_panel import SignalsPanel
from widgets.training_panel import TrainingPanel


@pytest.fixture()
def desk(qtbot: QtBot, research_slice: Slice) -> Iterator[tuple[Desk, Services]]:  # noqa: F811
    services = open_services(research_slice.data_dir, demo=False, scratch=True)
    built = build_desk(services, "en", AppSettings())
    for panel in built.panels.values():
        qtbot.addWidget(panel)  # a lazy dock's shell holds its panel once built
    try:
        yield built, services
    finally:
        if built.lazy["training"].built:
            built.training.runner.cancel()
            built.training.runner.wait(60)
        built.monitor.shutdown()
        services.close()


def _listed(desk: Desk) -> tuple[list[str], list[str], list[str]]:
    training, backtest, signals = (desk.panel(k) for k in ("training", "backtest", "signals"))
    assert isinstance(training, TrainingPanel) and isinstance(backtest, BacktestPanel)
    assert isinstance(signals, SignalsPanel)
    return (
        [training.runs_table.item(r, 0).text() for r in range(training.runs_table.rowCount())],
        [backtest.run_id.itemText(i) for i in range(backtest.run_id.count())],
        [signals.run_box.itemData(i) for i in range(signals.run_box.count())],
    )


def test_a_trained_run_reaches_backtest_and_signals_without_a_restart(
    qtbot: QtBot,
    desk: tuple[Desk, Services],
    research_slice: Slice,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # as the app's own logging setup does
    built, services = desk
    before = _listed(built)
    # The Monitor watches the orders dock's paper account from the start.
    assert built.monitor.monitor.store.get("trading.drawdown_pct") == 0.0
    assert built.monitor.monitor.store.get("trading.open_orders") == 0
    # What each dock lists at the moment the fact reaches the GUI thread (the docks' handlers ran first).
    seen: list[tuple[str, tuple[list[str], list[str], list[str]]]] = []
    built.events.on(RunRegistered, lambda e: seen.append((e.run_id, _listed(built))))
    built.events.on(RunDeleted, lambda e: seen.append((e.run_id, _listed(built))))
    jobs: list[JobStarted | JobEnded] = []
    built.events.on(JobStarted, jobs.append)
    built.events.on(JobEnded, jobs.append)

    panel = built.panel("training")
    assert isinstance(panel, TrainingPanel)
    panel.fields.model_combo.setCurrentText("lightgbm")
    panel.fields.universe_edit.setText(",".join(research_slice.symbols[:20]))
    panel.fields.segments_edit.setText(str(TINY_SEGMENTS))
    panel.fields.device_combo.setCurrentText("cpu")
    panel.fields.epochs_spin.setValue(10)
    panel.fields.size_spin.setValue(15)
    panel.fields.extra_edit.setText("lambda_l1=0, lambda_l2=1, num_threads=1, rounds_per_epoch=5")
    panel.train_button.click()
    job_id = built.training.runner.job_id
    assert job_id is not None and job_id in {j.job_id for j in services.jobs.running()}

    qtbot.waitUntil(lambda: len(seen) == 1, timeout=300_000)
    run_id, (training_runs, backtest_runs, signals_runs) = seen[0]
    assert all(run_id not in runs for runs in before)
    assert run_id in training_runs and run_id in backtest_runs and run_id in signals_runs
    # Choosing the run fills the backtest period with its test segment (within the data it was trained on).
    backtest = built.panel("backtest")
    assert isinstance(backtest, BacktestPanel)
    backtest.run_id.setCurrentText(run_id)
    record = next(r for r in services.runs.runs() if r.run_id == run_id)
    test_start, test_end = TINY_SEGMENTS.test
    chosen = (backtest.start.date().toString("yyyy-MM-dd"), backtest.end.date().toString("yyyy-MM-dd"))
    assert chosen == (max(test_start, record.data_start), min(test_end, record.data_end))

    def training_facts() -> list[JobStarted | JobEnded]:
        return [j for j in jobs if j.job_id == job_id]  # the chart's loads are jobs too

    qtbot.waitUntil(lambda: len(training_facts()) == 2, timeout=60_000)
    started, ended = training_facts()
    assert isinstance(started, JobStarted) and isinstance(ended, JobEnded)
    assert ended.error is None and not ended.cancelled
    assert job_id not in {j.job_id for j in services.jobs.running()}
    # The Log tab tells the story at its default level (INFO and up): the job and the run it registered.
    built.monitor.logs.flush()
    monitor_panel = built.panels["monitor"]
    assert isinstance(monitor_panel, MonitorPanel)
    shown = [row.message for row in monitor_panel.log_panel.visible_rows()]
    assert any(m.startswith(f"run {run_id} registered: lightgbm") for m in shown), shown
    assert any(m.startswith(f"{started.name} finished in ") for m in shown), shown

    # Deleting it in the Training dock takes it off the others too.
    panel.select_runs([run_id])
    panel.delete_button.click()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10_000)
    assert seen[1][0] == run_id and all(run_id not in runs for runs in seen[1][1])


def test_typing_21_or_23_opens_a_buy_or_sell_ticket_for_the_charted_stock(desk: tuple[Desk, Services]) -> None:
    built, _services = desk
    wizard = built.chart.keyboard_wizard
    assert wizard.search("23")[0] == ("23", "Sell ticket", "")
    assert wizard.search("21")[0] == ("21", "Buy ticket", "")
    assert "21" not in [row[0] for row in wizard.search("2")]  # a code is a command only when typed whole
    charted = built.chart.symbol
    assert charted
    wizard.popup.sig_open_requested.emit("23")
    ticket = built.orders.panel.ticket
    assert ticket.symbol_edit.text() == charted and ticket.side_box.currentData() == Side.SELL
    wizard.popup.sig_open_requested.emit("21")
    assert ticket.side_box.currentData() == Side.BUY


def test_the_order_book_follows_the_charted_symbol(qtbot: QtBot, desk: tuple[Desk, Services]) -> None:
    built, services = desk
    assert built.book is not None and built.chart.symbol and built.book.symbol == built.chart.symbol
    indices = services.store.index_symbols()
    other = next(s for s in services.watchlists.symbols() if s != built.chart.symbol and s not in indices)
    with qtbot.waitSignal(built.chart.sig_loaded, timeout=30000):
        built.chart.open_symbol(other)
    assert built.book.symbol == other
    book_panel = built.panels["order_book"]
    assert isinstance(book_panel, OrderBookPanel) and book_panel.title_label.text().endswith(other)
    board = built.board_panel
    row = next(r for r in range(board.model.rowCount()) if board.symbol_at(r) not in (other, *indices))
    board.table.selectRow(row)  # a row picked on the quote board, no chart load needed
    assert built.book.symbol == board.symbol_at(row)
