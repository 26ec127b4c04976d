"""Bar history from the local market store, adjusted on the way out, for sources without their own."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import Board
from core.storage import MarketStore
from core.storage.instrument_shares import ShareCapital, current_shares
from core.storage.per_thread import PerThread


def adjust_bars(bars: list[Bar], adjust: str, latest_factor: float | None) -> list[Bar]:
    """Prices of raw bars adjusted by their factor: `back` = raw × factor, `front` = back / latest factor.

    Bars without a factor are left raw; volume stays in traded shares either way.
    """
    if adjust == "none":
        return bars
    out = []
    for bar in bars:
        if not bar.factor:
            out.append(bar)
            continue
        k = bar.factor if adjust == "back" else bar.factor / (latest_factor or bar.factor)
        out.append(replace(bar, open=bar.open * k, high=bar.high * k, low=bar.low * k, close=bar.close * k))
    return out


def _time_text(value: dt.datetime | None, freq: Freq) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%d") if freq is Freq.DAY else value.strftime("%Y-%m-%d %H:%M:%S")


class StoreHistory:
    """Reads bars from a MarketStore file; one connection per worker thread, as SQLite wants."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stores = PerThread(lambda: MarketStore.open(path), MarketStore.close)

    @classmethod
    def if_present(cls, path: Path) -> StoreHistory | None:
        """A reader for `path` if a store exists there; the bridge never creates one as a side effect."""
        return cls(path) if path.exists() else None

    def _store(self) -> MarketStore:
        return self._stores.get()

    def read(
        self, symbol: str, freq: Freq, start: dt.datetime | None, end: dt.datetime | None, adjust: str
    ) -> list[Bar]:
        store = self._store()
        start_text = _time_text(start, freq)
        end_text = _time_text(end, freq)
        if freq is Freq.DAY and end is not None:
            end_text = end.strftime("%Y-%m-%d")
        frame = store.read_bars(symbol, freq.value, start_text, end_text)
        bars = list(_frame_bars(symbol, freq, frame.itertuples(index=False)))
        # Front adjustment is relative to the newest stored bar, wherever the requested range ends.
        latest_factor = self._latest_factor(store, symbol, freq) if adjust == "front" and bars else None
        return adjust_bars(bars, adjust, latest_factor)

    @staticmethod
    def _latest_factor(store: MarketStore, symbol: str, freq: Freq) -> float | None:
        row = store.query(
            "SELECT factor FROM bars WHERE symbol=? AND freq=? ORDER BY time DESC LIMIT 1", [symbol, freq.value]
        ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def instruments(self) -> list[Instrument]:
        store = self._store()
        shares = current_shares(store)
        out = []
        for row in store.instruments():
            held = shares.get(row["symbol"], ShareCapital())
            out.append(
                Instrument(
                    row["symbol"],
                    row["exchange"],
                    Board(row["board"]),
                    row.get("name") or "",
                    _day(row.get("list_date")),
                    _day(row.get("delist_date")),
                    held.total_shares,
                    held.float_shares,
                )
            )
        return out

    async def bars(
        self, symbol: str, freq: Freq, start: dt.datetime | None, end: dt.datetime | None, adjust: str
    ) -> list[Bar]:
        return await asyncio.to_thread(self.read, symbol, freq, start, end, adjust)


def _frame_bars(symbol: str, freq: Freq, rows: Iterable[tuple]) -> Iterable[Bar]:
    for time, o, h, lo, c, v, amount, factor in rows:
        stamp = dt.datetime.fromisoformat(str(time))
        yield Bar(
            symbol,
            freq,
            stamp,
            o,
            h,
            lo,
            c,
            v,
            None if amount != amount else amount,  # NaN (SQL NULL) means not recorded
            None if factor != factor else factor,
        )


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
