"""The next session's plan: from the latest scores and what the account really has, the exact orders.

Orders come from the same `decision_orders` as the backtest, priced at the last close (or, for orders
held for the open, a collar around it inside the band), with the limit band of the next trading day under
the rules in force that day (board regime, risk warning, new listing).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.rules.engine import DayQuote, RuleConfig
from core.rules.price_limits import limit_prices
from core.strategy.base import Strategy, StrategyContext
from core.strategy.decision_orders import ExecutionDay, decision_orders

if TYPE_CHECKING:
    import pandas as pd

    from core.backtest.market import MarketPanel
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
    session: dt.date | None = None  # the trading day the orders are for
    value_after: float = 0.0  # cash after plus the holdings after, at the last close


def next_trading_day(day: dt.date, calendar: Sequence[str], exchange: Sequence[str] = ()) -> dt.date:
    """The trading day after `day`: the bars' calendar and the exchange calendar known ahead where they
    reach, else the next weekday (core.data.exchange_calendar.SessionCalendar)."""
    from core.data.exchange_calendar import SessionCalendar

    return SessionCalendar(calendar, exchange).next_session(day)


def plan_rebalance(
    store: MarketStore,
    signals: pd.DataFrame,
    strategy: Strategy,
    holdings: Mapping[str, int],
    cash: float,
    rules: RuleConfig | None = None,
    held_days: Mapping[str, int] | None = None,
    bought_today: Mapping[str, int] | None = None,
    *,
    sellable: Mapping[str, int] | None = None,
    st_intervals: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    collar: float | None = None,
) -> RebalancePlan:
    """Orders that move `holdings` to what `strategy` wants after the latest signal day in `signals`.

    `cash` is what new buys may spend (net of open buys); `sellable` the shares free to sell (net of open
    sells and, under T+1, of today's buys); without it, holdings less `bought_today`.
    `collar` prices orders held for the next open as limits that the open can cross: buys at the last close
    plus `collar` (a fraction), sells at it minus `collar`, each kept inside the session's limit band, and
    sizes them at that price, so what the broker reserves for the buys is what the plan spent.
    Without it orders are priced and sized at the last close. `st_intervals` (a risk-warning file's
    periods) default to what the store's instrument names say as of its last day.
    """
    from core.backtest.market import MarketPanel, load_market

    rules = rules or RuleConfig()
    if st_intervals is None:
        # Without a risk-warning file the store's names tell which stocks trade under ST rules from its
        # last day on: the plan, the Signals dock and the routine then band them as the broker will.
        from core.trading.rule_inputs import store_rule_book

        st_intervals = store_rule_book(store).st_periods
    stamp = signals.index.get_level_values(0).max()
    day = stamp.date()
    latest = signals.xs(stamp, level=0)["score"]
    symbols = sorted(set(latest.index) | set(holdings))
    panel = next(p for p in load_market(store, symbols, day, day, st_intervals) if isinstance(p, MarketPanel))
    i = len(panel.days) - 1  # the signal day: the orders are for the session after it
    if panel.day(i) != day:
        raise ValueError(f"the store has no bars on the signal day {day} (newest there: {panel.day(i)})")
    session = next_trading_day(day, store.trading_days(), store.trading_days("exchange"))
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
    plan.session = session
    bands = _next_bands(panel, i, session, st_intervals or {}, store)

    def next_quote(symbol: str) -> DayQuote | None:
        """The next session as the last close with its limit band: its bar is not known yet."""
        j = index.get(symbol)
        if j is None or np.isnan(panel.close[i, j]):
            return None
        p = float(prices[j])
        up, down = bands.get(symbol, (None, None))
        return DayQuote(p, p, p, p, up, down)

    def last_close(symbol: str) -> float:
        j = index.get(symbol)
        return float(prices[j]) if j is not None else math.nan

    if sellable is None:
        today = bought_today or {}
        sellable = {s: q - today.get(s, 0) if rules.t_plus_1 else q for s, q in holdings.items()}
    buy_at: Callable[[str], float] = last_close
    sell_at: Callable[[str], float] = last_close
    if collar is not None:
        if not 0 <= collar < 1:
            raise ValueError(f"collar must be a fraction in [0, 1), got {collar}")
        buy_at, sell_at = (_collared(last_close, bands, collar, sell) for sell in (False, True))
    market = ExecutionDay(session, next_quote, buy_at, last_close, sell_at)
    result = decision_orders(decision, holdings, sellable, cash, market, rules)
    shares = dict(holdings)
    for o in result.outcomes:
        v = o.verdict
        if v.refusal is not None:
            plan.refused.append((o.symbol, o.side, v.refusal.value))
            continue
        assert v.fees is not None
        shares[o.symbol] = shares.get(o.symbol, 0) + (v.shares if o.side == "buy" else -v.shares)
        up, down = bands.get(o.symbol, (None, None))
        plan.orders.append(
            PlannedOrder(o.symbol, o.side, v.shares, v.price, v.shares * v.price, v.fees.total, up, down)
        )
    plan.targets = sorted(s for s, q in shares.items() if q > 0)
    plan.cash_after = result.cash_after
    plan.value_after = result.cash_after + sum(
        q * last_close(s) for s, q in shares.items() if q > 0 and math.isfinite(last_close(s))
    )
    return plan


def _collared(
    last_close: Callable[[str], float],
    bands: Mapping[str, tuple[float | None, float | None]],
    collar: float,
    sell: bool,
) -> Callable[[str], float]:
    """The order price from the last close: `collar` away in the order's favour, on the 0.01 tick toward the
    close, inside the session's band (a band-free new listing keeps the collar)."""

    def price(symbol: str) -> float:
        close = last_close(symbol)
        if not math.isfinite(close):
            return close
        up, down = bands.get(symbol, (None, None))
        if sell:
            p = math.ceil(round(close * (1 - collar) * 100, 6)) / 100
            return max(p, down) if down is not None else p
        p = math.floor(round(close * (1 + collar) * 100, 6)) / 100
        return min(p, up) if up is not None else p

    return price


def _next_bands(
    panel: MarketPanel,
    i: int,
    session: dt.date,
    st_intervals: Mapping[str, Sequence[tuple[str, str]]],
    store: MarketStore,
) -> dict[str, tuple[float | None, float | None]]:
    """Each symbol's (limit up, limit down) on `session` from the last close, under the rules of that day."""
    from core.backtest.market import _first_bar_day

    listings = {r["symbol"]: r.get("list_date") for r in store.instruments()}
    first_bars = {s.symbol: s.first_time for s in store.series("1d")}
    span = store.trading_day_span()
    store_first_day = span[0] if span else None
    iso = session.isoformat()
    out: dict[str, tuple[float | None, float | None]] = {}
    for j, symbol in enumerate(panel.symbols):
        close = float(panel.mark[i, j])
        if not math.isfinite(close):
            continue
        st = any(lo <= iso <= hi for lo, hi in st_intervals.get(symbol, ()))
        listed_text = listings.get(symbol) or _first_bar_day(first_bars.get(symbol), store_first_day)
        listed = dt.date.fromisoformat(listed_text[:10]) if listed_text else None
        number = None
        if listed is not None:
            # The session's number since listing: stored bars from the listing day, plus the session itself.
            since = panel.days[: i + 1] >= np.datetime64(listed)
            number = int(np.sum(~np.isnan(panel.close[: i + 1, j]) & since)) + 1
        band = limit_prices(symbol, session, close, st=st, list_date=listed, days_listed=number)
        out[symbol] = band if band is not None else (None, None)
    return out


def write_plan_csv(plan: RebalancePlan, path: Path) -> Path:
    """The planned orders as CSV: session, side, symbol, shares, price, value, fees, limit band."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["session", "side", "symbol", "shares", "price", "value", "fees", "limit_up", "limit_down"])
        for o in plan.orders:
            up = "" if o.limit_up is None else o.limit_up
            down = "" if o.limit_down is None else o.limit_down
            w.writerow(
                [plan.session, o.side, o.symbol, o.shares, o.price, round(o.value, 2), round(o.fees, 2), up, down]
            )
    return path
