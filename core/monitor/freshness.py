"""Data freshness per frequency: the last stored bar against the trading days that should have one."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.monitor.samples import Value
from core.quotes.session import BEIJING
from core.storage.market_store import MarketStore

FREQS = ("1d", "1m")
MINUTES_PER_DAY = 240
# A day's bars count as due once the close is done and vendors have published them.
DUE_AFTER = dt.time(15, 30)


@dataclass(frozen=True, slots=True)
class Freshness:
    freq: str
    series: int
    last: str  # newest bar date across the frequency's series ("" when none)
    expected: str  # the latest trading day that should be stored by now
    behind_days: int  # trading days after `last` up to `expected`
    series_with_gaps: int  # series missing trading days inside their own span


def expected_day(now: dt.datetime, calendar: Sequence[str], known: frozenset[str] | None = None) -> dt.date:
    """The latest day whose bars are due: today after 15:30 Beijing, else the previous trading day.

    Known trading days come from the store's calendar; past its end only weekends are known to be
    closed (the exchange publishes holidays a year at a time, and the store holds no future days).
    """
    local = now.astimezone(BEIJING) if now.tzinfo else now
    day = local.date() if local.time() >= DUE_AFTER else local.date() - dt.timedelta(days=1)
    known = known if known is not None else frozenset(calendar)
    last_known = calendar[-1] if calendar else ""
    for _ in range(60):  # bounded: a calendar that ends in a long gap must not loop for ever
        iso = day.isoformat()
        if (iso > last_known and day.weekday() < 5) or iso in known:
            return day
        day -= dt.timedelta(days=1)
    return day


def trading_days_between(after: str, upto: dt.date, calendar: Sequence[str]) -> int:
    """Trading days d with after < d <= upto (calendar days inside the calendar, weekdays past its end)."""
    end = upto.isoformat()
    if end <= after:
        return 0
    last_known = calendar[-1] if calendar else ""
    count = bisect.bisect_right(calendar, min(end, last_known)) - bisect.bisect_right(calendar, after)
    day = dt.date.fromisoformat(max(after, last_known))
    while day < upto:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return max(0, count)


def data_freshness(store: MarketStore, now: dt.datetime) -> list[Freshness]:
    """Per stored frequency: last bar, the day expected, how far behind, and series with gaps."""
    return _StoreView.read(store).freshness(now)


@dataclass(frozen=True)
class _StoreView:
    """What freshness needs from the store at one revision; only `now` changes between samples."""

    revision: int
    calendar: list[str]
    known: frozenset[str]
    extents: dict[str, tuple[int, str, int]]  # freq -> (series, last day, series with gaps)

    @classmethod
    def read(cls, store: MarketStore) -> _StoreView:
        calendar = store.trading_days()
        extents = {}
        for freq in FREQS:
            series = store.series(freq)
            if not series:
                continue
            gaps = 0
            for s in series:
                span = bisect.bisect_right(calendar, s.last_time[:10]) - bisect.bisect_left(calendar, s.first_time[:10])
                # Minute series: fewer rows than full sessions means missing days (or missing minutes).
                gaps += s.rows < (span if freq == "1d" else span * MINUTES_PER_DAY)
            extents[freq] = (len(series), max(s.last_time[:10] for s in series), gaps)
        return cls(store.revision, calendar, frozenset(calendar), extents)

    def freshness(self, now: dt.datetime) -> list[Freshness]:
        due = expected_day(now, self.calendar, self.known)
        return [
            Freshness(freq, n, last, due.isoformat(), trading_days_between(last, due, self.calendar), gaps)
            for freq, (n, last, gaps) in self.extents.items()
        ]


class FreshnessCollector:
    """Reads the store on the thread that owns its connection, and again only when an import changed it."""

    def __init__(self, store: MarketStore, now: Callable[[], dt.datetime]) -> None:
        self._store = store
        self._now = now
        self._view: _StoreView | None = None

    def collect(self) -> dict[str, Value]:
        values: dict[str, Value] = {f"data.{f}.{k}": None for f in FREQS for k in ("last", "behind_days", "gaps")}
        # Imports and deletes both take a new store revision: reread only then.
        if self._view is None or self._view.revision != self._store.revision:
            self._view = _StoreView.read(self._store)
        found = self._view.freshness(self._now())
        for item in found:
            values[f"data.{item.freq}.last"] = item.last
            values[f"data.{item.freq}.behind_days"] = item.behind_days
            values[f"data.{item.freq}.gaps"] = item.series_with_gaps
        values["data.gaps"] = sum(item.series_with_gaps for item in found) if found else None
        return values
