"""F10 facts of one instrument: identity, listing, name and ST history, share capital, figures of its latest bars."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from core.domain.symbols import Board, parse_symbol
from core.domain.ticks import Tick
from core.storage.instrument_names import NamePeriod, name_as_of, name_history
from core.storage.instrument_shares import shares_as_of
from core.storage.market_store import MarketStore

_YEAR_BARS = 260  # a little more than a year of sessions; the 52-week window is cut by date below


@dataclass(frozen=True, slots=True)
class InstrumentFacts:
    """What the store (and the live quote, when there is one) knows of a symbol; NaN where it knows nothing."""

    symbol: str
    code: str
    exchange: str
    board: Board
    name: str = ""
    list_date: str | None = None
    delist_date: str | None = None
    names: list[NamePeriod] = field(default_factory=list)
    as_of: str = ""  # the day the figures are of: the latest bar's or the live quote's
    last: float = math.nan
    pre_close: float = math.nan
    volume: float = math.nan  # shares
    amount: float = math.nan  # CNY
    high_52w: float = math.nan  # forward-adjusted to the latest bar, as terminals show them
    low_52w: float = math.nan
    total_shares: float = math.nan  # share capital on the figures' day, shares
    float_shares: float = math.nan  # tradable shares on the figures' day

    @property
    def market_cap(self) -> float:
        """Total shares × last price, CNY."""
        return self.total_shares * self.last

    @property
    def float_market_cap(self) -> float:
        """Tradable shares × last price, CNY."""
        return self.float_shares * self.last

    @property
    def turnover_pct(self) -> float:
        """The day's volume as a share of the tradable shares (换手率), in percent."""
        return self.volume / self.float_shares * 100.0

    @property
    def change(self) -> float:
        return self.last - self.pre_close

    @property
    def change_pct(self) -> float:
        return (self.last / self.pre_close - 1.0) * 100.0 if self.pre_close else math.nan

    @property
    def risk_warning(self) -> bool:
        """Under ST or *ST on the figures' day (the name then), else by the current name."""
        current = next((p for p in reversed(self.names) if not self.as_of or p.start <= self.as_of), None)
        return current.risk_warning if current is not None else False


def instrument_facts(store: MarketStore, symbol: str, tick: Tick | None = None) -> InstrumentFacts:
    """The F10 page of `symbol`: the stored instrument row and name history, and the latest daily bars'
    figures, brought up to the live quote `tick` when it is of a later day than the bars."""
    parsed = parse_symbol(symbol)
    row = next((r for r in store.instruments() if r["symbol"] == symbol), None)
    names = name_history(store, symbol)
    bars = store.recent_bars([symbol], "1d", _YEAR_BARS).get(symbol, [])
    facts = InstrumentFacts(
        symbol,
        parsed.code,
        parsed.exchange.value,
        parsed.board,
        (row or {}).get("name") or "",
        (row or {}).get("list_date"),
        (row or {}).get("delist_date"),
        names,
    )
    if bars:
        last = bars[-1]
        factor = last.factor if last.factor == last.factor and last.factor else 1.0
        cutoff = (dt.date.fromisoformat(last.time[:10]) - dt.timedelta(days=365)).isoformat()
        year = [b for b in bars if b.time[:10] > cutoff]

        def adjusted(price: float, bar_factor: float) -> float:
            return price * (bar_factor if bar_factor == bar_factor and bar_factor else 1.0) / factor

        facts = _with(
            facts,
            as_of=last.time[:10],
            last=last.close,
            pre_close=adjusted(bars[-2].close, bars[-2].factor) if len(bars) > 1 else math.nan,
            volume=last.volume,
            amount=last.amount,
            high_52w=max(adjusted(b.high, b.factor) for b in year),
            low_52w=min(adjusted(b.low, b.factor) for b in year),
        )
    if tick is not None and tick.last > 0 and tick.time.date().isoformat() >= (facts.as_of or ""):
        facts = _with(
            facts,
            as_of=tick.time.date().isoformat(),
            last=tick.last,
            pre_close=tick.pre_close or facts.pre_close,
            volume=tick.volume,
            amount=tick.amount,
            high_52w=_extreme(max, facts.high_52w, tick.high),
            low_52w=_extreme(min, facts.low_52w, tick.low),
        )
    day = dt.date.fromisoformat(facts.as_of) if facts.as_of else None
    if day is not None and names:
        facts = _with(facts, name=name_as_of(store, symbol, day) or facts.name)
    shares = shares_as_of(store, symbol, day)
    return _with(facts, total_shares=_known(shares.total_shares), float_shares=_known(shares.float_shares))


def _known(shares: float | None) -> float:
    return shares if shares is not None and shares > 0 else math.nan


def _with(facts: InstrumentFacts, **changes: object) -> InstrumentFacts:
    return replace(facts, **changes)  # type: ignore[arg-type]


def _extreme(pick: Callable[[float, float], float], stored: float, live: float) -> float:
    if live <= 0:  # before the first trade a snapshot's high and low are 0
        return stored
    return live if math.isnan(stored) else pick(stored, live)
