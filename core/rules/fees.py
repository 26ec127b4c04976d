"""Trading costs by date: broker commission with a minimum, stamp duty, transfer fee, and slippage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.domain.symbols import Exchange, parse_symbol

# Stamp duty (securities transaction tax), (effective from, buy rate, sell rate), Ministry of Finance notices:
#   1991-10-10 0.3% each side (Shanghai begins levying it, Shenzhen cuts its 0.6% to match);
#   1992-06-12 0.3% each side nationwide; 1997-05-12 0.5% each side; 1998-06-12 0.4% each side;
#   2001-11-16 0.2% each side; 2005-01-24 0.1% each side; 2007-05-30 0.3% each side; 2008-04-24 0.1% each side;
#   2008-09-19 sells only, 0.1%; 2023-08-28 sells only, halved to 0.05%.
# Before 1991-10-10 only Shenzhen levied it (0.6%, sells from 1990-06-28, buys too from 1990-11-23).
_STAMP_DUTY: tuple[tuple[dt.date, float, float], ...] = (
    (dt.date(1991, 10, 10), 0.003, 0.003),
    (dt.date(1997, 5, 12), 0.005, 0.005),
    (dt.date(1998, 6, 12), 0.004, 0.004),
    (dt.date(2001, 11, 16), 0.002, 0.002),
    (dt.date(2005, 1, 24), 0.001, 0.001),
    (dt.date(2007, 5, 30), 0.003, 0.003),
    (dt.date(2008, 4, 24), 0.001, 0.001),
    (dt.date(2008, 9, 19), 0.0, 0.001),
    (dt.date(2023, 8, 28), 0.0, 0.0005),
)
_STAMP_DUTY_SZ_EARLY: tuple[tuple[dt.date, float, float], ...] = (
    (dt.date(1990, 6, 28), 0.0, 0.006),
    (dt.date(1990, 11, 23), 0.006, 0.006),
)
# Transfer fee (CSDC), both sides. Until 2015-07-31 only Shanghai charged it: 1 CNY per 1,000 shares
# (0.001 per share, at least 1 CNY). From 2015-08-01 both exchanges: 0.002% of the traded value;
# from 2022-04-29 halved to 0.001%.
_TRANSFER_PER_SHARE_SH = 0.001
_TRANSFER_RATE: tuple[tuple[dt.date, float], ...] = (
    (dt.date(2015, 8, 1), 0.00002),
    (dt.date(2022, 4, 29), 0.00001),
)


def stamp_duty_rate(day: dt.date, sell: bool, exchange: Exchange | None = None) -> float:
    """The rate in force on `day`; `exchange` matters only before 1991-10-10, when Shenzhen alone levied it."""
    table = _STAMP_DUTY_SZ_EARLY + _STAMP_DUTY if exchange is Exchange.SZ else _STAMP_DUTY
    rate = 0.0
    for since, buy_rate, sell_rate in table:
        if day >= since:
            rate = sell_rate if sell else buy_rate
    return rate


def transfer_fee(symbol: str, day: dt.date, value: float, shares: int) -> float:
    rate = 0.0
    for since, r in _TRANSFER_RATE:
        if day >= since:
            rate = r
    if rate:
        return value * rate
    if parse_symbol(symbol).exchange is Exchange.SH and shares > 0:
        return max(shares * _TRANSFER_PER_SHARE_SH, 1.0)
    return 0.0


@dataclass(frozen=True, slots=True)
class Fees:
    commission: float
    stamp_duty: float
    transfer: float

    @property
    def total(self) -> float:
        return self.commission + self.stamp_duty + self.transfer


@dataclass(frozen=True, slots=True)
class CostModel:
    """Commission (rate with a per-order minimum) plus the dated statutory charges and slippage.

    `sell_commission_rate` lets a flat Qlib-style cost (open 0.05%, close 0.15%) be expressed without
    stamp duty and transfer fee tables.
    """

    commission_rate: float = 0.00025
    min_commission: float = 5.0
    sell_commission_rate: float | None = None
    stamp_duty: bool = True
    transfer_fee: bool = True
    slippage: float = 0.0  # fraction of the price paid on buys / given up on sells
    round_slipped_price: bool = True  # an executed price is always on the 0.01 tick

    def fees(self, symbol: str, day: dt.date, sell: bool, price: float, shares: int) -> Fees:
        value = price * shares
        if shares <= 0:
            return Fees(0.0, 0.0, 0.0)
        rate = self.sell_commission_rate if sell and self.sell_commission_rate is not None else self.commission_rate
        commission = max(value * rate, self.min_commission)
        stamp = value * stamp_duty_rate(day, sell, parse_symbol(symbol).exchange) if self.stamp_duty else 0.0
        transfer = transfer_fee(symbol, day, value, shares) if self.transfer_fee else 0.0
        return Fees(commission, stamp, transfer)

    def slipped(self, price: float, sell: bool) -> float:
        if not self.slippage:
            return price
        p = price * (1 - self.slippage if sell else 1 + self.slippage)
        return round(p + 1e-9, 2) if self.round_slipped_price else p
