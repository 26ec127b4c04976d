"""What the store holds: per frequency extent, and gaps against the trading calendar."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from core.storage.market_store import MarketStore, SeriesSummary

MINUTES_PER_DAY = 240  # A-share continuous session: 09:31-11:30 and 13:01-15:00, labelled by bar end


@dataclass(frozen=True, slots=True)
class SeriesGap:
    """Trading days inside a series' own span that have no bar (suspensions, missing files)."""

    symbol: str
    missing: int
    longest_from: str
    longest_to: str
    longest_days: int


@dataclass
class FreqStatus:
    freq: str
    symbols: int
    rows: int
    first: str
    last: str
    series_with_gaps: int = 0
    missing_days: int = 0
    worst: list[SeriesGap] = field(default_factory=list)


@dataclass
class StoreStatus:
    calendar_days: int
    calendar_first: str
    calendar_last: str
    index_calendar_days: int
    freqs: list[FreqStatus]
    membership: dict[str, tuple[int, int]]  # index -> (symbols, intervals)
    revision: int


def store_status(store: MarketStore, worst: int = 10) -> StoreStatus:
    """Summarize the store; `worst` series with the most missing days are detailed per frequency."""
    calendar = store.trading_days()
    freqs = []
    for freq in ("1d", "1m"):
        series = store.series(freq)
        if series:
            freqs.append(_freq_status(store, freq, series, calendar, worst))
    membership = {name: (len({iv[0] for iv in ivs}), len(ivs)) for name, ivs in store.membership().items()}
    return StoreStatus(
        len(calendar),
        calendar[0] if calendar else "",
        calendar[-1] if calendar else "",
        len(store.trading_days("index")),
        freqs,
        membership,
        store.revision,
    )


def _freq_status(
    store: MarketStore, freq: str, series: list[SeriesSummary], calendar: list[str], worst: int
) -> FreqStatus:
    status = FreqStatus(
        freq,
        len(series),
        sum(s.rows for s in series),
        min(s.first_time for s in series)[:10],
        max(s.last_time for s in series)[:10],
    )
    missing: list[tuple[int, SeriesSummary]] = []
    for s in series:
        expected = _days_in_span(calendar, s.first_time[:10], s.last_time[:10])
        stored_days = s.rows if freq == "1d" else store_days(store, s.symbol, freq)
        if expected > stored_days:
            missing.append((expected - stored_days, s))
    status.series_with_gaps = len(missing)
    status.missing_days = sum(m for m, _ in missing)
    missing.sort(key=lambda item: (-item[0], item[1].symbol))
    status.worst = [_describe_gap(store, s, freq, calendar, m) for m, s in missing[:worst]]
    return status


def store_days(store: MarketStore, symbol: str, freq: str) -> int:
    return len({t[:10] for t in store.read_bars(symbol, freq)["time"]})


def _days_in_span(calendar: list[str], first: str, last: str) -> int:
    return bisect.bisect_right(calendar, last) - bisect.bisect_left(calendar, first)


def _describe_gap(store: MarketStore, s: SeriesSummary, freq: str, calendar: list[str], missing: int) -> SeriesGap:
    have = {t[:10] for t in store.read_bars(s.symbol, freq)["time"]}
    lo, hi = bisect.bisect_left(calendar, s.first_time[:10]), bisect.bisect_right(calendar, s.last_time[:10])
    best = (0, "", "")
    run_start, run = "", 0
    for day in calendar[lo:hi]:
        if day in have:
            run = 0
            continue
        run, run_start = run + 1, run_start if run else day
        if run > best[0]:
            best = (run, run_start, day)
    return SeriesGap(s.symbol, missing, best[1], best[2], best[0])


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """One stored series as the data manager lists it."""

    symbol: str
    name: str
    freq: str
    rows: int
    first: str
    last: str
    missing_days: int


def series_rows(store: MarketStore) -> list[SeriesRow]:
    """Every stored series with its trading days missing inside its own span."""
    calendar = store.trading_days()
    names = {r["symbol"]: r["name"] for r in store.instruments()}
    out = []
    for s in store.series():
        expected = _days_in_span(calendar, s.first_time[:10], s.last_time[:10])
        have = s.rows if s.freq == "1d" else store_days(store, s.symbol, s.freq)
        out.append(
            SeriesRow(
                s.symbol, names.get(s.symbol, ""), s.freq, s.rows, s.first_time, s.last_time, max(0, expected - have)
            )
        )
    return out
