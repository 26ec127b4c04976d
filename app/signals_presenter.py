"""SignalsPresenter: scores the newest stored day with a run and plans the next session against the orders dock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject

from app.job_runner import JobFinished, JobRunner
from app.orders_presenter import USER
from core.events import RunDeleted, RunRegistered
from core.jobs import CancelToken
from core.routine.daily import DEFAULT_COLLAR
from core.strategy.available import Available, available_from
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


@dataclass(frozen=True)
class DockPlan:
    """A plan with what the dock shows beside it: the store's newest day and how the scores were made."""

    plan: RebalancePlan
    store_day: str
    scored: bool  # True: the dock scored the store's newest day; False: the run's stored test scores


def plan_job(
    data_dir: Path,
    store_path: Path,
    run_id: str,
    params: dict[str, Any],
    available: Available,
    cancel: CancelToken | None = None,
    today: dt.date | None = None,
) -> Iterator[Any]:
    """Worker-thread job: score the store's newest day with the run, plan it against what the account has.

    A run trained without its fitted feature processing cannot score new days; its stored test scores
    are planned instead and the dock says how old they are. A plan for a session after `today` is queued
    for its open, so it is priced and sized as the routine's queued orders are (a collar over the close).
    """
    from core.backtest.signals import signals_from_run
    from core.research.registry import RunRegistry
    from core.research.scoring import Scores, score_days
    from core.storage import MarketStore
    from core.strategy.rebalance import plan_rebalance
    from core.strategy.topk_dropout import TopkDropoutStrategy

    strategy = TopkDropoutStrategy(**params)  # the one TopkDropout, so ties break as in the backtest
    store = MarketStore.open(store_path)  # one connection per thread
    try:
        days = store.trading_days()
        if not days:
            raise ValueError(_tr("The store holds no daily bars: import some in the Data dock first."))
        scored = RunRegistry(data_dir).can_score(run_id)
        if scored:
            scores: Scores | None = None
            for item in score_days(data_dir, run_id, days[-1], days[-1], cancel, store_file=store_path):
                scores = item if isinstance(item, Scores) else scores
            assert scores is not None
            signals = scores.frame.set_index(["datetime", "instrument"]).sort_index()
        else:
            signals = signals_from_run(run_id, data_dir)
        signal_day = signals.index.get_level_values(0).max().date()
        queued = today is not None and signal_day >= today  # its session is after today: it will be queued
        plan = plan_rebalance(
            store,
            signals,
            strategy,
            available.holdings,
            available.cash,
            sellable=available.sellable,
            collar=DEFAULT_COLLAR if queued else None,
        )
        yield DockPlan(plan, days[-1], scored)
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
        send_orders: Callable[[Sequence[Any]], object] | None = None,  # sends without asking again
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
        self._send_orders = send_orders  # sends the confirmed plan through the orders dock
        self._runs = runs
        self.plan: RebalancePlan | None = None
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        panel.sig_plan_requested.connect(self._on_panel_sig_plan_requested)
        panel.sig_send_requested.connect(self._on_panel_sig_send_requested)
        panel.sig_refresh_requested.connect(self.refresh)
        panel.sig_export_requested.connect(self._on_panel_sig_export_requested)
        self.available = Available({}, {}, 0.0)
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

    def _available(self) -> Available:
        if self._trading is None:
            return Available({}, {}, 0.0, [], "paper")
        broker = self._trading.broker
        mode = self._trading.mode
        return available_from(broker.account(), broker.positions(), broker.orders(), mode)

    def _on_panel_sig_plan_requested(
        self, run_id: str, topk: int, n_drop: int, hold_thresh: int, risk_degree: float
    ) -> None:
        available = self._available()
        today = self._trading.broker.clock().date() if self._trading is not None else None
        params = {"topk": topk, "n_drop": min(n_drop, topk), "hold_thresh": hold_thresh, "risk_degree": risk_degree}
        self.plan = None
        self.available = available
        self.panel.set_busy(True)
        self.runner.start(
            _tr("plan rebalance"),
            lambda token: plan_job(self._data_dir, self._store_path, run_id, params, available, token, today),
        )

    def _on_runner_sig_reported(self, result: DockPlan) -> None:
        plan = self.plan = result.plan
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
        day = plan.signal_day.isoformat()
        stale = day < result.store_day
        notes = []
        if stale:
            notes.append(
                _tr(
                    "Stale: these are the run's stored scores of {day}, the store ends {store}; retrain to score it."
                ).format(day=day, store=result.store_day)
            )
        if plan.refused:
            notes.append(_tr("{n} refused by the trading rules.").format(n=len(plan.refused)))
        self.panel.show_plan(day, scores, orders, " ".join(notes), warning=stale)
        available = self.available
        self.panel.show_summary(
            _tr(
                "Signal day {day} · store day {store} · orders for {session} ({mode}) · cash available {cash:,.0f}"
                " · {open} open order(s) · total value after {value:,.0f} · cash after {after:,.0f}"
            ).format(
                day=day,
                store=result.store_day,
                session=plan.session,
                mode=_tr("live") if available.mode == "live" else _tr("paper"),
                cash=available.cash,
                open=len(available.open_orders),
                value=plan.value_after,
                after=plan.cash_after,
            )
        )

    def _on_runner_sig_finished(self, finished: JobFinished) -> None:
        self.panel.set_busy(False)
        if finished.error:
            self.panel.show_message(finished.error.split(": ", 1)[-1], error=True)
        if self.plan is not None:
            self.panel.send_button.setEnabled(bool(self.plan.orders))

    def _on_panel_sig_send_requested(self) -> None:
        if self.plan is None or self._send_orders is None:
            return
        items = sorted(self.plan.orders, key=lambda o: o.side != "sell")  # sells go first, freeing cash
        lines = [
            _tr("{side} {symbol} {qty:,} @ {price:.2f}").format(
                side=_tr("Sell") if o.side == "sell" else _tr("Buy"), symbol=o.symbol, qty=o.shares, price=o.price
            )
            for o in items
        ]
        # One question, here, naming the account and every order; the orders dock sends without asking again.
        if not self.panel.confirm_send(self.available.mode, lines, str(self.plan.session)):
            return
        session = self.plan.session
        if self._trading is not None and session is not None and session > self._trading.broker.clock().date():
            self._queue(items, session)  # planned after the close: held for the session's open (预埋单)
            return
        self._send_orders(items)

    def _queue(self, items: Sequence[Any], session: dt.date) -> None:
        from core.domain.orders import OrderRequest, Side
        from core.trading import new_client_id

        assert self._trading is not None
        requests = [
            OrderRequest(new_client_id(), o.symbol, Side(o.side), o.shares, round(o.price, 2), origin="rebalance")
            for o in items
        ]
        try:
            self._trading.queue(requests, session, actor=USER)
        except ValueError as exc:  # the book refused the batch: nothing was queued
            self.panel.show_message(str(exc), error=True)
            return
        self.panel.show_message(
            _tr("{n} order(s) queued for {session}: the Orders dock releases them at the open.").format(
                n=len(requests), session=session
            )
        )

    def _on_panel_sig_export_requested(self, path: str) -> None:
        from core.strategy.rebalance import write_plan_csv

        if self.plan is None:
            return
        try:
            written = write_plan_csv(self.plan, Path(path))
        except OSError as exc:
            self.panel.show_message(_tr("Could not write {path}: {why}").format(path=path, why=exc), error=True)
            return
        self.panel.show_message(_tr("Plan written to {path}").format(path=written))
