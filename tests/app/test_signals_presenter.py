"""Signals dock: a run's latest real-data scores → TopkDropout plan on the paper account → the orders dock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.orders_presenter import OrdersPresenter
from app.signals_presenter import SignalsPresenter
from core.domain.orders import Order, OrderStatus, OrderType, Side
from core.research.registry import RunRegistry
from core.storage import MarketStore
from core.trading.accounts import paper_service
from tests.core.backtest.fixtures import SYMBOLS, fill_store, momentum_signals
from tests.core.research.slices import Slice
from tests.core.routine.conftest import trained  # noqa: F401  (a small run that can score new days)
from widgets.orders_panel import OrdersPanel
from widgets.signals_panel import SignalsPanel


def _record_run(data_dir: Path, store: MarketStore) -> object:
    signals = momentum_signals(store, SYMBOLS, "2020-06-01", "2020-12-31")
    registry = RunRegistry(data_dir)
    model = registry.run_dir("momentum-1")
    model.mkdir(parents=True, exist_ok=True)
    (model / "model.bin").write_bytes(b"weights")
    registry.record(
        "momentum-1",
        {"model": "lightgbm", "dataset": {"kind": "alpha158", "universe": "csi300"}},
        {"ic": 0.05},
        signals,
        model / "model.bin",
        ("2020-06-01", "2020-12-31"),
    )
    return signals


def test_plan_from_the_latest_scores_and_send_it_to_the_orders_dock(qtbot, tmp_path: Path, cn_data: Path) -> None:
    data_dir = tmp_path / "data"
    store = fill_store(MarketStore.open(data_dir / "market.sqlite"), cn_data, index=False)
    try:
        signals = _record_run(data_dir, store)
    finally:
        store.close()
    orders_panel = OrdersPanel()
    qtbot.addWidget(orders_panel)
    orders = OrdersPresenter(orders_panel, paper_service(tmp_path / "paper", None, replay=True))
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    presenter = SignalsPresenter(
        panel, data_dir, data_dir / "market.sqlite", {"600519.SH": "贵州茅台"}, orders.service, orders.send_confirmed
    )
    assert panel.run_box.count() == 1 and panel.run_box.currentData() == "momentum-1"

    panel.topk.setValue(3)
    panel.n_drop.setValue(1)
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=60_000):
        panel.plan_button.click()
    plan = presenter.plan
    assert plan is not None
    last_day = signals.index.get_level_values(0).max()
    latest = signals.xs(last_day, level=0)["score"].sort_values(ascending=False)
    assert plan.signal_day == last_day.date()
    assert [s for s, _ in plan.ranked] == list(latest.index)  # every scored name, best first
    # An empty paper account buys the three best names, in 100-share lots, within the cash.
    assert sorted(o.symbol for o in plan.orders) == sorted(latest.index[:3]) == sorted(plan.targets)
    assert all(o.side == "buy" and o.shares > 0 and o.shares % 100 == 0 for o in plan.orders)
    assert sum(o.value + o.fees for o in plan.orders) <= 1_000_000.0
    assert panel.scores.item(0, 1).text() == latest.index[0] and panel.orders.rowCount() == 3
    assert panel.send_button.isEnabled()

    asked: list[tuple[str, list[str], str]] = []
    answer = {"yes": False}
    panel.confirm_send = lambda mode, lines, session: asked.append((mode, list(lines), session)) or answer["yes"]  # type: ignore[method-assign]
    orders_panel.confirm_orders = lambda lines: pytest.fail("a second question for the same send")  # type: ignore[method-assign]
    panel.send_button.click()
    assert len(asked) == 1 and asked[0][0] == "paper" and asked[0][2] == str(plan.session)
    assert len(asked[0][1]) == 3 and all(any(o.symbol in line for line in asked[0][1]) for o in plan.orders)
    assert orders.service.broker.orders() == []  # No: nothing sent
    answer["yes"] = True
    panel.send_button.click()
    assert len(asked) == 2  # one question per send, from the Signals dock only
    assert "of 3 orders sent" in orders_panel.message_label.text()  # all three went through the checks
    sent = orders.service.broker.orders()
    assert sent and all(o.origin == "rebalance" and o.symbol in {p.symbol for p in plan.orders} for o in sent)


def test_no_runs_says_where_runs_come_from(qtbot, tmp_path: Path) -> None:
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    SignalsPresenter(panel, tmp_path, tmp_path / "market.sqlite", {})
    assert not panel.plan_button.isEnabled() and "Training dock" in panel.message.text()
    assert not (tmp_path / "research.sqlite").exists()  # looking did not create a registry


def test_the_dock_scores_the_newest_day_and_plans_against_available_cash(
    qtbot,
    tmp_path: Path,
    trained: tuple[Slice, str],  # noqa: F811
) -> None:
    s, run_id = trained
    orders_panel = OrdersPanel()
    qtbot.addWidget(orders_panel)
    service = paper_service(tmp_path / "paper", None, replay=True)
    now = dt.datetime(2012, 3, 30, 14, 0)
    held = Order("b1", s.symbols[0], Side.BUY, OrderType.LIMIT, 100, 10.0, OrderStatus.SUBMITTED, now, now)
    service.broker.ledger.orders["b1"] = held  # an open buy holding 600,000 of the paper cash
    service.broker.ledger.reserved["b1"] = 600_000.0
    clock = {"now": dt.datetime(2012, 3, 30, 15, 40)}  # after Friday's close: the plan is for Monday's open
    service.broker.clock = lambda: clock["now"]  # type: ignore[method-assign]
    orders = OrdersPresenter(orders_panel, service)
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    presenter = SignalsPresenter(
        panel, s.data_dir, s.data_dir / "market.sqlite", {}, orders.service, orders.send_confirmed
    )
    panel.topk.setValue(4)
    panel.n_drop.setValue(1)
    panel.risk_degree.setValue(0.5)
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=120_000):
        panel.plan_button.click()
    plan = presenter.plan
    assert plan is not None and plan.signal_day == dt.date(2012, 3, 30) and plan.session == dt.date(2012, 4, 2)
    spent = sum(o.value + o.fees for o in plan.orders)
    assert 0 < spent <= 0.5 * 400_000 + 1  # half of the cash not held by the open buy
    summary = panel.summary.text()
    assert "Signal day 2012-03-30 · store day 2012-03-30" in summary and "1 open order(s)" in summary
    assert "(paper)" in summary and "Stale" not in panel.message.text()
    out = tmp_path / "plan.csv"
    presenter._on_panel_sig_export_requested(str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("session,side,symbol") and len(lines) == len(plan.orders) + 1

    # Planned for a later session, orders are priced (and sized) 2% over the last close, as the routine's.
    store = MarketStore.open(s.data_dir / "market.sqlite")
    try:
        closes = {o.symbol: float(store.read_bars(o.symbol, "1d")["close"].iloc[-1]) for o in plan.orders}
    finally:
        store.close()
    assert all(closes[o.symbol] < o.price <= round(closes[o.symbol] * 1.02, 2) for o in plan.orders if o.side == "buy")
    # Sent after Friday's close, the plan is queued for Monday's open, survives a restart and goes out then.
    panel.confirm_send = lambda mode, lines, session: True  # type: ignore[method-assign]
    panel.send_button.click()
    queued = service.queued()
    assert len(queued) == len(plan.orders) and {q.session for q in queued} == {dt.date(2012, 4, 2)}
    assert "queued for 2012-04-02" in panel.message.text() and [o.client_id for o in service.broker.orders()] == ["b1"]
    reopened = paper_service(tmp_path / "paper", None, replay=True)
    assert [q.request.client_id for q in reopened.queued()] == [q.request.client_id for q in queued]
    orders.refresh()
    assert orders_panel.queued_table.rowCount() == len(plan.orders)
    clock["now"] = dt.datetime(2012, 4, 2, 9, 30)
    assert len(orders.release_due()) == len(plan.orders)
    assert {q.status for q in service.queued()} == {"released"}


def test_a_run_that_cannot_score_plans_its_stored_scores_and_says_they_are_stale(
    qtbot, tmp_path: Path, cn_data: Path
) -> None:
    data_dir = tmp_path / "data"
    store = fill_store(MarketStore.open(data_dir / "market.sqlite"), cn_data, index=False)
    try:
        _record_run(data_dir, store)
    finally:
        store.close()
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    presenter = SignalsPresenter(panel, data_dir, data_dir / "market.sqlite", {})
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=60_000):
        panel.plan_button.click()
    assert "Stale" in panel.message.text() and "2020-12-31" in panel.message.text()
    assert "store day 2022-12-30" in panel.summary.text()


def test_the_send_question_names_the_account_and_defaults_to_no_for_live(qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    panel = SignalsPanel()
    qtbot.addWidget(panel)
    lines = [f"Buy 60000{k}.SH 100 @ 10.0{k}" for k in range(4)]
    live = panel.confirm_box("live", lines, "2021-01-04")
    assert "LIVE" in live.text() and "4 order(s) for 2021-01-04" in live.text()
    assert live.detailedText().splitlines() == lines and "600003.SH" in live.informativeText()
    assert live.defaultButton() is live.button(QMessageBox.StandardButton.No)
    paper = panel.confirm_box("paper", lines, "2021-01-04")
    assert "paper account" in paper.text()
    assert paper.defaultButton() is paper.button(QMessageBox.StandardButton.Yes)
