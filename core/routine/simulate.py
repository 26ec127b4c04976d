"""The daily routine replayed over stored history: score each close, decide, fill at the next open on paper.

Day t is scored from bars up to t only (the scorer's windows reach back, never forward). The decision
taken after t's close is queued for t+1 and released at its open, where the one decision→orders function
sizes it against the paper account and the paper broker fills it at the open under the rule engine.
Written to the output folder: daily.csv, orders.csv, fills.csv and scores.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from core.jobs import CancelToken, Progress
from core.rules.engine import LimitMode, RuleConfig
from core.strategy.base import Strategy

if TYPE_CHECKING:
    import numpy as np

    from core.backtest.market import MarketPanel
    from core.trading.paper import PaperBroker

PAPER_FILE = "paper.sqlite"
_OPEN_TIME = dt.time(9, 30)
_DEPTH = 1e15  # a daily bar has no book: the open is taken as deep enough for any order


@dataclass(frozen=True, slots=True)
class RoutineProgress(Progress):
    """A step of the routine: 'score', 'market' or 'day'."""

    stage: str = ""


@dataclass(frozen=True, slots=True)
class SimulationFinished:
    out_dir: Path
    days: int
    final_equity: float
    orders: int
    fills: int
    seconds: float


def simulate_routine(
    data_dir: Path,
    run_id: str,
    start: dt.date,
    end: dt.date,
    strategy: Strategy,
    out_dir: Path,
    cash: float = 10_000_000.0,
    rules: RuleConfig | None = None,
    st_intervals: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[RoutineProgress | SimulationFinished]:
    """Replay the routine for execution days [start, end]; yields progress, then SimulationFinished."""
    from core.backtest.market import MarketPanel, load_market
    from core.backtest.signals import align_scores
    from core.paths import store_path
    from core.research.scoring import Scores, score_days, write_scores
    from core.storage import MarketStore

    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    if not math.isfinite(cash) or cash <= 0:
        raise ValueError(f"--cash must be a positive amount, got {cash}")
    cancel = cancel or CancelToken()
    rules = rules or RuleConfig(limit_mode=LimitMode.DEAL)  # judged at the fill, as the backtest by default
    started = time.perf_counter()
    store = MarketStore.open(store_path(Path(data_dir)))
    try:
        calendar = [d for d in store.trading_days() if d <= end.isoformat()]
    finally:
        store.close()
    first = next((k for k, d in enumerate(calendar) if d >= start.isoformat()), None)
    if first is None or first == 0:
        raise ValueError(f"the store has no trading day before {start} and on or after it up to {end}")
    scored: Scores | None = None
    for item in score_days(data_dir, run_id, calendar[first - 1], calendar[-1], cancel):
        if isinstance(item, Progress):
            yield RoutineProgress(item.done, item.total, item.message, stage="score")
        else:
            scored = item
    assert scored is not None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_scores(scored.frame, out_dir / "scores.csv")
    signals = scored.frame.set_index(["datetime", "instrument"]).sort_index()
    symbols = sorted(set(signals.index.get_level_values(1)))
    store = MarketStore.open(store_path(Path(data_dir)))
    try:
        panel = None
        for loaded in load_market(store, symbols, start, end, st_intervals, cancel):
            if isinstance(loaded, MarketPanel):
                panel = loaded
            else:
                yield RoutineProgress(loaded.done, loaded.total, loaded.message, stage="market")
    finally:
        store.close()
    assert panel is not None
    scores = align_scores(signals, panel.days, panel.symbols)
    yield from _replay(panel, scores, strategy, cash, rules, out_dir, cancel, started)


def _replay(
    panel: MarketPanel,
    scores: np.ndarray,
    strategy: Strategy,
    cash: float,
    rules: RuleConfig,
    out_dir: Path,
    cancel: CancelToken,
    started: float,
) -> Iterator[RoutineProgress | SimulationFinished]:
    import numpy as np

    from core.domain.ticks import Tick
    from core.trading.paper import PaperBroker
    from core.trading.rulebook import RuleBook
    from core.trading.store import TradingStore

    paper_file = out_dir / PAPER_FILE
    for stale in out_dir.glob(PAPER_FILE + "*"):
        stale.unlink()  # a rerun starts from fresh cash
    ticks: dict[str, Tick] = {}
    now = [dt.datetime.combine(panel.day(panel.first), _OPEN_TIME)]
    store = TradingStore(paper_file)
    broker = PaperBroker(
        store, RuleBook(rules.costs), cash, quote=ticks.get, clock=lambda: now[0], require_session=False
    )
    daily: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    held_days: dict[str, int] = {}
    equity = cash
    n = len(panel.days) - panel.first
    try:
        for step, i in enumerate(range(panel.first, len(panel.days))):
            cancel.raise_if_cancelled()
            day = panel.day(i)
            now[0] = dt.datetime.combine(day, _OPEN_TIME)
            ticks.clear()
            ticks.update(_open_ticks(panel, i, now[0]))
            broker.on_ticks(list(ticks.values()))  # the new day: T+1 releases, positions marked
            _corporate_actions(panel, i, broker)
            row = scores[i - 1]
            if not np.isnan(row).all():
                orders += _release(panel, i, row, strategy, broker, held_days, equity, rules, step)
            value = sum(p.total * float(panel.mark[i, panel.index[p.symbol]]) for p in broker.positions())
            equity = broker.ledger.cash + value
            daily.append((day.isoformat(), equity, broker.ledger.cash, value))
            for p in broker.positions():
                held_days[p.symbol] = held_days.get(p.symbol, 0) + 1
            for gone in set(held_days) - set(_held(broker)):
                held_days.pop(gone)
            if step % 10 == 0 or step == n - 1:
                yield RoutineProgress(step + 1, n, f"{day}: equity {equity:,.2f}", stage="day")
        fills = broker.fills()
    finally:
        store.close()
    _write(out_dir / "daily.csv", ("date", "equity", "cash", "market_value"), daily)
    _write(
        out_dir / "orders.csv",
        ("session", "client_id", "symbol", "side", "shares", "price", "status", "reason"),
        orders,
    )
    _write(
        out_dir / "fills.csv",
        ("time", "client_id", "symbol", "side", "shares", "price", "fees"),
        [(f.time.isoformat(sep=" "), f.client_id, f.symbol, f.side.value, f.qty, f.price, f.fees.total) for f in fills],
    )
    yield SimulationFinished(out_dir, len(daily), equity, len(orders), len(fills), time.perf_counter() - started)


def _held(broker: PaperBroker) -> list[str]:
    return [p.symbol for p in broker.positions() if p.total > 0]


def _open_ticks(panel: MarketPanel, i: int, at: dt.datetime) -> dict[str, Any]:
    """Each traded symbol's opening print as a snapshot the paper broker can fill against."""
    from core.domain.ticks import Tick

    out = {}
    for j, symbol in enumerate(panel.symbols):
        o = float(panel.open[i, j])
        if math.isnan(float(panel.close[i, j])) or not o > 0:
            continue
        up, down = float(panel.limit_up[i, j]), float(panel.limit_down[i, j])
        out[symbol] = Tick(
            symbol,
            at,
            o,
            o,
            o,
            o,
            float(panel.mark[i - 1, j]) if i else o,
            0.0,
            0.0,
            (o,),
            (_DEPTH,),
            (o,),
            (_DEPTH,),
            up if math.isfinite(up) else 0.0,
            down if math.isfinite(down) else 0.0,
        )
    return out


def _corporate_actions(panel: MarketPanel, i: int, broker: PaperBroker) -> None:
    """Follow the adjustment factor as the backtest does: shares rescaled, the fraction paid in cash."""
    from core.domain.orders import Position

    changed = []
    for p in broker.positions():
        j = panel.index[p.symbol]
        before, after = float(panel.factor[i - 1, j]), float(panel.factor[i, j])
        if math.isnan(before) or math.isnan(after) or abs(after / before - 1) < 1e-9:
            continue
        ratio = after / before
        exact = p.total * ratio
        whole = int(math.floor(exact + 1e-6))
        reference = float(panel.mark[i - 1, j]) / ratio
        broker.ledger.cash += (exact - whole) * reference
        moved = Position(p.symbol, whole, whole, p.cost / ratio, p.last / ratio, 0)
        broker.ledger.positions[p.symbol] = moved
        changed.append(moved)
    if changed:
        state: dict[str, object] = {
            "cash": broker.ledger.cash,
            "day": broker.ledger.day.isoformat() if broker.ledger.day else None,
        }
        broker.store.save(positions=changed, state=state)


def _release(
    panel: MarketPanel,
    i: int,
    row: np.ndarray,
    strategy: Strategy,
    broker: PaperBroker,
    held_days: dict[str, int],
    equity: float,
    rules: RuleConfig,
    step: int,
) -> list[tuple[Any, ...]]:
    """The decision queued after t's close, sized at t+1's open by decision_orders and sent to paper."""
    from core.backtest.engine import _context
    from core.domain.orders import OrderRequest, Side
    from core.strategy.decision_orders import ExecutionDay, decision_orders

    positions = {p.symbol: p for p in broker.positions() if p.total > 0}
    holdings = {s: p.total for s, p in positions.items()}
    account = SimpleNamespace(
        book=SimpleNamespace(shares=holdings),
        held_days=held_days,
        cost={s: p.cost for s, p in positions.items()},
        cash=broker.ledger.cash,
    )
    # The backtest's own view of the account and of tradability, so both decide alike.
    # Fills go at t+1's open, so tradability is judged at the open, exactly as `backtest --deal-price open`.
    skipped: list[tuple[Any, ...]] = []
    decision = strategy.decide(
        _context(panel, i, row, panel.deal_prices("open")[i], cast(Any, account), equity, rules, panel.index, skipped)
    )
    index, day = panel.index, panel.day(i)

    def deal(symbol: str) -> float:
        return float(panel.open[i, index[symbol]])

    def sizing(symbol: str) -> float:
        p = deal(symbol)
        return p if math.isfinite(p) else float(panel.mark[i - 1, index[symbol]])

    market = ExecutionDay(day, lambda s: panel.quote(i, index[s]), deal, sizing)
    sellable = {s: p.sellable for s, p in positions.items()}
    planned = decision_orders(decision, holdings, sellable, broker.account().available, market, rules)
    rows: list[tuple[Any, ...]] = []
    for k, o in enumerate(planned.outcomes):
        v = o.verdict
        client_id = f"R{day:%Y%m%d}-{k:03d}"
        if v.refusal is not None:
            rows.append((day.isoformat(), client_id, o.symbol, o.side, 0, v.price, "refused", v.refusal.value))
            continue
        side = Side.BUY if o.side == "buy" else Side.SELL
        order = broker.submit(OrderRequest(client_id, o.symbol, side, v.shares, v.price, origin="routine"))
        rows.append((day.isoformat(), client_id, o.symbol, o.side, v.shares, v.price, order.status.value, order.reason))
    return rows


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
