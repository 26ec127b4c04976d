"""Instrument list files: `symbol,name[,list_date][,delist_date]` (names and listing dates for the store)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from core.data.csv_bars import BarFileError, open_text
from core.domain.symbols import SymbolFormatError, parse_symbol

_ALIASES = {
    **dict.fromkeys(["symbol", "code", "ts_code", "代码", "股票代码", "证券代码"], "symbol"),
    **dict.fromkeys(["name", "名称", "股票名称", "证券名称", "sec_name"], "name"),
    **dict.fromkeys(["list_date", "listed", "ipo_date", "上市日期"], "list_date"),
    **dict.fromkeys(["delist_date", "delisted", "退市日期"], "delist_date"),
}


@dataclass(frozen=True, slots=True)
class InstrumentListFile:
    """Rows of (symbol, name, list_date or None, delist_date or None)."""

    path: Path
    rows: list[tuple[str, str, str | None, str | None]]


def looks_like_instrument_list(header: list[str]) -> bool:
    """A header with a symbol and a name column and no price columns."""
    mapped = {_ALIASES.get(h.strip().lower()) for h in header}
    return {"symbol", "name"} <= mapped and None not in mapped


def read_instrument_list(path: Path) -> InstrumentListFile:
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = [_ALIASES[h.strip().lower()] for h in next(reader)]
        rows = []
        for line_no, fields in enumerate(reader, start=2):
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise BarFileError(path, f"wrong column count: expected {len(header)}, got {len(fields)}", line=line_no)
            record = dict(zip(header, (f.strip() for f in fields), strict=True))
            rows.append(_parse_row(path, line_no, record))
    return InstrumentListFile(path, rows)


def _parse_row(path: Path, line_no: int, record: dict[str, str]) -> tuple[str, str, str | None, str | None]:
    try:
        symbol = str(parse_symbol(record["symbol"]))
    except SymbolFormatError as exc:
        raise BarFileError(path, str(exc), line=line_no, column="symbol") from None
    dates: list[str | None] = []
    for column in ("list_date", "delist_date"):
        value = record.get(column, "")
        if not value:
            dates.append(None)
            continue
        text = f"{value[:4]}-{value[4:6]}-{value[6:]}" if value.isdigit() and len(value) == 8 else value
        try:
            dates.append(dt.date.fromisoformat(text).isoformat())
        except ValueError:
            raise BarFileError(path, f"unparseable date {value!r}", line=line_no, column=column) from None
    return symbol, record["name"], dates[0], dates[1]
