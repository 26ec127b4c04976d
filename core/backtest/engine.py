"""The daily backtest loop: signal at the close of t, orders at t+1, every order through the rule engine."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.backtest.market import MarketPanel
from core.jobs import CancelToken, Progress
from core.rules.engine import DayQuote, LimitMode, RuleConfig, Verdict, limit_blocks
from core.rules.positions import PositionBook
from core.strategy.base import Decision, Strategy, StrategyContext
from core.strategy.decision_orders import ExecutionDay, decision_orders

DEAL_PRICES = ("open", "close", "vwap")
# honest: price limits are judged with what is known at the fill (the deal price against the day's limits);
# qlib: as qlib.backtest does, with the day's close whatever the deal price (look-ahead for open fills).
MODES = ("honest", "qlib")


@dataclass(frozen=True)
class BacktestConfig:
    """One backtest: window, deal price, capital, benchmark and the rule switches."""

    start: dt.date
    end: dt.date
    deal_price: str = "open"
    initial_cash: float = 10_000_000.0
    benchmark: str | None = "000300.SH"
    rules: RuleConfig = field(default_factory=lambda: RuleConfig(limit_mode=LimitMode.DEAL))
    flat_limit: float | None = None  # Qlib-style flat limit on the daily change instead of the board rules
    mode: str = "honest"
    annualization: int = 252  # trading days per year for annualized figures (Qlib's risk_analysis uses 238)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "qlib" and self.rules.limit_mode is not LimitMode.CLOSE:
            object.__setattr__(self, "rules", replace(self.rules, limit_mode=LimitMode.CLOSE))
        if not 1 <= self.annualization <= 366:
            raise ValueError(f"annualization must be trading days per year (1..366), got {self.annualization}")
        if self.deal_price not in DEAL_PRICES:
            raise ValueError(f"deal price must be one of {', '.join(DEAL_PRICES)}, not {self.deal_price!r}")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if not self.initial_cash > 0:
            raise ValueError(f"initial cash must be positive, got {self.initial_cash}")


@dataclass
class Ledger:
    """Everything the loop records, as plain lists; the result turns them into frames."""

    daily: list[tuple[Any, ...]] = field(default_factory=list)
    trades: list[tuple[Any, ...]] = field(default_factory=list)
    positions: list[tuple[Any, ...]] = field(default_factory=list)
    refusals: list[tuple[Any, ...]] = field(default_factory=list)
    skipped: list[tuple[Any, ...]] = field(default_factory=list)  # names the strategy left as untradable
    last_signal_day: dt.date | None = None


DAILY_COLUMNS = (
    "date",
    "equity",
    "cash",
    "market_value",
    "positions",
    "buy_value",
    "sell_value",
    "fees",
    "fees_commission",
    "fees_stamp_duty",
    "fees_transfer",
)
TRADE_COLUMNS = ("date", "symbol", "side", "shares", "price", "value", "commission", "stamp_duty", "transfer", "pnl")
POSITION_COLUMNS = ("date", "symbol", "shares", "price", "value", "weight")
REFUSAL_COLUMNS = ("date", "symbol", "side", "reason")
SKIPPED_COLUMNS = ("date", "symbol", "reason")


class _Account:
    def __init__(self, cash: float, t_plus_1: bool) -> None:
        self.cash = cash
        self.book = PositionBook(t_plus_1=t_plus_1)
        self.held_days: dict[str, int] = {}
        self.cost: dict[str, float] = {}
        self.buy_value = self.sell_value = 0.0
        self.fees = np.zeros(3)


def simulate(
    panel: MarketPanel,
    scores: np.ndarray,
    strategy: Strategy,
    config: BacktestConfig,
    cancel: CancelToken | None = None,
) -> Iterator[Progress | Ledger]:
    """Run the loop over the panel's window; yields progress every few days, then the ledger."""
    rules = config.rules
    deal = panel.deal_prices(config.deal_price)
    index = panel.index
    acct = _Account(config.initial_cash, rules.t_plus_1)
    ledger = Ledger()
    equity = config.initial_cash
    n = len(panel.days) - panel.first
    for step, i in enumerate(range(panel.first, len(panel.days))):
        if cancel is not None:
            cancel.raise_if_cancelled()
        day = panel.day(i)
        acct.buy_value = acct.sell_value = 0.0
        acct.fees = np.zeros(3)
        _corporate_actions(panel, i, acct, index)
        row = scores[i - 1] if i >= 1 else None
        if row is not None and not np.isnan(row).all():
            ledger.last_signal_day = panel.day(i - 1)
            ctx = _context(panel, i, row, deal[i], acct, equity, rules, index, ledger.skipped)
            decision = strategy.decide(ctx)
            _execute(panel, i, day, deal[i], decision, acct, rules, index, ledger)
        value = 0.0
        for symbol, shares in acct.book.shares.items():
            j = index[symbol]
            value += shares * panel.mark[i, j]
        equity = acct.cash + value
        for symbol, shares in acct.book.shares.items():
            price = float(panel.mark[i, index[symbol]])
            ledger.positions.append((day, symbol, shares, price, shares * price, shares * price / equity))
            acct.held_days[symbol] = acct.held_days.get(symbol, 0) + 1
        acct.book.end_day()
        ledger.daily.append(
            (
                day,
                equity,
                acct.cash,
                value,
                len(acct.book.shares),
                acct.buy_value,
                acct.sell_value,
                float(acct.fees.sum()),
                *map(float, acct.fees),
            )
        )
        if step % 10 == 0 or step == n - 1:
            yield Progress(step + 1, n, day.isoformat())
    yield ledger


def _corporate_actions(panel: MarketPanel, i: int, acct: _Account, index: dict[str, int]) -> None:
    """Bonus shares, splits and dividends move the adjustment factor; holdings follow it.

    The factor cannot tell cash from shares, so the change is applied as shares (a dividend reinvested
    at the reference price) and the fractional share left over is paid out in cash at that price.
    """
    if i == 0:
        return
    for symbol in list(acct.book.shares):
        j = index[symbol]
        before, after = panel.factor[i - 1, j], panel.factor[i, j]
        if math.isnan(before) or math.isnan(after) or abs(after / before - 1) < 1e-9:
            continue
        ratio = after / before
        exact = acct.book.shares[symbol] * ratio
        whole = int(math.floor(exact + 1e-6))
        reference = panel.mark[i - 1, j] / ratio
        acct.cash += (exact - whole) * reference
        acct.book.rescale(symbol, whole)
        acct.cost[symbol] = acct.cost.get(symbol, 0.0) / ratio


def _context(
    panel: MarketPanel,
    i: int,
    row: np.ndarray,
    deal: np.ndarray,
    acct: _Account,
    equity: float,
    rules: RuleConfig,
    index: dict[str, int],
    skipped: list[tuple[Any, ...]],
) -> StrategyContext:
    day = panel.day(i)
    seen: set[str] = set()

    def tradable(symbol: str, sell: bool | None) -> bool:
        j = index.get(symbol)
        quote = None if j is None else panel.quote(i, j)
        reason = "suspended" if quote is None or j is None else _limit_reason(quote, sell, rules.limit_mode, deal[j])
        if reason and symbol not in seen:
            seen.add(symbol)  # counted once a day, however often the strategy asks
            skipped.append((day, symbol, reason))
        return reason is None

    return StrategyContext(
        panel.day(i - 1),
        panel.symbols,
        row,
        panel.mark[i - 1],
        dict(acct.book.shares),
        acct.held_days,
        acct.cost,
        acct.cash,
        equity,
        tradable,
        index,
    )


def _limit_reason(quote: DayQuote, sell: bool | None, mode: LimitMode, deal: float) -> str | None:
    """Why the day's limits keep the order out, judged at the deal price (the mode decides which price)."""
    price = float(deal) if math.isfinite(deal) else quote.close
    if sell is not True and limit_blocks(quote, False, mode, price):
        return "limit_up"
    if sell is not False and limit_blocks(quote, True, mode, price):
        return "limit_down"
    return None


def _execute(
    panel: MarketPanel,
    i: int,
    day: dt.date,
    deal: np.ndarray,
    decision: Decision,
    acct: _Account,
    rules: RuleConfig,
    index: dict[str, int],
    ledger: Ledger,
) -> None:
    unknown = [s for s in (*decision.sells, *decision.buys, *(decision.targets or {})) if s not in index]
    if unknown:
        raise ValueError(
            f"the strategy ordered {', '.join(sorted(set(unknown))[:5])}, which the signal frame "
            f"does not cover (only symbols with signals have bars loaded)"
        )

    def deal_of(symbol: str) -> float:
        return float(deal[index[symbol]])

    def sizing(symbol: str) -> float:
        p = deal_of(symbol)
        return p if math.isfinite(p) else float(panel.mark[i - 1, index[symbol]])

    market = ExecutionDay(day, lambda s: panel.quote(i, index[s]), deal_of, sizing)
    held = dict(acct.book.shares)
    sellable = {s: acct.book.sellable(s) for s in held}
    for o in decision_orders(decision, held, sellable, acct.cash, market, rules).outcomes:
        if o.verdict.refusal is not None:
            ledger.refusals.append((day, o.symbol, o.side, o.verdict.refusal.value))
        elif o.side == "sell":
            _sold(o.symbol, day, o.verdict, acct, ledger)
        else:
            _bought(o.symbol, day, o.verdict, acct, ledger)


def _sold(symbol: str, day: dt.date, v: Verdict, acct: _Account, ledger: Ledger) -> None:
    assert v.fees is not None
    value = v.shares * v.price
    acct.book.sell(symbol, v.shares)
    acct.cash += value - v.fees.total
    acct.sell_value += value
    acct.fees += (v.fees.commission, v.fees.stamp_duty, v.fees.transfer)
    pnl = (v.price - acct.cost.get(symbol, v.price)) * v.shares - v.fees.total
    if not acct.book.total(symbol):
        acct.held_days.pop(symbol, None)
        acct.cost.pop(symbol, None)
    ledger.trades.append(
        (day, symbol, "sell", v.shares, v.price, value, v.fees.commission, v.fees.stamp_duty, v.fees.transfer, pnl)
    )


def _bought(symbol: str, day: dt.date, v: Verdict, acct: _Account, ledger: Ledger) -> None:
    assert v.fees is not None
    value = v.shares * v.price
    held = acct.book.total(symbol)
    # Average cost per share includes the buy fees, so a round trip's pnl is net of both sides.
    acct.cost[symbol] = (acct.cost.get(symbol, 0.0) * held + value + v.fees.total) / (held + v.shares)
    acct.book.buy(symbol, v.shares)
    acct.cash -= value + v.fees.total
    acct.buy_value += value
    acct.fees += (v.fees.commission, v.fees.stamp_duty, v.fees.transfer)
    ledger.trades.append(
        (day, symbol, "buy", v.shares, v.price, value, v.fees.commission, v.fees.stamp_duty, v.fees.transfer, 0.0)
    )
