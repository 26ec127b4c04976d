"""SignalsPresenter: plans today's rebalance from a run's stored predictions and the orders dock's account."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject

from app.job_runner import JobFinished, JobRunner
from core.events import RunDeleted, RunRegistered
from core.jobs import CancelToken
from widgets.signals_panel import OrderRow, ScoreRow, SignalsPanel

if TYPE_CHECKING:
    from app.events import GuiEvents
    from core.jobs import JobRegistry
    from core.research.registry import RunRegistry
    from core.strategy.rebalance import RebalancePlan
    from core.trading.service import TradingService

TOP_SCORES = 100  # rows of the score table; the plan itself ranks every scored name


def _tr(text: str) -> str:
    return QCoreApplication.translate("SignalsPresenter", text)


def plan_job(
    data_dir: Path,
    store_path: Path,
    run_id: str,
    topk: int,
    n_drop: int,
    holdings: dict[str, int],
    bought_today: dict[str, int],
    cash: float,
) -> Iterator[Any]:
    """Worker-thread job: the run's latest scores through TopkDropout against the current holdings."""
    from core.backtest.signals import signals_from_run
    from core.storage import MarketStore
    from core.strategy.rebalance import plan_rebalance
    from core.strategy.topk_dropout import TopkDropoutStrategy

    signals = signals_from_run(run_id, data_dir)
    store = MarketStore.open(store_path)  # one connection per thread
    try:
        yield plan_rebalance(
            store, signals, TopkDropoutStrategy(topk=topk, n_drop=n_drop), holdings, cash, bought_today=bought_today
        )
    finally:
        store.close()


class SignalsPresenter(QObject):
    def __init__(
        self,
        panel: SignalsPanel,
        data_dir: Path,
        store_path: Path,
        names: dict[str, str],
        trading: TradingService | None = None,
        send_orders: Callable[[Sequence[Any]], object] | None = None,
        *,
        runs: RunRegistry | None = None,
        jobs: JobRegistry | None = None,
        events: GuiEvents | None = None,
    ) -> None:
        super().__init__(panel)
        self.panel = panel
        self._data_dir = data_dir
        self._store_path = store_path
        self._names = names
        self._trading = trading  # its account is what the plan rebalances
        self._send_orders = send_orders  # confirms and sends the planned orders (the orders dock)
        self._runs = runs
        self.plan: RebalancePlan | None = None
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        panel.sig_plan_requested.connect(self._on_panel_sig_plan_requested)
        panel.sig_send_requested.connect(self._on_panel_sig_send_requested)
        panel.sig_refresh_requested.connect(self.refresh)
        if events is not None:  # a run trained or deleted this session is listed at once
            events.on(RunRegistered, lambda _event: self.refresh())
            events.on(RunDeleted, lambda _event: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        from core.research.registry import RunRegistry

        # Listing never creates the registry file: a fresh data folder stays untouched.
        registry = self._runs or RunRegistry(self._data_dir)
        runs = sorted(registry.runs(), key=lambda r: r.created, reverse=True)
        self.panel.set_runs([(r.run_id, f"{r.run_id} · IC {r.metrics.get('ic', float('nan')):.4f}") for r in runs])

    def _account(self) -> tuple[dict[str, int], dict[str, int], float]:
        if self._trading is None:
            return {}, {}, 0.0
        broker = self._trading.broker
        positions = [p for p in broker.positions() if p.total > 0]
        return (
            {p.symbol: p.total for p in positions},
            {p.symbol: p.total - p.sellable - p.frozen for p in positions if p.total - p.sellable - p.frozen > 0},
            float(broker.account().cash),
        )

    def _on_panel_sig_plan_requested(self, run_id: str, topk: int, n_drop: int) -> None:
        holdings, bought_today, cash = self._account()
        self.plan = None
        self.panel.set_busy(True)
        self.runner.start(
            _tr("plan rebalance"),
            lambda token: _cancellable(
                plan_job(self._data_dir, self._store_path, run_id, topk, n_drop, holdings, bought_today, cash), token
            ),
        )

    def _on_runner_sig_reported(self, plan: RebalancePlan) -> None:
        self.plan = plan
        targets = set(plan.targets)
        scores = [
            ScoreRow(i + 1, s, self._names.get(s, ""), score, s in targets)
            for i, (s, score) in enumerate(plan.ranked[:TOP_SCORES])
        ]
        orders = [
            OrderRow(
                o.side,
                o.symbol,
                self._names.get(o.symbol, ""),
                o.shares,
                o.price,
                o.value,
                o.fees,
                f"{o.limit_down:.2f} … {o.limit_up:.2f}" if o.limit_up and o.limit_down else "",
            )
            for o in plan.orders
        ]
        note = _tr("{n} refused by the trading rules.").format(n=len(plan.refused)) if plan.refused else ""
        self.panel.show_plan(plan.signal_day.isoformat(), scores, orders, note)

    def _on_runner_sig_finished(self, finished: JobFinished) -> None:
        self.panel.set_busy(False)
        if finished.error:
            self.panel.show_message(finished.error.split(": ", 1)[-1], error=True)
        if self.plan is not None:
            self.panel.send_button.setEnabled(bool(self.plan.orders))

    def _on_panel_sig_send_requested(self) -> None:
        if self.plan is None or self._send_orders is None:
            return
        self._send_orders(self.plan.orders)


def _cancellable(job: Iterator[Any], token: CancelToken) -> Iterator[Any]:
    token.raise_if_cancelled()
    yield from job
