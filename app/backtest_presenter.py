"""BacktestPanel presenter: runs the backtest job on a worker thread, shows progress, curves, metrics, trades."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject

from app.job_runner import JobFinished, JobRunner
from app.session_files import read_json, write_json
from core.events import RunDeleted, RunRegistered
from core.jobs import CancelToken, Progress
from widgets.backtest_panel import BacktestPanel, BacktestView
from widgets.chart.view_state import ChartMarker
from widgets.tr import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from app.events import GuiEvents
    from core.backtest.run import BacktestResult
    from core.jobs import JobRegistry
    from core.research.registry import RunRecord, RunRegistry

log = logging.getLogger(__name__)
BACKTEST_FORM_FILE = "backtest_form.json"
_TRADE_ROWS = 5000  # the table shows this many trades; the exported CSV has all of them


def _tr(text: str) -> str:
    return QCoreApplication.translate("BacktestPresenter", text)


_METRIC_LABELS = {
    "total_return": QT_TRANSLATE_NOOP("BacktestMetrics", "Total return"),
    "annualized_return": QT_TRANSLATE_NOOP("BacktestMetrics", "Annualized return"),
    "volatility": QT_TRANSLATE_NOOP("BacktestMetrics", "Volatility"),
    "sharpe": QT_TRANSLATE_NOOP("BacktestMetrics", "Sharpe ratio"),
    "sortino": QT_TRANSLATE_NOOP("BacktestMetrics", "Sortino ratio"),
    "max_drawdown": QT_TRANSLATE_NOOP("BacktestMetrics", "Max drawdown"),
    "max_drawdown_days": QT_TRANSLATE_NOOP("BacktestMetrics", "Max drawdown (days)"),
    "calmar": QT_TRANSLATE_NOOP("BacktestMetrics", "Calmar ratio"),
    "win_rate_days": QT_TRANSLATE_NOOP("BacktestMetrics", "Winning days"),
    "turnover": QT_TRANSLATE_NOOP("BacktestMetrics", "Daily turnover"),
    "costs_paid": QT_TRANSLATE_NOOP("BacktestMetrics", "Costs paid"),
    "average_positions": QT_TRANSLATE_NOOP("BacktestMetrics", "Average positions"),
    "trading_days": QT_TRANSLATE_NOOP("BacktestMetrics", "Trading days"),
    "excess_return": QT_TRANSLATE_NOOP("BacktestMetrics", "Excess return"),
    "excess_annualized": QT_TRANSLATE_NOOP("BacktestMetrics", "Excess return, annualized"),
    "information_ratio": QT_TRANSLATE_NOOP("BacktestMetrics", "Information ratio"),
    "excess_return_without_cost": QT_TRANSLATE_NOOP("BacktestMetrics", "Excess return without cost"),
    "excess_annualized_without_cost": QT_TRANSLATE_NOOP("BacktestMetrics", "Excess annualized without cost"),
    "information_ratio_without_cost": QT_TRANSLATE_NOOP("BacktestMetrics", "Information ratio without cost"),
    "benchmark_return": QT_TRANSLATE_NOOP("BacktestMetrics", "Benchmark return"),
    "trades": QT_TRANSLATE_NOOP("BacktestMetrics", "Trades"),
    "win_rate": QT_TRANSLATE_NOOP("BacktestMetrics", "Win rate (closing trades)"),
    "profit_factor": QT_TRANSLATE_NOOP("BacktestMetrics", "Profit factor"),
    "ic": QT_TRANSLATE_NOOP("BacktestMetrics", "IC"),
    "rank_ic": QT_TRANSLATE_NOOP("BacktestMetrics", "Rank IC"),
    "suspended": QT_TRANSLATE_NOOP("BacktestMetrics", "Refused: suspended"),
    "limit_up": QT_TRANSLATE_NOOP("BacktestMetrics", "Refused: limit up"),
    "limit_down": QT_TRANSLATE_NOOP("BacktestMetrics", "Refused: limit down"),
    "t_plus_1": QT_TRANSLATE_NOOP("BacktestMetrics", "Refused: T+1"),
    "lot": QT_TRANSLATE_NOOP("BacktestMetrics", "Refused: below one lot"),
    "cash": QT_TRANSLATE_NOOP("BacktestMetrics", "Refused: not enough cash"),
}
# Names the strategy left alone because the rule engine said they could not trade that day (TopkDropout
# asks before it orders, so these never show up as refusals).
_SKIP_LABELS = {
    "suspended": QT_TRANSLATE_NOOP("BacktestMetrics", "Skipped: suspended"),
    "limit_up": QT_TRANSLATE_NOOP("BacktestMetrics", "Skipped: limit up"),
    "limit_down": QT_TRANSLATE_NOOP("BacktestMetrics", "Skipped: limit down"),
}


def skip_label(reason: str) -> str:
    label = _SKIP_LABELS.get(reason)
    return QCoreApplication.translate("BacktestMetrics", str(label)) if label else f"skipped: {reason}"


def metric_label(key: str) -> str:
    label = _METRIC_LABELS.get(key)
    return QCoreApplication.translate("BacktestMetrics", str(label)) if label else key


class BacktestPresenter(QObject):
    """One backtest at a time; the job opens its own store connection on the worker thread.

    The run list follows the registry's facts (`events`), so a run trained this session is offered at once.
    """

    def __init__(
        self,
        panel: BacktestPanel,
        store_path: Path,
        data_dir: Path,
        *,
        runs: RunRegistry | None = None,
        jobs: JobRegistry | None = None,
        events: GuiEvents | None = None,
        form_file: Path | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._store_path = store_path
        self._data_dir = data_dir
        self._runs = runs
        self.result: BacktestResult | None = None
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        panel.sig_run_requested.connect(self._on_panel_sig_run_requested)
        panel.sig_cancel_requested.connect(self.runner.cancel)
        panel.sig_export_requested.connect(self._on_panel_sig_export_requested)
        panel.sig_trade_activated.connect(self._on_panel_sig_trade_activated)
        panel.sig_run_chosen.connect(self._on_panel_sig_run_chosen)
        self._test_periods: dict[str, tuple[str, str]] = {}
        self._open_chart: Callable[[str, list[ChartMarker]], None] | None = None
        if events is not None:
            events.on(RunRegistered, self._on_events_run_changed)
            events.on(RunDeleted, self._on_events_run_changed)
        self.refresh_runs()
        self._form_file = form_file  # the last form run, filled in again at the next start
        saved = read_json(form_file) if form_file is not None else None
        if saved is not None:
            panel.set_form(saved)

    def _on_events_run_changed(self, _event: RunRegistered | RunDeleted) -> None:
        self.refresh_runs()

    def set_open_chart(self, open_chart: Callable[[str, list[ChartMarker]], None]) -> None:
        """Where a double-clicked trade goes: the chart, with every trade of that symbol marked."""
        self._open_chart = open_chart

    def trade_markers(self, symbol: str) -> list[ChartMarker]:
        if self.result is None:
            return []
        trades = self.result.trades[self.result.trades["symbol"] == symbol]
        return [
            ChartMarker(
                t.date, float(t.price), "buy" if t.side == "buy" else "sell", f"{t.side} {t.shares:,} @ {t.price:.2f}"
            )
            for t in trades.itertuples(index=False)
        ]

    def _on_panel_sig_trade_activated(self, symbol: str, _day: str) -> None:
        if self._open_chart is not None:
            self._open_chart(symbol, self.trade_markers(symbol))

    def refresh_runs(self) -> None:
        from core.research.registry import RunRegistry

        records: list[RunRecord] = []
        try:
            # Listing never creates the registry file: a fresh data folder stays untouched.
            records = (self._runs or RunRegistry(self._data_dir)).runs()
        except Exception:  # a missing or unreadable registry just means no runs to offer
            log.exception("could not list research runs")
        self._test_periods = {r.run_id: period for r in records if (period := _test_period(r)) is not None}
        self._panel.set_runs([r.run_id for r in records])

    def _on_panel_sig_run_chosen(self, run_id: str) -> None:
        # A run's predictions cover its test segment: backtesting that period is what the user means.
        period = self._test_periods.get(run_id)
        if period is not None:
            self._panel.set_period(*period)

    def _on_panel_sig_run_requested(self, form: dict[str, Any]) -> None:
        if self.runner.busy:
            return
        if self._form_file is not None:
            write_json(self._form_file, form)
        store_path, data_dir = self._store_path, self._data_dir

        def job(token: CancelToken) -> Iterator[Any]:
            yield from _backtest_job(store_path, data_dir, form, token)

        self.result = None
        if self.runner.start("backtest", job):
            self._panel.show_busy(_tr("Loading signals…"))

    def _on_runner_sig_reported(self, report: object) -> None:
        from core.backtest.run import BacktestResult

        if isinstance(report, Progress):
            self._panel.show_busy(_tr("Backtest {day}").format(day=report.message), report.done, report.total)
        elif isinstance(report, BacktestResult):
            self.result = report
        elif isinstance(report, str):
            self._panel.show_message(report)

    def _on_runner_sig_finished(self, finished: JobFinished) -> None:
        self._panel.show_busy(None)
        if finished.cancelled:
            self._panel.show_message(_tr("Backtest cancelled."))
        elif finished.error:
            self._panel.show_message(_tr("Backtest failed: {error}").format(error=_one_line(finished.error)))
        elif finished.job == "backtest" and self.result is not None:
            self._panel.show_result(result_view(self.result))

    def _on_panel_sig_export_requested(self, folder: str) -> None:
        result = self.result
        if result is None or self.runner.busy:
            return

        def job(token: CancelToken) -> Iterator[Any]:
            from core.backtest.report import write_report

            files = write_report(result, Path(folder))
            yield _tr("Report written to {path}").format(path=files["report.html"])

        self.runner.start("export", job)


def _test_period(record: RunRecord) -> tuple[str, str] | None:
    """The run's test segment, clipped to the data it was trained on; None for a config this cannot read."""
    from core.research.config import StartTraining

    try:
        start, end = StartTraining.from_dict(record.config).dataset.segments.test
    except (KeyError, TypeError, ValueError):
        return None
    return max(start, record.data_start or start), min(end, record.data_end or end)


def _one_line(error: str) -> str:
    # JobRunner prefixes the exception type; our own errors read better without it.
    for prefix in ("SignalError: ", "StrategyLoadError: ", "ValueError: "):
        if error.startswith(prefix):
            return error[len(prefix) :]
    return error


def _backtest_job(store_path: Path, data_dir: Path, form: dict[str, Any], token: CancelToken) -> Iterator[Any]:
    from core.backtest.engine import BacktestConfig
    from core.backtest.run import run_backtest, window_dates
    from core.backtest.signals import SignalError, read_signal_file, signals_from_run
    from core.storage.market_store import MarketStore
    from core.strategy.loader import load_strategy

    if form["source"] == "file":
        if not form["signals"]:
            raise SignalError(_tr("choose a signal file first"))
        signals = read_signal_file(form["signals"])
    else:
        if not form["run"]:
            raise SignalError(_tr("no registered run to backtest"))
        signals = signals_from_run(form["run"], data_dir)
    params = {k: form[k] for k in ("topk", "n_drop", "buy_threshold", "max_positions", "stop_loss", "take_profit")}
    strategy = load_strategy(form["strategy"], params)
    start, end = window_dates(form["start"], form["end"])
    config = BacktestConfig(start, end, form["deal_price"])
    store = MarketStore.open(store_path)  # opened on the worker thread that uses it
    try:
        yield from run_backtest(store, signals, strategy, config, token)
    finally:
        store.close()


def result_view(result: BacktestResult) -> BacktestView:
    """Plain lists and strings for the panel (widgets know nothing of pandas frames or core results)."""
    from core.backtest.report import format_metric

    d = result.daily
    x = [float(t.timestamp()) for t in d.index]
    initial = result.config.initial_cash
    bench = None
    if "benchmark" in d and d["benchmark"].notna().any():
        first = float(d["benchmark"].dropna().iloc[0])
        bench = [float(v) / first for v in d["benchmark"]]
    trades = [
        (
            r.date.isoformat() if isinstance(r.date, dt.date) else str(r.date),
            r.symbol,
            r.side,
            f"{r.shares:,}",
            f"{r.price:.2f}",
            f"{r.value:,.2f}",
            f"{r.commission + r.stamp_duty + r.transfer:,.2f}",
            f"{r.pnl:,.2f}" if r.side == "sell" else "",
        )
        for r in result.trades.head(_TRADE_ROWS).itertuples(index=False)
    ]
    metrics = [(metric_label(k), format_metric(k, v)) for k, v in result.metrics.items()]
    metrics += [(metric_label(k), str(v)) for k, v in sorted(result.refused.items())]
    metrics += [(skip_label(k), str(v)) for k, v in sorted(result.skipped_counts.items())]
    title = _tr("{strategy} {start} → {end}: total return {ret}").format(
        strategy=result.strategy,
        start=result.config.start,
        end=result.config.end,
        ret=format_metric("total_return", result.metrics["total_return"]),
    )
    excess = [float(v) for v in d["excess"]] if "excess" in d else None
    return BacktestView(
        title,
        x,
        [float(v) / initial for v in d["equity"]],
        bench,
        [float(v) for v in d["drawdown"]],
        metrics,
        trades,
        tuple(result.notes),
        excess,
        [float(v) for v in d["positions"]],
        [float(v) for v in d["turnover"]],
    )
