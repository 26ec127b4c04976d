"""Daily price limits by board and date, rounded to the 0.01 CNY tick."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from core.domain.symbols import Board, parse_symbol

# (board, effective from, limit fraction). Later rows of a board supersede earlier ones.
# Main boards: 10% since 1996-12-16 (SSE/SZSE notice on price limits).
# ChiNext: 20% from 2020-08-24, when the registration-based IPO reform took effect (SZSE ChiNext rules 2020).
# STAR: 20% since the board opened on 2019-07-22 (SSE STAR Market trading rules).
# BSE: 30% since the exchange opened on 2021-11-15 (BSE trading rules).
_LIMITS: tuple[tuple[Board, dt.date, float], ...] = (
    (Board.MAIN, dt.date(1996, 12, 16), 0.10),
    (Board.CHINEXT, dt.date(2009, 10, 30), 0.10),
    (Board.CHINEXT, dt.date(2020, 8, 24), 0.20),
    (Board.STAR, dt.date(2019, 7, 22), 0.20),
    (Board.BSE, dt.date(2021, 11, 15), 0.30),
)
_TICK = Decimal("0.01")


def limit_fraction(symbol: str, day: dt.date) -> float | None:
    """The limit fraction in force for `symbol` on `day`, or None where no limit applies (indices, funds)."""
    board = parse_symbol(symbol).board
    fraction = None
    for b, since, value in _LIMITS:
        if b is board and day >= since:
            fraction = value
    return fraction


def limit_prices(symbol: str, day: dt.date, pre_close: float) -> tuple[float, float] | None:
    """(limit up, limit down) from the previous close, rounded half-up to the tick as the exchanges do."""
    fraction = limit_fraction(symbol, day)
    if fraction is None or pre_close <= 0:
        return None
    base = Decimal(str(pre_close))
    up = (base * (1 + Decimal(str(fraction)))).quantize(_TICK, rounding=ROUND_HALF_UP)
    down = (base * (1 - Decimal(str(fraction)))).quantize(_TICK, rounding=ROUND_HALF_UP)
    return float(up), float(down)
