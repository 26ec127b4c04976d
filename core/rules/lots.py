"""Order quantity rules: board lots for buys, odd-lot remainders that may only be sold whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.domain.symbols import Board, parse_symbol


@dataclass(frozen=True, slots=True)
class LotRule:
    """Smallest order and the step above it, in shares."""

    minimum: int
    step: int


# SSE/SZSE main boards and ChiNext: buys in whole lots of 100 shares (SSE Trading Rules 3.5.x,
#   SZSE Trading Rules 3.3.x; unchanged by the 2020 ChiNext reform).
# STAR: from the board's opening on 2019-07-22, at least 200 shares, then any number in 1-share steps
#   (SSE STAR Market Trading Special Provisions art. 3.x).
# BSE: from 2021-11-15, at least 100 shares, then 1-share steps (BSE Trading Rules 3.3.x).
_LOTS: tuple[tuple[Board, dt.date, LotRule], ...] = (
    (Board.MAIN, dt.date(1990, 12, 19), LotRule(100, 100)),
    (Board.CHINEXT, dt.date(2009, 10, 30), LotRule(100, 100)),
    (Board.STAR, dt.date(2019, 7, 22), LotRule(200, 1)),
    (Board.BSE, dt.date(2021, 11, 15), LotRule(100, 1)),
)
_DEFAULT = LotRule(100, 100)


def lot_rule(symbol: str, day: dt.date) -> LotRule:
    board = parse_symbol(symbol).board
    rule = _DEFAULT
    for b, since, r in _LOTS:
        if b is board and day >= since:
            rule = r
    return rule


def round_buy(symbol: str, day: dt.date, shares: float, unit: int | None = None) -> int:
    """Largest valid buy quantity not above `shares` (0 if below the minimum); `unit` forces a flat lot."""
    rule = LotRule(unit, unit) if unit else lot_rule(symbol, day)
    if shares < rule.minimum:
        return 0
    return int(rule.minimum + (int(shares) - rule.minimum) // rule.step * rule.step)


def round_sell(symbol: str, day: dt.date, shares: float, sellable: int, unit: int | None = None) -> int:
    """Valid sell quantity: everything sellable (odd lot included) or whole lots/steps below it."""
    if shares >= sellable:
        return max(sellable, 0)  # an odd-lot remainder may only go in one order, with the rest
    rule = LotRule(unit, unit) if unit else lot_rule(symbol, day)
    if shares < rule.minimum:
        return 0
    return int(rule.minimum + (int(shares) - rule.minimum) // rule.step * rule.step)
