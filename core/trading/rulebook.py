"""Trading's view of the A-share rule engine (core.rules): costs, lots and price limits in one adapter.

The paper broker and the pre-trade checks ask only this module, and it asks core.rules, so the
backtest, paper trading and risk checks share one set of rule tables.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.domain.orders import Fees, Side
from core.domain.symbols import Board, SymbolFormatError, parse_symbol
from core.domain.ticks import Tick
from core.rules.engine import DayQuote, LimitMode, limit_blocks
from core.rules.fees import CostModel
from core.rules.lots import lot_rule
from core.rules.price_limits import free_days_after_listing, limit_prices

# A market order without a protection price may pay at most this much beyond the best quote (and never
# beyond the day's limit); the exchanges cap market orders the same way since the 2023 protection rule.
MARKET_PROTECTION = 0.02
# Quote tick: 0.01 CNY for stocks, 0.001 for exchange funds (SSE/SZSE trading rules).
_STOCK_TICK = 0.01
_FUND_TICK = 0.001


def mark_price(tick: Tick | None) -> float:
    """The price a holding is worth now: the last trade, before the first one the previous close (0: unknown)."""
    if tick is None:
        return 0.0
    return tick.last if tick.last > 0 else max(tick.pre_close, 0.0)


@dataclass(frozen=True, slots=True)
class RuleBook:
    """`st_periods` (symbol -> [(start, end)] ISO dates, as core.rules.risk_warning reads them) and
    `list_dates` are the backtest's own inputs: an ST stock trades inside its narrower band, a new listing
    has its limit-free first days."""

    costs: CostModel = field(default_factory=CostModel)
    st_periods: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    list_dates: Mapping[str, dt.date] = field(default_factory=dict)

    def is_st(self, symbol: str, day: dt.date) -> bool:
        iso = day.isoformat()
        return any(start <= iso <= end for start, end in self.st_periods.get(symbol, ()))

    def fees(self, symbol: str, day: dt.date, side: Side, price: float, qty: int) -> Fees:
        f = self.costs.fees(symbol, day, side is Side.SELL, price, qty)
        return Fees(commission=f.commission, stamp_duty=f.stamp_duty, transfer_fee=f.transfer)

    def tick_size(self, symbol: str) -> float:
        return _FUND_TICK if parse_symbol(symbol).board is Board.FUND else _STOCK_TICK

    def on_tick(self, symbol: str, price: float) -> bool:
        step = self.tick_size(symbol)
        return abs(price / step - round(price / step)) < 1e-6

    def lot_problem(self, symbol: str, day: dt.date, side: Side, qty: int, sellable: int) -> str | None:
        """Why `qty` is not a valid order size, or None when it is."""
        if qty <= 0:
            return "quantity must be a positive number of shares"
        rule = lot_rule(symbol, day)
        if side is Side.SELL and qty == sellable:
            return None  # an odd-lot remainder may be sold, but only whole, in one order
        odd = sellable % rule.step if rule.step == rule.minimum else 0
        if side is Side.SELL and odd and odd <= qty <= sellable and (qty - odd) % rule.step == 0:
            return None  # the whole odd part, alone or with whole lots
        if qty < rule.minimum:
            return f"at least {rule.minimum} shares per order for {symbol}"
        if (qty - rule.minimum) % rule.step:
            if rule.step == rule.minimum:
                return f"{symbol} trades in lots of {rule.step} shares"
            return f"{symbol}: {rule.minimum} shares or more, in steps of {rule.step}"
        return None

    def protection(self, symbol: str, side: Side, tick: Tick | None) -> float:
        """The worst price a market order without its own protection price may trade at (nan: no quote)."""
        if tick is None:
            return math.nan
        limits = self.limits(symbol, tick.time.date(), tick)
        if side is Side.BUY:
            cap = round((tick.ask1 or tick.last or tick.pre_close) * (1 + MARKET_PROTECTION), 2)
            return min(cap, limits[0]) if limits else cap
        floor = round((tick.bid1 or tick.last or tick.pre_close) * (1 - MARKET_PROTECTION), 2)
        return max(floor, limits[1]) if limits else floor

    def limit_blocks(self, symbol: str, side: Side, tick: Tick, price: float) -> bool:
        """The rule engine's verdict on a trade at `price` now: no buy at the limit up, no sell at the limit down."""
        limits = self.limits(symbol, tick.time.date(), tick)
        if limits is None:
            return False
        quote = DayQuote(tick.open, tick.high, tick.low, tick.last, limits[0], limits[1])
        return limit_blocks(quote, side is Side.SELL, LimitMode.DEAL, price)

    def limits(self, symbol: str, day: dt.date, tick: Tick | None) -> tuple[float, float] | None:
        """(limit up, limit down) of the day: the source's when it knows them, else from the previous close.

        An ST period or a new listing's free days known to this book win over a source's figures: a replay
        computes its limits without them, and a band the user told us about must not be widened by the feed.
        """
        listed = self.list_dates.get(symbol)
        import numpy as np  # lazily: the window opens before anything trades

        # Trading days since listing, counted on weekdays: only the first few matter (limit-free days).
        days_listed = int(np.busday_count(listed, day)) + 1 if listed is not None and day >= listed else None
        # Only what this book knows beyond the feed overrides it: an ST band or a new listing's free days.
        # For every other stock the source's figures stand (QMT knows an ST this book was not told of).
        new_listing = listed is not None and days_listed is not None and days_listed <= _free_days(symbol, listed)
        known_here = new_listing or self.is_st(symbol, day)
        if tick is not None and tick.limit_up > 0 and tick.limit_down > 0 and not known_here:
            return tick.limit_up, tick.limit_down
        if tick is None or tick.pre_close <= 0:
            return None
        try:
            return limit_prices(
                symbol, day, tick.pre_close, st=self.is_st(symbol, day), list_date=listed, days_listed=days_listed
            )
        except SymbolFormatError:
            return None


def _free_days(symbol: str, listed: dt.date) -> int:
    try:
        return free_days_after_listing(symbol, listed)
    except SymbolFormatError:
        return 0
