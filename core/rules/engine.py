"""The A-share rule engine: one verdict per order from the day's bar, limits, lots, T+1 and cash.

The backtest, the paper broker and pre-trade checks all ask this module, so a rule lives in one place.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import Enum

from core.rules.fees import CostModel, Fees
from core.rules.lots import round_buy, round_sell


class Refusal(str, Enum):
    """Why an order was refused (or cut to nothing)."""

    SUSPENDED = "suspended"
    LIMIT_UP = "limit_up"
    LIMIT_DOWN = "limit_down"
    T_PLUS_1 = "t_plus_1"
    LOT = "lot"
    CASH = "cash"


class LimitMode(str, Enum):
    """When a price limit blocks a trade: at the close, any touch during the day, at the deal price, never."""

    CLOSE = "close"
    TOUCH = "touch"
    DEAL = "deal"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class DayQuote:
    """One symbol's raw daily bar on the trading day, with that day's limit prices (None = no limit)."""

    open: float
    high: float
    low: float
    close: float
    limit_up: float | None
    limit_down: float | None


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Switches for realism; the defaults are the real A-share rules."""

    limit_mode: LimitMode = LimitMode.CLOSE
    t_plus_1: bool = True
    trade_unit: int | None = None  # None: board lot rules; a number: one flat lot (Qlib's trade_unit)
    costs: CostModel = field(default_factory=CostModel)


@dataclass(frozen=True, slots=True)
class Verdict:
    shares: int
    price: float
    fees: Fees | None
    refusal: Refusal | None


_NO_FEES = Fees(0.0, 0.0, 0.0)


def limit_blocks(quote: DayQuote, sell: bool, mode: LimitMode, deal_price: float) -> bool:
    """True when the day's limit in the order's direction forbids it under `mode`."""
    limit = quote.limit_down if sell else quote.limit_up
    if limit is None or mode is LimitMode.OFF:
        return False
    eps = 1e-6
    if sell:
        probe = {LimitMode.CLOSE: quote.close, LimitMode.TOUCH: quote.low, LimitMode.DEAL: deal_price}[mode]
        return probe <= limit + eps
    probe = {LimitMode.CLOSE: quote.close, LimitMode.TOUCH: quote.high, LimitMode.DEAL: deal_price}[mode]
    return probe >= limit - eps


def check_buy(
    symbol: str, day: dt.date, quote: DayQuote | None, deal_price: float, shares: float, cash: float, config: RuleConfig
) -> Verdict:
    """Shares that may be bought (lots, limit-up, suspension) and that `cash` pays for including fees."""
    if quote is None or not math.isfinite(deal_price) or deal_price <= 0:
        return Verdict(0, deal_price, None, Refusal.SUSPENDED)
    if limit_blocks(quote, False, config.limit_mode, deal_price):
        return Verdict(0, deal_price, None, Refusal.LIMIT_UP)
    costs = config.costs
    price = costs.slipped(deal_price, sell=False)
    qty = round_buy(symbol, day, shares, config.trade_unit)
    if qty <= 0:
        return Verdict(0, price, None, Refusal.LOT)
    fees = costs.fees(symbol, day, False, price, qty)
    if qty * price + fees.total > cash + 1e-9:
        # Shrink to what the cash pays for: estimate from the proportional cost, then step down.
        rate = costs.commission_rate + 0.002
        qty = round_buy(symbol, day, min(qty, cash / (price * (1 + rate))), config.trade_unit)
        fees = costs.fees(symbol, day, False, price, qty)
        while qty > 0 and qty * price + fees.total > cash + 1e-9:
            qty = round_buy(symbol, day, qty - 1, config.trade_unit)
            fees = costs.fees(symbol, day, False, price, qty)
        if qty <= 0:
            return Verdict(0, price, None, Refusal.CASH)
    return Verdict(qty, price, fees, None)


def check_sell(
    symbol: str,
    day: dt.date,
    quote: DayQuote | None,
    deal_price: float,
    shares: float,
    total: int,
    sellable: int,
    config: RuleConfig,
) -> Verdict:
    """Shares that may be sold (T+1 sellable, odd lots, limit-down, suspension)."""
    if quote is None or not math.isfinite(deal_price) or deal_price <= 0:
        return Verdict(0, deal_price, None, Refusal.SUSPENDED)
    if limit_blocks(quote, True, config.limit_mode, deal_price):
        return Verdict(0, deal_price, None, Refusal.LIMIT_DOWN)
    if sellable <= 0:
        return Verdict(0, deal_price, None, Refusal.T_PLUS_1 if total > 0 else Refusal.LOT)
    price = config.costs.slipped(deal_price, sell=True)
    qty = round_sell(symbol, day, min(shares, sellable), sellable, config.trade_unit)
    if qty <= 0:
        return Verdict(0, price, None, Refusal.LOT)
    return Verdict(qty, price, config.costs.fees(symbol, day, True, price, qty), None)


def no_fees() -> Fees:
    return _NO_FEES
