"""Daily price limits by board, date, risk-warning status and listing age, rounded to the 0.01 CNY tick."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from core.domain.symbols import Board, parse_symbol

if TYPE_CHECKING:
    import numpy as np

# (board, effective from, limit fraction). Later rows of a board supersede earlier ones.
# Main boards: 10% since 1996-12-16 (SSE/SZSE notice on price limits).
# ChiNext: 10% from the board's opening on 2009-10-30; 20% from 2020-08-24, when the registration-based
#   reform took effect (SZSE ChiNext Trading Special Provisions 2020).
# STAR: 20% since the board opened on 2019-07-22 (SSE STAR Market Trading Rules art. 4.2.x).
# BSE: 30% since the exchange opened on 2021-11-15 (BSE Trading Rules 3.3.x).
_LIMITS: tuple[tuple[Board, dt.date, float], ...] = (
    (Board.MAIN, dt.date(1996, 12, 16), 0.10),
    (Board.CHINEXT, dt.date(2009, 10, 30), 0.10),
    (Board.CHINEXT, dt.date(2020, 8, 24), 0.20),
    (Board.STAR, dt.date(2019, 7, 22), 0.20),
    (Board.BSE, dt.date(2021, 11, 15), 0.30),
)
# Risk-warning (ST, *ST) stocks. Main boards: 5% since special treatment began on 1998-04-22; from
# 2025-07-07 the SSE and SZSE main-board risk-warning stocks move to 10% (trading-rule revisions published
# 2025-06-27). ChiNext ST: 20% with the 2020-08-24 reform (5%/10% board limit before it). STAR and BSE
# keep their board limit for ST stocks.
_ST_LIMITS: tuple[tuple[Board, dt.date, float], ...] = (
    (Board.MAIN, dt.date(1998, 4, 22), 0.05),
    (Board.MAIN, dt.date(2025, 7, 7), 0.10),
    (Board.CHINEXT, dt.date(2009, 10, 30), 0.05),
    (Board.CHINEXT, dt.date(2020, 8, 24), 0.20),
    (Board.STAR, dt.date(2019, 7, 22), 0.20),
    (Board.BSE, dt.date(2021, 11, 15), 0.30),
)
# (board, listed on or after, first N trading days without the daily limit).
# Main boards before registration: the first day is capped against the IPO price (+44%/-36% since 2014),
#   which bars do not carry, so it is modelled as free. Main-board registration IPOs (from 2023-04-10): 5 days.
# ChiNext: first day only until the reform, then 5 days for stocks listed from 2020-08-24.
# STAR: 5 days since 2019-07-22. BSE: first day free (BSE Trading Rules 3.3.x).
_NEW_LISTING_FREE_DAYS: tuple[tuple[Board, dt.date, int], ...] = (
    (Board.MAIN, dt.date(1990, 12, 19), 1),
    (Board.MAIN, dt.date(2023, 4, 10), 5),
    (Board.CHINEXT, dt.date(2009, 10, 30), 1),
    (Board.CHINEXT, dt.date(2020, 8, 24), 5),
    (Board.STAR, dt.date(2019, 7, 22), 5),
    (Board.BSE, dt.date(2021, 11, 15), 1),
)
_TICK = Decimal("0.01")


def _in_force(table: tuple[tuple[Board, dt.date, float], ...], board: Board, day: dt.date) -> float | None:
    value = None
    for b, since, v in table:
        if b is board and day >= since:
            value = v
    return value


def free_days_after_listing(symbol: str, list_date: dt.date) -> int:
    """How many first trading days of a new listing carry no daily limit."""
    board = parse_symbol(symbol).board
    days = 0
    for b, since, n in _NEW_LISTING_FREE_DAYS:
        if b is board and list_date >= since:
            days = n
    return days


def limit_fraction(
    symbol: str, day: dt.date, *, st: bool = False, list_date: dt.date | None = None, days_listed: int | None = None
) -> float | None:
    """The limit fraction in force for `symbol` on `day`, or None where no limit applies.

    `days_listed` is the 1-based trading-day number since `list_date`; both unknown means an old listing.
    """
    board = parse_symbol(symbol).board
    if list_date is not None and days_listed is not None and days_listed <= free_days_after_listing(symbol, list_date):
        return None
    if st:
        return _in_force(_ST_LIMITS, board, day)
    return _in_force(_LIMITS, board, day)


def limit_prices(
    symbol: str,
    day: dt.date,
    pre_close: float,
    *,
    st: bool = False,
    list_date: dt.date | None = None,
    days_listed: int | None = None,
) -> tuple[float, float] | None:
    """(limit up, limit down) from the previous close, rounded half-up to the tick as the exchanges do."""
    fraction = limit_fraction(symbol, day, st=st, list_date=list_date, days_listed=days_listed)
    if fraction is None or pre_close <= 0:
        return None
    base = Decimal(str(pre_close))
    up = (base * (1 + Decimal(str(fraction)))).quantize(_TICK, rounding=ROUND_HALF_UP)
    down = (base * (1 - Decimal(str(fraction)))).quantize(_TICK, rounding=ROUND_HALF_UP)
    return float(up), float(down)


def limit_fraction_series(symbol: str, days: np.ndarray, st: np.ndarray | None = None) -> np.ndarray:
    """Vectorised `limit_fraction` over `days` (datetime64[D]); NaN where no limit applies (new listings aside)."""
    import numpy as np

    board = parse_symbol(symbol).board
    out = np.full(len(days), np.nan)
    st_mask = np.zeros(len(days), dtype=bool) if st is None else st.astype(bool)
    for table, mask in ((_LIMITS, ~st_mask), (_ST_LIMITS, st_mask)):
        for b, since, value in table:  # rows are in date order, so later ones overwrite earlier ones
            if b is board:
                out[mask & (days >= np.datetime64(since))] = value
    return out


def round_to_tick(values: np.ndarray) -> np.ndarray:
    """Half-up rounding to 0.01 without Decimal; the epsilon absorbs binary error such as 7.975 -> 7.97499..."""
    import numpy as np

    return np.floor(values * 100.0 + 0.5 + 1e-6) / 100.0
