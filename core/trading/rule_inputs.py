"""What the rule book must know of each stock and of the calendar, read from the market store or a feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from core.domain.bars import Instrument
from core.domain.symbols import SymbolFormatError, parse_symbol
from core.rules.risk_warning import is_risk_warning_name
from core.trading.rulebook import RuleBook

_UNTIL_FURTHER_NOTICE = "9999-12-31"


def with_instruments(rules: RuleBook, instruments: Iterable[Instrument], as_of: dt.date) -> RuleBook:
    """`rules` plus each instrument's listing date and its risk warning as of `as_of`.

    A name tells the status now, not when it began: the warning is taken to hold from `as_of` on, so a
    replay of earlier days keeps whatever periods the book was given for them.
    """
    st = {symbol: list(periods) for symbol, periods in rules.st_periods.items()}
    listed = dict(rules.list_dates)
    for ins in instruments:
        if ins.list_date is not None:
            listed[ins.symbol] = ins.list_date
        if is_risk_warning_name(ins.name) and not any(s <= as_of.isoformat() <= e for s, e in st.get(ins.symbol, ())):
            st.setdefault(ins.symbol, []).append((as_of.isoformat(), _UNTIL_FURTHER_NOTICE))
    return replace(rules, st_periods=st, list_dates=listed)


def store_instruments(store: Any) -> list[Instrument]:
    """The store's instruments with a listing date each where one is known: the recorded one, else the first
    stored bar when it comes after the store's first day (as the backtest reads it)."""
    span = store.trading_day_span()
    first_bars = {s.symbol: s.first_time for s in store.series("1d")}
    out = []
    for row in store.instruments():
        try:
            parsed = parse_symbol(row["symbol"])
        except SymbolFormatError:
            continue
        text = row.get("list_date") or ""
        first = first_bars.get(row["symbol"])
        if not text and first and span and first > span[0]:
            text = first
        listed = dt.date.fromisoformat(text[:10]) if text else None
        out.append(Instrument(row["symbol"], parsed.exchange.value, parsed.board, row.get("name") or "", listed))
    return out


def store_holidays(store: Any) -> frozenset[dt.date]:
    """Weekdays the exchanges are closed, from the store's first trading day through the end of its exchange
    calendar known ahead (core.data.exchange_calendar), or its last bar when it holds none."""
    from core.data.exchange_calendar import EXCHANGE, SessionCalendar

    days = store.trading_days("index") or store.trading_days()
    ahead = store.trading_days(EXCHANGE)
    if not days and not ahead:
        return frozenset()
    first = min(d[0] for d in (days, ahead) if d)
    last = max(d[-1] for d in (days, ahead) if d)
    calendar = SessionCalendar(days, ahead)
    return calendar.holidays(dt.date.fromisoformat(first), dt.date.fromisoformat(last))


def store_rule_book(store: Any, rules: RuleBook | None = None) -> RuleBook:
    """The rule book of a market store: listing dates of its instruments, the ST periods of their name history,
    and the risk warnings their current names show, as of its last day."""
    from core.storage.instrument_names import st_periods

    span = store.trading_day_span()
    as_of = dt.date.fromisoformat(span[1]) if span else dt.date.today()
    base = rules or RuleBook()
    # The dated names' ST periods (an imported name history) join whatever periods the book was given.
    st = {symbol: list(periods) for symbol, periods in base.st_periods.items()}
    for symbol, periods in st_periods(store).items():
        known = st.setdefault(symbol, [])
        known.extend(p for p in periods if p not in known)
    return with_instruments(replace(base, st_periods=st), store_instruments(store), as_of)
