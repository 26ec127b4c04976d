"""`qdesk backtest ...`: run a strategy over stored predictions or a signal file, print metrics, write a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_METRIC_ORDER = (
    "total_return",
    "annualized_return",
    "benchmark_return",
    "excess_return",
    "excess_annualized",
    "excess_return_without_cost",
    "information_ratio",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_days",
    "calmar",
    "turnover",
    "win_rate",
    "profit_factor",
    "ic",
    "rank_ic",
    "trades",
    "costs_paid",
)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "backtest",
        help="backtest a strategy on predictions or a signal file under A-share rules",
        description="Daily backtest: the score at the close of day t sets the orders of day t+1, filled at the "
        "chosen deal price under the A-share rules (lots, T+1, price limits by board and date, suspensions, "
        "commission with minimum, stamp duty and transfer fee by date). Prints the metrics; --report writes "
        "report.html and CSV tables. With --rebalance, prints today's target list and orders instead.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", metavar="RUN_ID", help="predictions of a registered research run")
    src.add_argument("--signals", metavar="FILE", help="csv/parquet with datetime, instrument, score columns")
    add_strategy_arguments(p)
    p.add_argument("--start", help="first trading day (YYYY-MM-DD; default: first signal day)")
    p.add_argument("--end", help="last trading day (YYYY-MM-DD; default: last signal day)")
    p.add_argument("--deal-price", choices=["open", "close", "vwap"], default="open", help="fill price (default open)")
    p.add_argument("--cash", type=float, default=10_000_000.0, help="initial cash in CNY (default 10,000,000)")
    p.add_argument("--benchmark", default="000300.SH", help="benchmark index in the store ('' for none)")
    p.add_argument(
        "--limit-mode",
        choices=["close", "touch", "deal", "off"],
        default="deal",
        help="when a price limit blocks a trade: at the deal price (default: what is known at the fill), "
        "at the close, at any touch",
    )
    p.add_argument(
        "--mode",
        choices=["honest", "qlib"],
        default="honest",
        help="honest (default): limits judged at the fill, ties by score then code; qlib: limits on the "
        "close and Qlib's tie order, to reconcile with qlib.backtest",
    )
    p.add_argument(
        "--annualization",
        type=int,
        default=252,
        metavar="DAYS",
        help="trading days per year for annualized figures (default 252; Qlib uses 238)",
    )
    p.add_argument("--st", metavar="FILE", help="risk-warning periods, CSV symbol,start,end (ST/*ST limits apply)")
    p.add_argument("--no-t-plus-1", action="store_true", help="allow selling on the buy day (not A-share rules)")
    p.add_argument("--commission", type=float, default=0.00025, help="commission rate (default 0.00025)")
    p.add_argument("--min-commission", type=float, default=5.0, help="minimum commission per order (default 5)")
    p.add_argument("--slippage", type=float, default=0.0, help="slippage as a fraction of the price (default 0)")
    p.add_argument("--report", metavar="DIR", help="write report.html and CSV tables into DIR")
    p.add_argument(
        "--rebalance",
        action="store_true",
        help="print the target list and orders for the session after the last signal day",
    )
    p.add_argument("--positions", metavar="FILE", help="--rebalance: current holdings, CSV symbol,shares")
    p.set_defaults(handler=cmd_backtest)


def add_strategy_arguments(p: argparse.ArgumentParser) -> None:
    """The strategy flags shared by backtest, signals and routine."""
    p.add_argument(
        "--strategy",
        default="topk",
        metavar="NAME",
        help="topk (TopkDropout), threshold, or a .py file with a Strategy subclass (default topk)",
    )
    p.add_argument("--topk", type=int, default=50, help="topk: names held (default 50)")
    p.add_argument("--n-drop", type=int, default=5, help="topk: names swapped per day at most (default 5)")
    p.add_argument("--hold-thresh", type=int, default=1, help="topk: minimum days held before a sell (default 1)")
    p.add_argument("--risk-degree", type=float, default=0.95, help="share of cash/equity invested (default 0.95)")
    p.add_argument("--buy-threshold", type=float, default=0.0, help="threshold: minimum score to enter")
    p.add_argument("--sell-threshold", type=float, default=None, help="threshold: exit below this score")
    p.add_argument("--min-confidence", type=float, default=0.0, help="threshold: minimum score percentile (0..1)")
    p.add_argument("--max-positions", type=int, default=20, help="threshold: most names held")
    p.add_argument("--max-weight", type=float, default=0.1, help="threshold: largest weight of one name")
    p.add_argument("--stop-loss", type=float, default=None, help="threshold: exit this fraction below cost")
    p.add_argument("--take-profit", type=float, default=None, help="threshold: exit this fraction above cost")
    p.add_argument("--weighting", choices=["equal", "score"], default="equal", help="threshold: target weights")


def _strategy_params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "topk": args.topk,
        "n_drop": args.n_drop,
        "hold_thresh": args.hold_thresh,
        "risk_degree": args.risk_degree,
        "buy_threshold": args.buy_threshold,
        "sell_threshold": args.sell_threshold,
        "min_confidence": args.min_confidence,
        "max_positions": args.max_positions,
        "max_weight": args.max_weight,
        "stop_loss": args.stop_loss,
        "take_profit": args.take_profit,
        "weighting": args.weighting,
        "ties": "qlib" if getattr(args, "mode", "honest") == "qlib" else "code",  # only backtest has --mode
    }


def cmd_backtest(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.backtest.signals import SignalError, read_signal_file, signals_from_run
    from core.paths import store_path
    from core.rules.risk_warning import read_risk_warning_file
    from core.strategy.loader import StrategyLoadError, load_strategy

    try:
        signals = read_signal_file(args.signals) if args.signals else signals_from_run(args.run, data_dir)
        strategy = load_strategy(args.strategy, _strategy_params(args))
        rules = _rules(args)
        st = read_risk_warning_file(args.st) if args.st else None
    except (SignalError, StrategyLoadError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if not store_path(data_dir).exists():
        raise CliError(f"no market store at {store_path(data_dir)}; import bars first (qdesk data import ...)")
    from core.storage import MarketStore

    store = MarketStore.open(store_path(data_dir))
    try:
        if args.rebalance:
            return _rebalance(args, store, signals, strategy, rules, st)
        return _backtest(args, store, signals, strategy, rules, st)
    finally:
        store.close()


def _rules(args: argparse.Namespace) -> Any:
    from core.rules.engine import LimitMode, RuleConfig
    from core.rules.fees import CostModel

    for name in ("commission", "min_commission", "slippage"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} must not be negative")
    costs = CostModel(commission_rate=args.commission, min_commission=args.min_commission, slippage=args.slippage)
    return RuleConfig(limit_mode=LimitMode(args.limit_mode), t_plus_1=not args.no_t_plus_1, costs=costs)


def _window(args: argparse.Namespace, signals: Any) -> tuple[Any, Any]:
    from core.backtest.run import window_dates

    days = signals.index.get_level_values(0)
    start = args.start or days.min().date().isoformat()
    end = args.end or days.max().date().isoformat()
    return window_dates(start, end)


def _backtest(args: argparse.Namespace, store: Any, signals: Any, strategy: Any, rules: Any, st: Any) -> int:
    from app.cli import CliError
    from app.cli.data_commands import _progress_bar
    from core.backtest.engine import BacktestConfig
    from core.backtest.report import format_metric, write_report
    from core.backtest.run import BacktestResult, run_backtest
    from core.backtest.signals import SignalError
    from core.jobs import Progress

    try:
        start, end = _window(args, signals)
        config = BacktestConfig(
            start,
            end,
            args.deal_price,
            args.cash,
            args.benchmark or None,
            rules,
            mode=args.mode,
            annualization=args.annualization,
        )
        result: BacktestResult | None = None
        with _progress_bar(None, "backtest", "day") as bar:
            for item in run_backtest(store, signals, strategy, config, st_intervals=st):
                if isinstance(item, Progress):
                    bar.total, bar.n = item.total, item.done
                    bar.refresh()
                else:
                    result = item
    except (SignalError, ValueError) as exc:
        raise CliError(str(exc)) from None
    assert result is not None
    m = result.metrics
    print(
        f"Backtest {strategy.name} {config.start} → {config.end}, deal price {config.deal_price}, "
        f"mode {config.mode}: {int(m['trading_days'])} trading days, {int(m['trades'])} trades "
        f"(annualized over {config.annualization} days a year)"
    )
    for key in _METRIC_ORDER:
        if key in m:
            print(f"  {key:28s} {format_metric(key, m[key]):>14s}")
    refused = ", ".join(f"{k} {v}" for k, v in sorted(result.refused.items())) or "none"
    print(f"  refused orders by rule: {refused}")
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped_counts.items())) or "none"
    print(f"  skipped by the strategy (not tradable): {skipped}")
    print(f"  IC basis: {result.ic_basis}")
    for note in result.notes:
        print(f"  note: {note}", file=sys.stderr)
    if args.report:
        try:
            files = write_report(result, Path(args.report).expanduser())
        except OSError as exc:
            raise CliError(f"--report {args.report}: {exc}") from None
        print(f"Report: {files['report.html']} (+ {len(files) - 1} CSV files)")
    return 0


def _rebalance(args: argparse.Namespace, store: Any, signals: Any, strategy: Any, rules: Any, st: Any) -> int:
    from app.cli import CliError
    from app.cli.daily_commands import print_plan
    from core.backtest.signals import SignalError
    from core.strategy.holdings_file import check_cash, read_positions
    from core.strategy.rebalance import plan_rebalance

    try:
        cash = check_cash(args.cash)
        known = {s.symbol for s in store.series("1d")}
        holdings = read_positions(args.positions, known) if args.positions else {}
        if args.end:
            _, end = _window(args, signals)
            signals = signals[signals.index.get_level_values(0) <= str(end)]
            if signals.empty:
                raise ValueError(f"no signals on or before --end {end}")
        plan = plan_rebalance(store, signals, strategy, holdings, cash, rules, st_intervals=st)
    except (SignalError, ValueError) as exc:
        raise CliError(str(exc)) from None
    print_plan(plan)
    return 0
