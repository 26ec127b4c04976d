"""Signals dock: a run's latest real-data scores → TopkDropout plan on the paper account → the orders dock."""

from __future__ import annotations

from pathlib import Path

from app.orders_presenter import OrdersPresenter, paper_service
from app.signals_presenter import SignalsPresenter
from core.research.registry import RunRegistry
from core.storage import MarketStore
from tests.core.backtest.fixtures import SYMBOLS, fill_store, momentum_signals
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
        panel, data_dir, data_dir / "market.sqlite", {"600519.SH": "贵州茅台"}, orders.service, orders.send_rebalance
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

    asked: list[list[str]] = []
    orders_panel.confirm_orders = lambda lines: asked.append(list(lines)) or False  # type: ignore[method-assign]
    panel.send_button.click()
    assert len(asked) == 1 and len(asked[0]) == 3
    assert all(any(o.symbol in line for line in asked[0]) for o in plan.orders)


def test_no_runs_says_where_runs_come_from(qtbot, tmp_path: Path) -> None:
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    SignalsPresenter(panel, tmp_path, tmp_path / "market.sqlite", {})
    assert not panel.plan_button.isEnabled() and "Training dock" in panel.message.text()
    assert not (tmp_path / "research.sqlite").exists()  # looking did not create a registry
