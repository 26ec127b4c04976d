"""`qdesk routine run|simulate`: the daily loop for cron/Task Scheduler, and its dry run over stored history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

ACTOR = "routine"
DEFAULT_COLLAR_PCT = 2.0

if TYPE_CHECKING:
    from core.trading.service import TradingService


def register(commands: Any) -> None:
    from app.cli.backtest_commands import add_strategy_arguments

    routine = commands.add_parser("routine", help="run the daily routine, or replay it over stored history")
    sub = routine.add_subparsers(dest="routine_command", metavar="ACTION", required=True)
    run = sub.add_parser(
        "run",
        help="after the close: score, plan and queue the next session; at the open: release the queue",
        description="--at close (default): export the store, score the newest day with the run, plan the next "
        "trading day against the account and queue its orders as one batch. --at open: release the orders "
        "queued for today through the usual pre-trade checks. A failing step stops the routine; nothing "
        "half-planned is queued.",
    )
    run.add_argument("--run", required=True, metavar="RUN_ID", help="a registered run (see: qdesk runs list)")
    run.add_argument(
        "--account",
        required=True,
        choices=["paper", "live"],
        help="the account to trade; live plans against the QMT account of the bridge and only queues: the "
        "orders are released at the open from the desktop's Orders dock",
    )
    run.add_argument("--at", choices=["close", "open"], default="close", help="which half of the day (default close)")
    add_strategy_arguments(run)
    run.add_argument("--st", metavar="FILE", help="risk-warning periods, CSV symbol,start,end (ST/*ST limits apply)")
    run.add_argument(
        "--collar",
        type=float,
        default=DEFAULT_COLLAR_PCT,
        metavar="PCT",
        help="queued buys are priced (and sized) PCT%% over the last close, sells PCT%% under it, inside the "
        f"next session's limit band, so the open can fill them (default {DEFAULT_COLLAR_PCT:g})",
    )
    run.add_argument(
        "--retrain",
        metavar="EVERY",
        help="after the close, retrain the run every EVERY (20d trading days, 1m months) on a window ending at the "
        "newest stored day and trade the new run when it trained and scored sound predictions; a failed retrain "
        "keeps the old run and says why. The run trading and the last retrain are kept in DATA_DIR",
    )
    run.add_argument(
        "--retrain-window",
        choices=["expanding", "sliding"],
        help="with --retrain: keep the train start (expanding) or move it (sliding); default: the run's own "
        "window (a rolling run's), else expanding",
    )
    bridge = run.add_mutually_exclusive_group()
    bridge.add_argument(
        "--bridge",
        metavar="URL",
        help="download the missing daily bars of every stored stock from this bridge before scoring "
        "(default: the bridge in Settings, when one is set)",
    )
    bridge.add_argument("--no-bridge", action="store_true", help="score the store as it is, without an update")
    run.add_argument("--token-file", metavar="FILE", help="the bridge's access token (default: the OS keyring)")
    run.set_defaults(handler=cmd_routine_run)

    sim = sub.add_parser(
        "simulate",
        help="replay the routine day by day over stored history on a paper account",
        description="For each execution day in [--start, --end]: the previous day is scored from bars up to it, "
        "its decision is queued and released at the open, where the paper broker fills it under the A-share "
        "rules. Writes daily.csv, orders.csv, fills.csv and scores.csv into --out; backtesting scores.csv with "
        "the same strategy, cash and --deal-price open gives the same daily equity.",
    )
    sim.add_argument("--run", required=True, metavar="RUN_ID", help="a registered run (see: qdesk runs list)")
    sim.add_argument("--start", required=True, metavar="D", help="first execution day (YYYY-MM-DD)")
    sim.add_argument("--end", required=True, metavar="D", help="last execution day (YYYY-MM-DD)")
    add_strategy_arguments(sim)
    sim.add_argument("--cash", type=float, default=10_000_000.0, help="initial cash in CNY (default 10,000,000)")
    sim.add_argument("--st", metavar="FILE", help="risk-warning periods, CSV symbol,start,end (ST/*ST limits apply)")
    sim.add_argument("--out", required=True, metavar="DIR", help="folder for daily/orders/fills/scores.csv")
    sim.set_defaults(handler=cmd_routine_simulate)


def _strategy_and_st(args: argparse.Namespace) -> tuple[Any, Any]:
    from app.cli import CliError
    from app.cli.backtest_commands import _strategy_params
    from core.rules.risk_warning import read_risk_warning_file
    from core.strategy.loader import StrategyLoadError, load_strategy

    try:
        strategy = load_strategy(args.strategy, _strategy_params(args))
        st = read_risk_warning_file(args.st) if args.st else None
    except (StrategyLoadError, ValueError) as exc:
        raise CliError(str(exc)) from None
    return strategy, st


def cmd_routine_simulate(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from app.cli.data_commands import _progress_bar
    from core.backtest.run import window_dates
    from core.research.registry import UnknownRun
    from core.routine.simulate import RoutineProgress, SimulationFinished, simulate_routine

    strategy, st = _strategy_and_st(args)
    done: SimulationFinished | None = None
    try:
        start, end = window_dates(args.start, args.end)
        out = Path(args.out).expanduser()
        with _progress_bar(None, "routine", "step") as bar:
            for item in simulate_routine(data_dir, args.run, start, end, strategy, out, args.cash, None, st):
                if isinstance(item, RoutineProgress):
                    bar.set_description_str(item.stage)
                    bar.total, bar.n = item.total, item.done
                    bar.refresh()
                else:
                    done = item
    except (UnknownRun, ValueError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"--out {args.out}: {exc.strerror or exc}") from None
    assert done is not None
    print(
        f"Routine {strategy.name} {start} → {end}: {done.days} days, {done.orders} orders, {done.fills} fills, "
        f"final equity {done.final_equity:,.2f} ({done.seconds:.1f} s)"
    )
    print(f"Files: {done.out_dir}/daily.csv, orders.csv, fills.csv, scores.csv")
    return 0


def cmd_routine_run(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.bridge.client import BridgeError
    from core.quotes.session import beijing_now
    from core.research.registry import UnknownRun
    from core.routine.daily import StepDone, StepProgress, run_close, run_open

    if args.account == "live" and args.at == "open":
        raise CliError(
            "--account live --at open: sending to the live account is the user's step; release the queued "
            "orders from the desktop's Orders dock (armed)"
        )
    if not 0 <= args.collar < 100:
        raise CliError(f"--collar {args.collar:g}: expected a percentage from 0 up to 100")
    retrain = _retrain_schedule(args)
    strategy, st = _strategy_and_st(args)
    update = _bridge_update(args, data_dir) if args.at == "close" else None
    live = _live_account(args, data_dir) if args.account == "live" else None
    service = live.service if live is not None else _paper_service(data_dir)
    try:
        steps = (
            run_close(
                data_dir,
                args.run,
                strategy,
                service.broker,
                service,
                None,
                st,
                update,
                actor=ACTOR,
                collar=args.collar / 100,
                retrain=retrain,
            )
            if args.at == "close"
            else run_open(service, beijing_now().date(), actor=ACTOR)
        )
        shown = ""
        for item in steps:
            if isinstance(item, StepProgress) and item.step == "retrain" and item.message != shown:
                shown = item.message  # the retrain is the one long step: say which stage it is in
                print(f"retrain: {shown}", file=sys.stderr)
            if isinstance(item, StepDone):
                figures = ", ".join(f"{k} {v}" for k, v in item.figures.items())
                print(f"{item.step}: {figures}")
    except (UnknownRun, ValueError, BridgeError) as exc:
        raise CliError(f"routine stopped, nothing queued or sent: {exc}") from None
    finally:
        if live is not None:
            live.close()
    if live is not None:
        print("Live account: orders queued, none sent; release them at the open from the desktop's Orders dock")
    return 0


def _retrain_schedule(args: argparse.Namespace) -> Any:
    from app.cli import CliError
    from core.routine.retrain import RetrainSchedule

    if args.retrain_window and not args.retrain:
        raise CliError("--retrain-window goes with --retrain EVERY")
    if args.retrain and args.at != "close":
        raise CliError("--retrain runs after the close: use it with --at close")
    try:
        return RetrainSchedule.parse(args.retrain, args.retrain_window) if args.retrain else None
    except ValueError as exc:
        raise CliError(f"--retrain: {exc}") from None


def _bridge_update(args: argparse.Namespace, data_dir: Path) -> Any:
    """The update step when a bridge is named or set in Settings (and not --no-bridge), else None."""
    from app.cli import CliError
    from core.quotes.session import beijing_now
    from core.routine.daily import bridge_update
    from core.settings import load_settings, settings_file

    settings = load_settings(settings_file())
    url = "" if args.no_bridge else (args.bridge or settings.bridge_url)
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise CliError(f"--bridge {url!r}: expected an http:// or https:// URL")
    token = _token_file(args)
    ca_file = settings.bridge_ca_file if url == settings.bridge_url and settings.bridge_ca_file else None
    return bridge_update(data_dir, url, beijing_now().date(), token, ca_file)


def _token_file(args: argparse.Namespace) -> str | None:
    from app.cli import CliError

    if not args.token_file:
        return None
    try:
        token = Path(args.token_file).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CliError(f"--token-file {args.token_file}: {exc.strerror or exc}") from None
    if not token:
        raise CliError(f"--token-file {args.token_file}: the file is empty")
    return token


class _LiveAccount:
    """The QMT account through the bridge's trading routes, loaded once; disarmed, so it only queues."""

    def __init__(self, url: str, token: str, data_dir: Path, ca_file: str | None, rules: Any) -> None:
        from core.bridge.client.http import BridgeHttp
        from core.bridge.client.live_broker import LiveBroker
        from core.settings import load_settings, settings_file
        from core.trading.accounts import settings_limits
        from core.trading.audit import AUDIT_FILE, AuditLog
        from core.trading.queue_book import LIVE_QUEUE_FILE, QueuedBook
        from core.trading.risk import RiskEngine
        from core.trading.service import TradingService
        from core.util.loop_thread import LoopThread

        self._loop = LoopThread("routine-live")
        self.broker = LiveBroker(BridgeHttp(url, token, ca_file), rules=rules)
        # The desktop's live account keeps its audit and live queue in the same data folder: it sees these orders.
        self.service = TradingService(
            self.broker,
            RiskEngine(settings_limits(load_settings(settings_file()))),
            AuditLog(data_dir / AUDIT_FILE),
            actor=ACTOR,
            armed=False,
            queue_book=QueuedBook(data_dir / LIVE_QUEUE_FILE),
        )

    def load(self) -> None:
        self._loop.call(self.broker.refresh(), _LIVE_TIMEOUT_S)

    def close(self) -> None:
        try:
            self._loop.call(self.broker.aclose(), _LIVE_TIMEOUT_S)
        finally:
            self._loop.close()


_LIVE_TIMEOUT_S = 60.0


def _live_account(args: argparse.Namespace, data_dir: Path) -> _LiveAccount:
    """The live account of `--bridge` (or Settings' bridge) with the trade token from --token-file or the keyring."""
    from app.cli import CliError
    from core.bridge.client import BridgeError
    from core.bridge.client.credentials import load_token
    from core.paths import store_path
    from core.settings import load_settings, settings_file
    from core.storage import MarketStore
    from core.trading.rule_inputs import store_rule_book

    settings = load_settings(settings_file())
    url = args.bridge or settings.bridge_url
    if not url:
        raise CliError("--account live: name the account's bridge with --bridge URL or set one in Settings")
    if not url.startswith(("http://", "https://")):
        raise CliError(f"--bridge {url!r}: expected an http:// or https:// URL")
    token = _token_file(args) or load_token(url)
    if not token:
        raise CliError(f"--account live: no trade token for {url}: pass --token-file FILE or store it in the keyring")
    ca_file = settings.bridge_ca_file if url == settings.bridge_url and settings.bridge_ca_file else None
    store = MarketStore.open(store_path(data_dir))
    try:
        rules = store_rule_book(store)
    finally:
        store.close()
    live = _LiveAccount(url, token, data_dir, ca_file, rules)
    try:
        live.load()
    except BridgeError as exc:
        live.close()
        raise CliError(f"routine stopped, nothing queued or sent: the live account: {exc}") from None
    return live


def _paper_service(data_dir: Path) -> TradingService:
    """The desktop's paper account: the same ledger, Settings' limits, the store's rule inputs and holidays."""
    from core.paths import store_path
    from core.settings import load_settings, settings_file
    from core.storage import MarketStore
    from core.trading.accounts import paper_service, settings_limits
    from core.trading.rule_inputs import store_holidays, store_rule_book

    store = MarketStore.open(store_path(data_dir))
    try:
        rules, holidays = store_rule_book(store), store_holidays(store)
    finally:
        store.close()
    limits = settings_limits(load_settings(settings_file()))
    return paper_service(data_dir, None, replay=False, limits=limits, rules=rules, holidays=holidays, actor=ACTOR)
