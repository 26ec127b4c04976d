"""Index membership files (CSI300, CSI500, ...): `symbol,start,end` CSV or Qlib's tab-separated instruments."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from core.data.csv_bars import BarFileError, file_stem, open_text
from core.domain.symbols import SymbolFormatError, parse_symbol

_INDEX_NAME = re.compile(r"^([A-Za-z]+\d*)")


@dataclass(frozen=True, slots=True)
class MembershipFile:
    """Membership intervals (symbol, start, end) of one index, as read from one file."""

    path: Path
    index_name: str
    intervals: list[tuple[str, str, str]]


def looks_like_membership(path: Path, header: list[str]) -> bool:
    """A `symbol,start,end` CSV, or a headerless tab-separated `SH600000<TAB>date<TAB>date` file."""
    if [h.lower() for h in header] == ["symbol", "start", "end"]:
        return True
    return len(header) == 1 and header[0].count("\t") == 2


def read_membership_file(path: Path) -> MembershipFile:
    """Parse and validate every line; the index name comes from the file name (`csi300_...`)."""
    match = _INDEX_NAME.match(file_stem(path))
    if match is None:
        raise BarFileError(path, "cannot tell the index from the file name (expected e.g. csi300_members.csv)")
    index_name = match.group(1).lower()
    with open_text(path) as fh:
        lines = fh.read().splitlines()
    tab_separated = "\t" in lines[0]
    rows = (ln.split("\t") for ln in lines) if tab_separated else csv.reader(lines)
    intervals: list[tuple[str, str, str]] = []
    for line_no, fields in enumerate(rows, start=1):
        if not tab_separated and line_no == 1:
            continue  # header
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) != 3:
            raise BarFileError(path, f"wrong column count: expected 3, got {len(fields)}", line=line_no)
        intervals.append(_parse_interval(path, line_no, fields))
    if not intervals:
        raise BarFileError(path, "no membership rows")
    return MembershipFile(path, index_name, intervals)


def _parse_interval(path: Path, line_no: int, fields: list[str]) -> tuple[str, str, str]:
    try:
        symbol = str(parse_symbol(fields[0]))
    except SymbolFormatError as exc:
        raise BarFileError(path, str(exc), line=line_no, column="symbol") from None
    dates = []
    for column, value in (("start", fields[1]), ("end", fields[2])):
        try:
            dates.append(dt.date.fromisoformat(value.strip()).isoformat())
        except ValueError:
            raise BarFileError(path, f"unparseable date {value!r}", line=line_no, column=column) from None
    if dates[1] < dates[0]:
        raise BarFileError(path, f"end {dates[1]} before start {dates[0]}", line=line_no, column="end")
    return symbol, dates[0], dates[1]
