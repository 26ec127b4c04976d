"""Recorded market data for replay: find the files, tell their kind, stream one day's events in time order."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import heapq
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from core.bridge.validation import InvalidRequest, validate_symbol
from core.domain.bars import Bar, Freq
from core.domain.ticks import Tick
from core.rules.price_limits import limit_prices

log = logging.getLogger(__name__)


class Kind(int, Enum):
    """Recording kinds, finest first: for one symbol and day only the finest recording is replayed."""

    SNAPSHOT = 0  # Level-1 snapshots: datetime,symbol,status,preclose,...,bid_price1..5,...
    TRADES = 1  # exchange tick-by-tick trades: datetime,price,volume,amount,...
    TRADES_LOTS = 2  # TDX 3-second trades or minute prices: datetime,price,volume_lots,...
    MINUTE = 3  # 1-minute bars labelled by end: datetime,open,high,low,close,volume,amount


# SSE snapshot status codes that mean the security is not trading today or for now.
_HALTED_STATUS = {"SUSP", "HALT", "STOP", "P"}


@dataclass(frozen=True, slots=True)
class ReplayFile:
    path: Path
    symbol: str
    kind: Kind
    days: frozenset[dt.date] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Event:
    """One replayed update: the tick clients see, and for minute recordings the bar behind it."""

    time: dt.datetime
    tick: Tick
    bar: Bar | None = None


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed by the caller)


def _kind(header: list[str]) -> Kind | None:
    cols = set(header)
    if "bid_price1" in cols and "last" in cols:
        return Kind.SNAPSHOT
    if {"price", "volume", "amount"} <= cols:
        return Kind.TRADES
    if {"price", "volume_lots"} <= cols:
        return Kind.TRADES_LOTS
    if {"open", "high", "low", "close", "volume"} <= cols:
        return Kind.MINUTE
    return None


def _scan(path: Path) -> ReplayFile | None:
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        kind = _kind(header)
        if kind is None or not header or header[0] != "datetime":
            return None
        sym_col = header.index("symbol") if "symbol" in header else None
        days: set[str] = set()
        symbol = ""
        for row in reader:
            if row:
                days.add(row[0][:10])
                if sym_col is not None and not symbol:
                    symbol = row[sym_col]
    symbol = symbol or path.name.split("_")[0].removesuffix(".gz").removesuffix(".csv")
    try:
        validate_symbol(symbol)
        parsed = frozenset(dt.date.fromisoformat(d) for d in days)
    except (InvalidRequest, ValueError):
        log.warning("replay: skipping %s (no symbol like 600000.SH in its name or rows, or bad dates)", path)
        return None
    if kind is Kind.MINUTE and not _has_clock_times(path):
        log.warning("replay: skipping %s (daily bars; replay needs intraday data)", path)
        return None
    return ReplayFile(path, symbol, kind, parsed)


def _has_clock_times(path: Path) -> bool:
    with _open_text(path) as fh:
        fh.readline()
        first = fh.readline()
    return len(first.split(",")[0].strip()) > 10


def discover(root: Path) -> dict[dt.date, list[ReplayFile]]:
    """Replayable files under `root` by trading day, keeping the finest recording per symbol and day."""
    paths = sorted(p for p in root.rglob("*") if p.name.endswith((".csv", ".csv.gz")) and p.is_file())
    best: dict[tuple[str, dt.date], ReplayFile] = {}
    for path in paths:
        found = _scan(path)
        if found is None:
            continue
        for day in found.days:
            key = (found.symbol, day)
            if key not in best or found.kind < best[key].kind:
                best[key] = found
    sessions: dict[dt.date, list[ReplayFile]] = {}
    for (_, day), rf in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        sessions.setdefault(day, []).append(rf)
    return sessions


def session_events(files: list[ReplayFile], day: dt.date) -> Iterator[Event]:
    """The day's events of all files merged by time; files are read as they go, never held whole."""
    streams = [_file_events(rf, day) for rf in files]
    # Ties keep file order (heapq.merge is stable), so replays are deterministic.
    return heapq.merge(*streams, key=lambda e: e.time)


def _file_events(rf: ReplayFile, day: dt.date) -> Iterator[Event]:
    prefix = day.isoformat()
    with _open_text(rf.path) as fh:
        reader = csv.DictReader(fh)
        convert = _CONVERTERS[rf.kind](rf.symbol)
        for row in reader:
            if row["datetime"].startswith(prefix):
                event = convert(row)
                if event is not None:
                    yield event


def _f(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


@functools.lru_cache(maxsize=16_384)
def day_limits(symbol: str, day: dt.date, pre_close: float) -> tuple[float, float]:
    """(limit up, limit down) by the rule engine, as live QMT ticks carry them; (0, 0) where none applies."""
    try:
        return limit_prices(symbol, day, pre_close) or (0.0, 0.0)
    except ValueError:  # a code outside the known boards: no limit to show
        return 0.0, 0.0


def _snapshot(symbol: str):  # noqa: ANN202 (returns a row converter)
    def convert(row: dict[str, str]) -> Event:
        t = dt.datetime.fromisoformat(row["datetime"])
        code = row.get("symbol") or symbol
        pre_close = _f(row["preclose"])
        up, down = day_limits(code, t.date(), pre_close)
        tick = Tick(
            symbol=code,
            time=t,
            last=_f(row["last"]),
            open=_f(row["open"]),
            high=_f(row["high"]),
            low=_f(row["low"]),
            pre_close=pre_close,
            volume=_f(row["volume"]),
            amount=_f(row["amount"]),
            bid_prices=tuple(_f(row[f"bid_price{i}"]) for i in range(1, 6)),
            bid_volumes=tuple(_f(row[f"bid_volume{i}"]) for i in range(1, 6)),
            ask_prices=tuple(_f(row[f"ask_price{i}"]) for i in range(1, 6)),
            ask_volumes=tuple(_f(row[f"ask_volume{i}"]) for i in range(1, 6)),
            limit_up=up,
            limit_down=down,
            suspended=row.get("status", "").strip().upper() in _HALTED_STATUS,
        )
        return Event(t, tick)

    return convert


class _Accumulator:
    """Running day state of a symbol replayed from trades or bars: the snapshot a Level-1 feed would show."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.open = self.high = self.low = 0.0
        self.volume = self.amount = 0.0

    def trade(
        self,
        t: dt.datetime,
        price: float,
        volume: float,
        amount: float,
        high: float = 0.0,
        low: float = 0.0,
        open_: float = 0.0,
    ) -> Tick:
        if not self.open:
            self.open = open_ or price
        self.high = max(self.high, high or price)
        self.low = min(self.low, low or price) if self.low else (low or price)
        self.volume += volume
        self.amount += amount
        return Tick(self.symbol, t, price, self.open, self.high, self.low, 0.0, self.volume, self.amount)


def _trades(symbol: str):  # noqa: ANN202
    acc = _Accumulator(symbol)

    def convert(row: dict[str, str]) -> Event | None:
        price, volume = _f(row["price"]), _f(row["volume"])
        if price <= 0 or volume <= 0:
            return None
        t = dt.datetime.fromisoformat(row["datetime"])
        return Event(t, acc.trade(t, price, volume, _f(row["amount"]) or price * volume))

    return convert


def _trades_lots(symbol: str):  # noqa: ANN202
    acc = _Accumulator(symbol)

    def convert(row: dict[str, str]) -> Event | None:
        price, volume = _f(row["price"]), _f(row["volume_lots"]) * 100  # lots of 100 shares
        if price <= 0:
            return None
        t = dt.datetime.fromisoformat(row["datetime"])
        return Event(t, acc.trade(t, price, volume, price * volume))

    return convert


def _minute(symbol: str):  # noqa: ANN202
    acc = _Accumulator(symbol)

    def convert(row: dict[str, str]) -> Event | None:
        close = _f(row["close"])
        if close <= 0:
            return None
        t = dt.datetime.fromisoformat(row["datetime"])
        volume, amount = _f(row["volume"]), _f(row.get("amount"))
        bar = Bar(
            symbol, Freq.MINUTE, t, _f(row["open"]), _f(row["high"]), _f(row["low"]), close, volume, amount or None
        )
        tick = acc.trade(t, close, volume, amount, bar.high, bar.low, bar.open)
        return Event(t, tick, bar)

    return convert


_CONVERTERS = {Kind.SNAPSHOT: _snapshot, Kind.TRADES: _trades, Kind.TRADES_LOTS: _trades_lots, Kind.MINUTE: _minute}
