"""Instrument list files: `symbol,name[,list_date][,delist_date][,name_start][,total_shares][,float_shares]`.

A `name_start` column makes a row a dated name: a symbol may have several rows, one per name it traded
under (renames, ST and *ST periods), each from its start date until the next one's; the row's share
capital (in shares; empty = unknown) holds from that date too, else it is the capital now.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.data.csv_bars import BarFileError, open_text
from core.domain.symbols import SymbolFormatError, parse_symbol
from core.storage.instrument_shares import SharesRow, record_shares

if TYPE_CHECKING:
    from collections.abc import Sequence

    from core.domain.bars import Instrument
    from core.storage.market_store import MarketStore

_ALIASES = {
    **dict.fromkeys(["symbol", "code", "ts_code", "代码", "股票代码", "证券代码"], "symbol"),
    **dict.fromkeys(["name", "名称", "股票名称", "证券名称", "sec_name"], "name"),
    **dict.fromkeys(["list_date", "listed", "ipo_date", "上市日期"], "list_date"),
    **dict.fromkeys(["delist_date", "delisted", "退市日期"], "delist_date"),
    **dict.fromkeys(["name_start", "name_date", "since", "start", "起始日期", "变更日期"], "name_start"),
    **dict.fromkeys(["total_shares", "totalvolume", "总股本"], "total_shares"),
    **dict.fromkeys(["float_shares", "floatvolume", "流通股本", "流通股"], "float_shares"),
}
_COLUMNS = "symbol,name[,list_date][,delist_date][,name_start][,total_shares][,float_shares]"
Row = tuple[str, str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class InstrumentListFile:
    """Rows of (symbol, name, list_date or None, delist_date or None), the dated names (symbol, name, start)
    of a file with a name_start column, and the share capital rows of a file with share columns."""

    path: Path
    rows: list[Row]
    dated_names: list[tuple[str, str, str]] = field(default_factory=list)
    shares: list[SharesRow] = field(default_factory=list)


def looks_like_instrument_list(header: list[str]) -> bool:
    """A header with a symbol and a name column and no price columns."""
    mapped = {_ALIASES.get(h.strip().lower()) for h in header}
    return {"symbol", "name"} <= mapped and None not in mapped


def read_instrument_list(path: Path) -> InstrumentListFile:
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = _header(path, next(reader, []))
        rows: list[Row] = []
        dated: list[tuple[str, str, str]] = []
        shares: list[SharesRow] = []
        for line_no, fields in enumerate(reader, start=2):
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise BarFileError(path, f"wrong column count: expected {len(header)}, got {len(fields)}", line=line_no)
            record = dict(zip(header, (f.strip() for f in fields), strict=True))
            symbol, name, listed, delisted, start = _parse_row(path, line_no, record)
            if start is None:
                rows.append((symbol, name, listed, delisted))
            else:  # a dated name: the listing dates still apply, the name goes into the history
                rows.append((symbol, "", listed, delisted))
                dated.append((symbol, name, start))
            total, floating = (_shares(path, line_no, record, c) for c in ("total_shares", "float_shares"))
            if total is not None or floating is not None:
                shares.append((symbol, total, floating, start or ""))
    return InstrumentListFile(path, rows, dated, shares)


def _header(path: Path, names: list[str]) -> list[str]:
    header = []
    for raw in names:
        column = _ALIASES.get(raw.strip().lower())
        if column is None:
            raise BarFileError(
                path,
                f"unknown column {raw.strip()!r} (expected {_COLUMNS})",
                line=1,
            )
        header.append(column)
    missing = [c for c in ("symbol", "name") if c not in header]
    if missing:
        raise BarFileError(path, f"missing column(s) {', '.join(missing)}", line=1)
    return header


def _parse_row(path: Path, line_no: int, record: dict[str, str]) -> tuple[str, str, str | None, str | None, str | None]:
    try:
        symbol = str(parse_symbol(record["symbol"]))
    except SymbolFormatError as exc:
        raise BarFileError(path, str(exc), line=line_no, column="symbol") from None
    if not record["name"] and record.get("name_start"):
        raise BarFileError(path, "empty name", line=line_no, column="name")
    dates: list[str | None] = []
    for column in ("list_date", "delist_date", "name_start"):
        value = record.get(column, "")
        if not value:
            dates.append(None)
            continue
        text = f"{value[:4]}-{value[4:6]}-{value[6:]}" if value.isdigit() and len(value) == 8 else value
        try:
            dates.append(dt.date.fromisoformat(text).isoformat())
        except ValueError:
            raise BarFileError(path, f"unparseable date {value!r}", line=line_no, column=column) from None
    return symbol, record["name"], dates[0], dates[1], dates[2]


def _shares(path: Path, line_no: int, record: dict[str, str], column: str) -> float | None:
    """A share count; empty (or 0, as QMT writes for an unknown one) is unknown."""
    value = record.get(column, "")
    if not value:
        return None
    try:
        shares = float(value)
    except ValueError:
        shares = math.nan
    if not math.isfinite(shares) or shares < 0:
        raise BarFileError(path, f"bad number {value!r} (a count of shares)", line=line_no, column=column)
    return shares or None


def store_listed_instruments(store: MarketStore, instruments: Sequence[Instrument], today: dt.date) -> int:
    """Names, listing dates and share capital from a source's instrument list (the bridge's), in one transaction.

    A name that differs from the stored one is a rename from `today`: an ST or *ST name seen today starts
    a risk-warning period today. Returns how many names were new.
    """

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day is not None else None

    rows = [(i.symbol, i.name, iso(i.list_date), iso(i.delist_date)) for i in instruments]
    shares = [(i.symbol, i.total_shares, i.float_shares, "") for i in instruments]
    with store.transaction():
        new = store.update_instruments(rows, today)
        record_shares(store, shares, today)
        return new
