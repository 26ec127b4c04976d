"""Share capital of instruments with its history in the market store: the base of market cap and turnover %."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.storage.market_store import MarketStore

UNKNOWN_START = ""  # share capital held since before anything the store knows

# (symbol, total shares, float shares, start): None = that figure unknown; start '' = the figures now.
SharesRow = tuple[str, float | None, float | None, str]


@dataclass(frozen=True, slots=True)
class ShareCapital:
    """A symbol's share capital on some day, in shares; None where the store does not know it."""

    total_shares: float | None = None
    float_shares: float | None = None


def record_shares(store: MarketStore, rows: Iterable[SharesRow], today: dt.date) -> int:
    """Store share capital rows inside `store.transaction()`; returns how many rows were new.

    A dated row (start = ISO date) holds from that day. An undated row is the capital now: it is recorded
    from `today` when it differs from the symbol's latest, and as held since before anything known when the
    symbol has none yet. A figure a row leaves unknown keeps the value in force at its start, so a file with
    only total shares does not forget the float shares the bridge gave.
    """
    new = 0
    for symbol, total, floating, start in rows:
        if total is None and floating is None:
            continue
        if start:
            before = _row_at(store, symbol, start)
        else:
            before = _latest(store, symbol)
            start = UNKNOWN_START if before is None else today.isoformat()
        held = before[1] if before is not None else ShareCapital()
        figures = ShareCapital(
            total if total is not None else held.total_shares,
            floating if floating is not None else held.float_shares,
        )
        if before is not None and figures == held:
            continue
        store.query(
            "INSERT OR REPLACE INTO instrument_shares (symbol, start, total_shares, float_shares) VALUES (?, ?, ?, ?)",
            (symbol, start, figures.total_shares, figures.float_shares),
        )
        new += 1
    return new


def shares_as_of(store: MarketStore, symbol: str, day: dt.date | None = None) -> ShareCapital:
    """`symbol`'s share capital on `day` (None: the latest); before its first dated row, the earliest known."""
    found = _latest(store, symbol) if day is None else _row_at(store, symbol, day.isoformat())
    if found is None:
        row = store.query(
            "SELECT start, total_shares, float_shares FROM instrument_shares WHERE symbol=? ORDER BY start LIMIT 1",
            (symbol,),
        ).fetchone()
        found = None if row is None else (row[0], ShareCapital(row[1], row[2]))
    return found[1] if found is not None else ShareCapital()


def current_shares(store: MarketStore) -> dict[str, ShareCapital]:
    """Every symbol's latest known share capital, in one query (the quote board's turnover base, the bridge's list)."""
    rows = store.query(
        "SELECT s.symbol, s.total_shares, s.float_shares FROM instrument_shares s WHERE s.start = "
        "(SELECT max(start) FROM instrument_shares WHERE symbol = s.symbol)"
    )
    return {str(symbol): ShareCapital(total, floating) for symbol, total, floating in rows}


def _latest(store: MarketStore, symbol: str) -> tuple[str, ShareCapital] | None:
    row = store.query(
        "SELECT start, total_shares, float_shares FROM instrument_shares WHERE symbol=? ORDER BY start DESC LIMIT 1",
        (symbol,),
    ).fetchone()
    return None if row is None else (row[0], ShareCapital(row[1], row[2]))


def _row_at(store: MarketStore, symbol: str, start: str) -> tuple[str, ShareCapital] | None:
    row = store.query(
        "SELECT start, total_shares, float_shares FROM instrument_shares WHERE symbol=? AND start<=? "
        "ORDER BY start DESC LIMIT 1",
        (symbol, start),
    ).fetchone()
    return None if row is None else (row[0], ShareCapital(row[1], row[2]))
