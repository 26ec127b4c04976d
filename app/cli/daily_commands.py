"""`qdesk predict` and `qdesk signals`: score stored days with a trained run, plan the next session."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    p = commands.add_parser(
        "predict",
        help="score stored trading days with a trained run",
        description="Score every stock of the run's universe on each stored trading day in [--start, --end] "
        "(default: the store's newest day) with the run's model and the feature processing fitted at training. "
        "Only the bars the features look back over are read; nothing after a day reaches its score.",
    )
    p.add_argument("--run", required=True, metavar="RUN_ID", help="a registered run (see: qdesk runs list)")
    p.add_argument("--start", metavar="D", help="first day to score (YYYY-MM-DD; default: --end)")
    p.add_argument("--end", metavar="D", help="last day to score (YYYY-MM-DD; default: the newest stored day)")
    p.add_argument("--out", metavar="FILE", help="write datetime,instrument,score to FILE (.csv or .parquet)")
    p.set_defaults(handler=cmd_predict)
    _register_signals(commands)


def _register_signals(commands: Any) -> None:
    from app.cli.backtest_commands import add_strategy_arguments

    p = commands.add_parser(
        "signals",
        help="score the newest stored day and plan the next session's orders",
        description="Score the signal day (default: the store's newest day) with the run, then plan the next "
        "trading day's orders against what the account really has: cash net of open buys, shares net of open "
        "sells. Orders carry lots, fees and the next trading day's limit band; cash and value after are shown.",
    )
    p.add_argument("--run", required=True, metavar="RUN_ID", help="a registered run (see: qdesk runs list)")
    p.add_argument("--date", metavar="D", help="signal day (YYYY-MM-DD; default: the newest stored day)")
    add_strategy_arguments(p)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--account", choices=["paper", "live"], help="plan against this account (default paper)")
    src.add_argument("--positions", metavar="FILE", help="holdings as CSV symbol,shares (needs --cash)")
    p.add_argument("--cash", type=float, help="cash to plan with (with --positions; default: the account's)")
    p.add_argument("--st", metavar="FILE", help="risk-warning periods, CSV symbol,start,end (ST/*ST limits apply)")
    p.add_argument("--out", metavar="FILE", help="write the planned orders to FILE (.csv)")
    p.set_defaults(handler=cmd_signals)


def run_scoring(data_dir: Path, run_id: str, start: str | None, end: str | None) -> Any:
    """Score with a progress bar on stderr; bad input becomes a CliError."""
    from app.cli import CliError
    from app.cli.data_commands import _progress_bar
    from core.research.registry import UnknownRun
    from core.research.scoring import ScoreProgress, Scores, score_days

    result: Scores | None = None
    try:
        with _progress_bar(None, "scoring", "step") as bar:
            for item in score_days(data_dir, run_id, start, end):
                if isinstance(item, ScoreProgress):
                    bar.set_description_str(item.message)
                    bar.total, bar.n = item.total, item.done
                    bar.refresh()
                else:
                    result = item
    except UnknownRun as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    assert result is not None
    return result


def cmd_predict(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.scoring import write_scores

    if args.out and Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        raise CliError(f"--out {args.out}: expected a .csv or .parquet file")
    scores = run_scoring(data_dir, args.run, args.start, args.end)
    print(scores.summary())
    if args.out:
        try:
            path = write_scores(scores.frame, Path(args.out).expanduser())
        except OSError as exc:
            raise CliError(f"--out {args.out}: {exc.strerror or exc}") from None
        print(f"Scores: {path}", file=sys.stderr)
    return 0


def cmd_signals(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from app.cli.backtest_commands import _strategy_params
    from core.paths import store_path
    from core.rules.risk_warning import read_risk_warning_file
    from core.strategy.loader import StrategyLoadError, load_strategy

    if args.out and Path(args.out).suffix.lower() != ".csv":
        raise CliError(f"--out {args.out}: expected a .csv file")
    if args.account == "live":
        raise CliError("--account live is not available from the command line yet; use --positions FILE --cash X")
    if args.positions and args.cash is None:
        raise CliError("--positions needs --cash (the cash the plan may spend)")
    try:
        strategy = load_strategy(args.strategy, _strategy_params(args))
        st = read_risk_warning_file(args.st) if args.st else None
    except (StrategyLoadError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if not store_path(data_dir).exists():
        raise CliError(f"no market store at {store_path(data_dir)}; import bars first (qdesk data import ...)")
    day = _signal_day(data_dir, args.date)
    scores = run_scoring(data_dir, args.run, day, day)
    plan, available = _plan(args, data_dir, scores, strategy, st)
    print_plan(plan, available)
    if args.out:
        path = write_plan(plan, Path(args.out).expanduser())
        print(f"Plan: {path}", file=sys.stderr)
    return 0


def _signal_day(data_dir: Path, date: str | None) -> str:
    """The newest stored day (or `date`, refused when older); warns when the store itself is behind."""
    import datetime as dt

    from app.cli import CliError
    from core.monitor.freshness import expected_day
    from core.paths import store_path
    from core.quotes.session import beijing_now
    from core.storage import MarketStore

    store = MarketStore.open(store_path(data_dir))
    try:
        calendar = store.trading_days()
    finally:
        store.close()
    if not calendar:
        raise CliError("the store holds no daily bars: import some with `data import` first")
    newest = calendar[-1]
    if date is not None:
        try:
            date = dt.date.fromisoformat(date).isoformat()
        except ValueError:
            raise CliError(f"bad --date {date!r}: expected YYYY-MM-DD") from None
        if date < newest:
            raise CliError(f"signal day {date} is older than the store's newest day {newest}: plan on {newest}")
        if date not in calendar:
            raise CliError(f"--date {date} is not a stored trading day (newest stored: {newest})")
    due = expected_day(beijing_now(), calendar)
    if newest < due.isoformat():
        print(f"warning: the store ends {newest}, but {due} has closed; update bars first", file=sys.stderr)
    return date or newest


def _plan(args: argparse.Namespace, data_dir: Path, scores: Any, strategy: Any, st: Any) -> tuple[Any, Any]:
    from app.cli import CliError
    from core.paths import store_path
    from core.storage import MarketStore
    from core.strategy.available import Available, paper_available
    from core.strategy.holdings_file import check_cash, read_positions
    from core.strategy.rebalance import plan_rebalance

    signals = scores.frame.set_index(["datetime", "instrument"]).sort_index()
    if signals.empty:
        raise CliError(f"run {args.run} scored no stock on {scores.days[-1]}")
    store = MarketStore.open(store_path(data_dir))
    try:
        if args.positions:
            known = {s.symbol for s in store.series("1d")}
            holdings = read_positions(args.positions, known)
            available = Available(holdings, dict(holdings), check_cash(args.cash), [], "file")
        else:
            available = paper_available(data_dir)
            if args.cash is not None:
                raise CliError("--cash goes with --positions; the paper account's own cash is used")
        plan = plan_rebalance(
            store,
            signals,
            strategy,
            available.holdings,
            available.cash,
            sellable=available.sellable,
            st_intervals=st,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    return plan, available


def print_plan(plan: Any, available: Any | None = None) -> None:
    """The plan as a table: orders with lots, fees and the next session's band; refusals; cash and value after."""
    session = plan.session or "the next session"
    print(f"Signals of {plan.signal_day}: {len(plan.ranked)} scored; orders for {session} (priced at the last close)")
    if available is not None:
        print(
            f"Account ({available.source}): cash available {available.cash:,.2f}, "
            f"{len(available.holdings)} holdings, {len(available.open_orders)} open orders"
        )
        for o in available.open_orders:
            print(f"  open {o.side.value:4s} {o.symbol:10s} {o.remaining:9d} @ {o.price:.2f} ({o.status.value})")
    print(f"{'side':4s} {'symbol':10s} {'shares':>9s} {'price':>9s} {'value':>14s} {'fees':>9s} {'band':>17s}")
    for o in plan.orders:
        band = f"{o.limit_down}–{o.limit_up}" if o.limit_up is not None else "no limit"
        print(f"{o.side:4s} {o.symbol:10s} {o.shares:9d} {o.price:9.2f} {o.value:14,.2f} {o.fees:9.2f} {band:>17s}")
    for symbol, side, reason in plan.refused:
        print(f"refused {side} {symbol}: {reason}")
    print(
        f"Holdings after: {len(plan.targets)} names; cash after {plan.cash_after:,.2f}; "
        f"total value after {plan.value_after:,.2f}"
    )


def write_plan(plan: Any, path: Path) -> Path:
    from app.cli import CliError
    from core.strategy.rebalance import write_plan_csv

    try:
        return write_plan_csv(plan, path)
    except OSError as exc:
        raise CliError(f"--out {path}: {exc.strerror or exc}") from None
