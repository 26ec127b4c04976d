"""Today's signals: from the latest scores and the current account, the target list and exact orders."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.rules.engine import DayQuote, RuleConfig, check_buy, check_sell
from core.rules.price_limits import limit_fraction, round_to_tick
from core.strategy.base import Strategy, StrategyContext

if TYPE_CHECKING:
    import pandas as pd

    from core.storage.market_store import MarketStore


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """One order for the next session, priced at the last close, with the next day's limit band."""

    symbol: str
    side: str
    shares: int
    price: float
    value: float
    fees: float
    limit_up: float | None
    limit_down: float | None
    note: str = ""


@dataclass
class RebalancePlan:
    signal_day: dt.date
    ranked: list[tuple[str, float]]  # (symbol, score), best first
    targets: list[str]  # holdings after the orders
    orders: list[PlannedOrder] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (symbol, side, reason)
    cash_after: float = 0.0


def plan_rebalance(
    store: MarketStore,
    signals: pd.DataFrame,
    strategy: Strategy,
    holdings: Mapping[str, int],
    cash: float,
    rules: RuleConfig | None = None,
    held_days: Mapping[str, int] | None = None,
    bought_today: Mapping[str, int] | None = None,
) -> RebalancePlan:
    """Orders that move `holdings` to what `strategy` wants after the latest signal day in `signals`."""
    from core.backtest.market import MarketPanel, load_market

    rules = rules or RuleConfig()
    day = signals.index.get_level_values(0).max().date()
    latest = signals.xs(signals.index.get_level_values(0).max(), level=0)["score"]
    symbols = sorted(set(latest.index) | set(holdings))
    panel = next(p for p in load_market(store, symbols, day, day) if isinstance(p, MarketPanel))
    i = len(panel.days) - 1  # the last stored day: the orders are for the session after it
    scores = latest.reindex(panel.symbols).to_numpy(dtype=float)
    prices = panel.mark[i]
    index = panel.index
    value = sum(q * float(prices[index[s]]) for s, q in holdings.items() if math.isfinite(prices[index[s]]))

    def tradable(symbol: str, sell: bool | None) -> bool:
        j = index.get(symbol)
        return j is not None and not np.isnan(panel.close[i, j])  # suspended on the last day: assume it stays so

    # Holdings of unknown age count as long held; today's buys as not held a full day yet.
    ages = {s: (held_days or {}).get(s, 0 if s in (bought_today or {}) else 10**6) for s in holdings}
    ctx = StrategyContext(
        day, panel.symbols, scores, prices, dict(holdings), ages, {}, cash, cash + value, tradable, index
    )
    decision = strategy.decide(ctx)
    order = np.argsort(-np.where(np.isnan(scores), -np.inf, scores), kind="stable")
    plan = RebalancePlan(day, [(panel.symbols[j], float(scores[j])) for j in order if not np.isnan(scores[j])], [])
    shares = dict(holdings)
    next_day = day + dt.timedelta(days=1)

    def band(symbol: str, price: float) -> tuple[float | None, float | None]:
        f = limit_fraction(symbol, next_day)
        if f is None or not math.isfinite(price):
            return None, None
        up, down = round_to_tick(np.array([price * (1 + f), price * (1 - f)]))
        return float(up), float(down)

    def next_quote(symbol: str) -> DayQuote | None:
        """The next session as the last close with its limit band: tomorrow's bar is not known yet."""
        j = index.get(symbol)
        if j is None or np.isnan(panel.close[i, j]):
            return None
        p = float(prices[j])
        up, down = band(symbol, p)
        return DayQuote(p, p, p, p, up, down)

    sells, buys = dict(decision.sells), dict(decision.buys)
    if decision.targets is not None:
        sells = {s: None for s in holdings if decision.targets.get(s, 0) <= 0}
        for s, w in decision.targets.items():
            p = float(prices[index[s]]) if s in index else math.nan
            if w > 0 and math.isfinite(p) and p > 0:
                diff = w * (cash + value) / p - holdings.get(s, 0)
                if diff < 0:
                    sells[s] = int(-diff)
                else:
                    buys[s] = diff * p / max(cash, 1e-9)  # as a fraction of the cash, filled below
    for s, qty in sells.items():
        p = float(prices[index[s]])
        quote = next_quote(s)
        total = holdings.get(s, 0)
        sellable = total - (bought_today or {}).get(s, 0) if rules.t_plus_1 else total
        v = check_sell(s, next_day, quote, p, sellable if qty is None else qty, total, sellable, rules)
        if v.refusal is not None:
            plan.refused.append((s, "sell", v.refusal.value))
            continue
        assert v.fees is not None
        cash += v.shares * v.price - v.fees.total
        shares[s] = shares.get(s, 0) - v.shares
        plan.orders.append(PlannedOrder(s, "sell", v.shares, v.price, v.shares * v.price, v.fees.total, *band(s, p)))
    pool = cash
    for s, frac in buys.items():
        p = float(prices[index[s]]) if s in index else math.nan
        quote = next_quote(s)
        v = check_buy(s, next_day, quote, p, frac * pool / p if math.isfinite(p) and p > 0 else 0.0, cash, rules)
        if v.refusal is not None:
            plan.refused.append((s, "buy", v.refusal.value))
            continue
        assert v.fees is not None
        cash -= v.shares * v.price + v.fees.total
        shares[s] = shares.get(s, 0) + v.shares
        plan.orders.append(PlannedOrder(s, "buy", v.shares, v.price, v.shares * v.price, v.fees.total, *band(s, p)))
    plan.targets = sorted(s for s, q in shares.items() if q > 0)
    plan.cash_after = cash
    return plan
