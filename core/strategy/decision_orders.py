"""One way from a strategy's Decision to exact orders: sells first, then buys, each through the rule engine.

The backtest fills these orders at the deal price of day t+1; the plan of the next session prices them
at the last close with the next trading day's limit band. Both call `decision_orders`, so tolerance,
lots, T+1, cash and limits are applied the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core.rules.engine import DayQuote, Refusal, RuleConfig, Verdict, check_buy, check_sell
from core.rules.lots import lot_rule
from core.strategy.base import Decision


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """One order the decision asks for and the rule engine's verdict on it (refused: `verdict.refusal`)."""

    symbol: str
    side: str  # 'buy' | 'sell'
    verdict: Verdict


@dataclass(frozen=True)
class ExecutionDay:
    """What the orders meet on the execution day.

    `quote(symbol)`: the day's bar with its limit band (None: suspended); `deal(symbol)`: the fill price
    (NaN: none); `sizing(symbol)`: the price target weights are sized at (the deal price where known);
    `sell_deal(symbol)`: the price of sells where it is not `deal` (a limit order's price below the mark).
    """

    day: dt.date
    quote: Callable[[str], DayQuote | None]
    deal: Callable[[str], float]
    sizing: Callable[[str], float]
    sell_deal: Callable[[str], float] | None = None


@dataclass
class OrderList:
    """The outcomes in execution order and the cash left after the accepted ones."""

    outcomes: list[OrderOutcome] = field(default_factory=list)
    cash_after: float = 0.0

    @property
    def accepted(self) -> list[OrderOutcome]:
        return [o for o in self.outcomes if o.verdict.refusal is None]

    @property
    def refused(self) -> list[OrderOutcome]:
        return [o for o in self.outcomes if o.verdict.refusal is not None]


def decision_orders(
    decision: Decision,
    holdings: Mapping[str, int],
    sellable: Mapping[str, int],
    cash: float,
    market: ExecutionDay,
    rules: RuleConfig,
) -> OrderList:
    """Orders for `decision` on an account of `holdings` (sellable today: `sellable`) and `cash`.

    Sells run first; buys as fractions of the cash after the sells, or, with targets, as the share
    difference to each target weight of equity (left alone within `decision.tolerance`).
    """
    out = OrderList(cash_after=cash)
    sells: dict[str, int | None] = dict(decision.sells)
    buys: list[tuple[str, float]] = []
    if decision.targets is not None:
        sells, buys = _target_orders(decision, holdings, cash, market)
    sell_deal = market.sell_deal or market.deal
    for symbol, qty in sells.items():
        total, free = holdings.get(symbol, 0), sellable.get(symbol, 0)
        deal = sell_deal(symbol)
        v = check_sell(symbol, market.day, market.quote(symbol), deal, free if qty is None else qty, total, free, rules)
        if v.refusal is None:
            assert v.fees is not None
            out.cash_after += v.shares * v.price - v.fees.total
        out.outcomes.append(OrderOutcome(symbol, "sell", v))
    if decision.targets is None:
        pool = out.cash_after
        buys = [(s, _shares(frac * pool, market.deal(s))) for s, frac in decision.buys.items()]
    for symbol, shares in buys:
        deal = market.deal(symbol)
        wanted = shares if math.isfinite(shares) else 0.0
        v = check_buy(symbol, market.day, market.quote(symbol), deal, wanted, out.cash_after, rules)
        if v.refusal is Refusal.LOT and out.cash_after < deal * _minimum(symbol, market.day, rules):
            v = Verdict(0, v.price, None, Refusal.CASH)  # too little cash for one lot: say so, not "lot"
        if v.refusal is None:
            assert v.fees is not None
            out.cash_after -= v.shares * v.price + v.fees.total
        out.outcomes.append(OrderOutcome(symbol, "buy", v))
    return out


def _minimum(symbol: str, day: dt.date, rules: RuleConfig) -> int:
    return rules.trade_unit or lot_rule(symbol, day).minimum


def _shares(value: float, price: float) -> float:
    return value / price if math.isfinite(price) and price > 0 else math.nan


def _target_orders(
    decision: Decision, holdings: Mapping[str, int], cash: float, market: ExecutionDay
) -> tuple[dict[str, int | None], list[tuple[str, float]]]:
    targets = decision.targets or {}
    equity = cash + sum(q * market.sizing(s) for s, q in holdings.items() if math.isfinite(market.sizing(s)))
    sells: dict[str, int | None] = {s: None for s in holdings if holdings[s] and targets.get(s, 0.0) <= 0}
    buys: list[tuple[str, float]] = []
    for symbol, weight in targets.items():
        if weight <= 0:
            continue
        price = market.sizing(symbol)
        if not math.isfinite(price) or price <= 0:
            continue
        want, have = weight * equity / price, holdings.get(symbol, 0)
        if have and abs(have / want - 1) <= decision.tolerance:
            continue
        if want < have:
            sells[symbol] = int(have - want)
        else:
            buys.append((symbol, want - have))
    return sells, buys
