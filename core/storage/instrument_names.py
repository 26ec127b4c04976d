"""Instrument names with their history in the market store: renames, and the ST periods they mark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.rules.risk_warning import is_risk_warning_name

if TYPE_CHECKING:
    from core.storage.market_store import MarketStore

UNKNOWN_START = ""  # a name held since before anything the store knows


@dataclass(frozen=True, slots=True)
class NamePeriod:
    """A name a symbol traded under: from `start` ('' = unknown) through `end` (None = still)."""

    symbol: str
    name: str
    start: str
    end: str | None = None

    @property
    def risk_warning(self) -> bool:
        return is_risk_warning_name(self.name)


def record_names(store: MarketStore, rows: Iterable[tuple[str, str, str]], today: dt.date) -> int:
    """Store (symbol, name, start) rows, inside `store.transaction()`; returns how many names were new.

    A dated row (start = ISO date) sets the name from that day. An undated row (start '') is the name now:
    it is recorded from `today` when it differs from the symbol's latest name, and as held since before
    anything known when the symbol has no name yet. The instrument's own name column follows the latest.
    """
    touched: set[str] = set()
    new = 0
    for symbol, name, start in rows:
        if not name:
            continue
        touched.add(symbol)
        if not start:
            latest = store.query(
                "SELECT name FROM instrument_names WHERE symbol=? ORDER BY start DESC LIMIT 1", (symbol,)
            ).fetchone()
            if latest is not None and latest[0] == name:
                continue
            start = UNKNOWN_START if latest is None else today.isoformat()
        known = store.query("SELECT name FROM instrument_names WHERE symbol=? AND start=?", (symbol, start)).fetchone()
        if known is not None and known[0] == name:
            continue
        store.query(
            "INSERT OR REPLACE INTO instrument_names (symbol, start, name) VALUES (?, ?, ?)", (symbol, start, name)
        )
        new += 1
    for symbol in touched:
        store.query(
            "UPDATE instruments SET name = (SELECT name FROM instrument_names WHERE symbol=? "
            "ORDER BY start DESC LIMIT 1) WHERE symbol=?",
            (symbol, symbol),
        )
    return new


def name_history(store: MarketStore, symbol: str) -> list[NamePeriod]:
    """Every name of `symbol`, oldest first, each ending the day before the next one starts."""
    rows = store.query("SELECT start, name FROM instrument_names WHERE symbol=? ORDER BY start", (symbol,)).fetchall()
    return _periods(symbol, rows)


def name_as_of(store: MarketStore, symbol: str, day: dt.date) -> str:
    """The name `symbol` traded under on `day`; before its first dated name, the earliest one known."""
    row = store.query(
        "SELECT name FROM instrument_names WHERE symbol=? AND start<=? ORDER BY start DESC LIMIT 1",
        (symbol, day.isoformat()),
    ).fetchone()
    if row is None:
        row = store.query(
            "SELECT name FROM instrument_names WHERE symbol=? ORDER BY start LIMIT 1", (symbol,)
        ).fetchone()
    return str(row[0]) if row is not None else ""


def st_periods(store: MarketStore) -> dict[str, list[tuple[str, str]]]:
    """Risk-warning periods (symbol -> [(start, end)] ISO dates, inclusive) from the dated names.

    A warning name with no known start says only that the stock is under warning now, which the rule book
    takes from the current name; it gives no period here.
    """
    by_symbol: dict[str, list[tuple[str, str]]] = {}
    for symbol, start, name in store.query("SELECT symbol, start, name FROM instrument_names ORDER BY symbol, start"):
        by_symbol.setdefault(symbol, []).append((start, name))
    out: dict[str, list[tuple[str, str]]] = {}
    for symbol, rows in by_symbol.items():
        for period in _periods(symbol, rows):
            if period.risk_warning and period.start:
                out.setdefault(symbol, []).append((period.start, period.end or "9999-12-31"))
    return out


def _periods(symbol: str, rows: list[tuple[str, str]]) -> list[NamePeriod]:
    out = []
    for i, (start, name) in enumerate(rows):
        end = None
        if i + 1 < len(rows):
            end = (dt.date.fromisoformat(rows[i + 1][0]) - dt.timedelta(days=1)).isoformat()
        out.append(NamePeriod(symbol, name, start, end))
    return out
