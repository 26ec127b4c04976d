"""Read one CSV of bars in any of the layouts users have, validate it, and return clean frames.

Errors name the file, the 1-based line and the field, so a user can open the file and fix it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain.symbols import SymbolFormatError, parse_symbol

if TYPE_CHECKING:
    import pandas as pd

# Header spellings seen in exports from vendors and brokers (lowercased, stripped) -> our field.
HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["date", "trade_date", "datetime", "time", "day", "trading_date", "日期", "时间", "交易日期", "交易时间"],
        "time",
    ),
    **dict.fromkeys(["open", "开盘", "开盘价", "今开"], "open"),
    **dict.fromkeys(["high", "最高", "最高价"], "high"),
    **dict.fromkeys(["low", "最低", "最低价"], "low"),
    **dict.fromkeys(["close", "收盘", "收盘价", "最新价"], "close"),
    **dict.fromkeys(["volume", "vol", "成交量"], "volume"),
    **dict.fromkeys(["amount", "money", "turnover", "成交额", "成交金额"], "amount"),
    **dict.fromkeys(["factor", "adj_factor", "adjfactor", "复权因子"], "factor"),
    **dict.fromkeys(
        ["symbol", "code", "ts_code", "stock_code", "order_book_id", "instrument", "代码", "股票代码", "证券代码"],
        "symbol",
    ),
    **dict.fromkeys(["name", "名称", "股票名称", "证券名称", "sec_name"], "name"),
}
REQUIRED = ("time", "open", "high", "low", "close", "volume")
NUMERIC = ("open", "high", "low", "close", "volume", "amount", "factor")


class BarFileError(ValueError):
    """A file that cannot be imported; the message names file, line and field."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: str | None = None) -> None:
        where = str(path) + (f":{line}" if line is not None else "")
        what = f" field '{column}':" if column else ""
        super().__init__(f"{where}:{what} {message}")
        self.path, self.line, self.column = path, line, column


@dataclass
class BarFile:
    """A parsed, validated file: one frame per symbol (time as text, raw prices, factor)."""

    path: Path
    freq: str
    frames: dict[str, pd.DataFrame]
    names: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows

    @property
    def rows(self) -> int:
        return sum(len(f) for f in self.frames.values())


def file_stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv", ".txt.gz", ".txt"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def open_text(path: Path) -> io.StringIO:
    """Open .csv or .csv.gz as text; utf-8 with BOM tolerated, GBK (common in Chinese exports) as fallback."""
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    else:
        raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return io.StringIO(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise BarFileError(path, "not UTF-8 or GBK text")


def read_header(path: Path) -> list[str]:
    with open_text(path) as fh:
        return [h.strip() for h in next(csv.reader(fh), [])]


def read_bar_file(path: Path, freq: str | None = None) -> BarFile:
    """Parse and validate `path`. `freq` None infers 1d/1m from the timestamps."""
    import pandas as pd

    text = open_text(path)
    header = next(csv.reader(io.StringIO(text.getvalue().split("\n", 1)[0])), [])
    columns = _map_header(path, header)
    try:
        # Text columns stay text; numeric ones parse in C. A column that comes back as object
        # holds something that is not a number, which _parse_numbers then pinpoints.
        text_cols = {c: str for c in columns if c not in NUMERIC}
        df = pd.read_csv(
            text,
            header=0,
            names=columns,
            dtype=text_cols,
            skip_blank_lines=True,
            keep_default_na=False,
            na_values=[""],
            index_col=False,
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m is None:
            raise BarFileError(path, f"cannot parse CSV ({_short(exc)})") from None
        raise BarFileError(path, f"wrong column count: expected {m[1]}, got {m[3]}", line=int(m[2])) from None
    # pandas reports the data row index; +2 turns it into the file line (header is line 1).
    if df.empty:
        raise BarFileError(path, "no data rows after the header", line=2)
    df.index = _line_numbers(text.getvalue(), len(df))
    _check_column_counts(path, text.getvalue(), len(header), df)
    symbol_col = df.pop("symbol") if "symbol" in df.columns else None
    names = df.pop("name") if "name" in df.columns else None
    times, freq = _parse_times(path, df["time"], freq)
    df["time"] = times
    for col in NUMERIC:
        if col in df.columns:
            if df[col].dtype == object:
                df[col] = _parse_numbers(path, df[col], col)
            else:
                df[col] = df[col].astype(float)
        else:
            df[col] = float("nan")
    skipped: dict[str, int] = {}
    df = _drop_no_trade_rows(df, skipped)
    _validate_values(path, df)
    symbols = _resolve_symbols(path, symbol_col.loc[df.index] if symbol_col is not None else None)
    frames, name_map = _split_by_symbol(df, symbols, names, skipped)
    return BarFile(path, freq, frames, name_map, skipped)


def _map_header(path: Path, header: list[str]) -> list[str]:
    if not header:
        raise BarFileError(path, "empty file (no header line)", line=1)
    columns, seen = [], set()
    for raw in header:
        key = HEADER_ALIASES.get(raw.strip().lower().lstrip("\ufeff"), raw.strip() or "_blank")
        if key in seen and key in HEADER_ALIASES.values():
            key = f"_dup_{key}"  # e.g. both 'date' and 'time' columns: keep the first
        seen.add(key)
        columns.append(key)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise BarFileError(path, f"missing column(s) {', '.join(missing)}; header is {','.join(header)!r}", line=1)
    return columns


def _line_numbers(text: str, n: int) -> range | list[int]:
    """File line of each data row, skipping blank lines as pandas does."""
    if "\n\n" not in text and "\n\r\n" not in text and "\n " not in text:
        return range(2, n + 2)  # no blank lines: data row i is on line i + 2
    lines = text.splitlines()
    numbers = [i + 1 for i, ln in enumerate(lines[1:], start=1) if ln.strip()]
    return numbers[:n] if len(numbers) >= n else list(range(2, n + 2))


def _check_column_counts(path: Path, text: str, expected: int, df: pd.DataFrame) -> None:
    # pandas pads short rows with NaN silently; a short row shows as a NaN in the last column.
    last = df.columns[-1]
    suspects = df.index[df[last].isna()]
    if len(suspects) == 0:
        return
    lines = text.splitlines()
    for line_no in suspects:
        line = lines[line_no - 1]
        got = len(next(csv.reader([line]))) if '"' in line else line.count(",") + 1
        if got != expected:
            raise BarFileError(path, f"wrong column count: expected {expected}, got {got}", line=int(line_no))


def _parse_times(path: Path, raw: pd.Series, freq: str | None) -> tuple[pd.Series, str]:
    import pandas as pd

    if raw.isna().any():
        line = int(raw.index[raw.isna().to_numpy()][0])
        raise BarFileError(path, "missing date", line=line, column="time")
    text = raw
    parsed = _strict_times(text)
    if parsed is None:  # not canonical: normalize the variants users have, then parse leniently
        text = raw.str.strip()
        # 20230103 (tushare) -> ISO; 2023/01/03 -> ISO.
        compact = text.str.fullmatch(r"\d{8}")
        text = text.where(~compact, text.str.slice(0, 4) + "-" + text.str.slice(4, 6) + "-" + text.str.slice(6, 8))
        text = text.str.replace("/", "-", regex=False)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        line = int(raw.index[bad.to_numpy()][0])
        raise BarFileError(path, f"unparseable date {raw[line]!r}", line=line, column="time")
    intraday = bool((parsed.dt.normalize() != parsed).any())
    inferred = "1m" if intraday else "1d"
    if freq is None:
        freq = inferred
    elif freq == "1d" and intraday:
        raise BarFileError(path, "has intraday timestamps but --freq 1d was given; use --freq 1m", column="time")
    elif freq == "1m" and not intraday:
        raise BarFileError(path, "has dates without times but --freq 1m was given; use --freq 1d", column="time")
    width, fmt = (10, "%Y-%m-%d") if freq == "1d" else (19, "%Y-%m-%d %H:%M:%S")
    if text is raw and bool((raw.str.len() == width).all()):
        return raw, freq  # already canonical: formatting again would only cost time
    return parsed.dt.strftime(fmt), freq


def _strict_times(text: pd.Series) -> pd.Series | None:
    """Fast path for canonical `YYYY-MM-DD[ HH:MM:SS]` text; None when any value is not canonical."""
    import pandas as pd

    fmt = "%Y-%m-%d" if len(str(text.iloc[0])) <= 10 else "%Y-%m-%d %H:%M:%S"
    try:
        return pd.to_datetime(text, format=fmt)
    except (ValueError, TypeError):
        return None


def _parse_numbers(path: Path, raw: pd.Series, col: str) -> pd.Series:
    import pandas as pd

    values = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        line = int(raw.index[bad.to_numpy()][0])
        raise BarFileError(path, f"not a number: {raw[line]!r}", line=line, column=col)
    return values.astype(float)


def _drop_no_trade_rows(df: pd.DataFrame, skipped: dict[str, int]) -> pd.DataFrame:
    """Some vendors write a row on suspended days with zero/empty prices; it is not a bar."""
    prices = df[["open", "high", "low", "close"]]
    empty = prices.isna().all(axis=1) | ((prices.fillna(0) == 0).all(axis=1) & (df["volume"].fillna(0) == 0))
    if empty.any():
        skipped["no trade (suspended, empty prices)"] = int(empty.sum())
    return df.loc[~empty]


def _validate_values(path: Path, df: pd.DataFrame) -> None:
    checks = [
        (df[["open", "high", "low", "close", "volume"]].isna().any(axis=1), None, "missing value"),
        (df["high"] < df["low"], "high", "high < low"),
        (df["volume"] < 0, "volume", "negative volume"),
        (df["amount"] < 0, "amount", "negative amount"),
        ((df[["open", "high", "low", "close"]] <= 0).any(axis=1), "close", "price must be positive"),
        (df["factor"] <= 0, "factor", "adjustment factor must be positive"),
    ]
    for mask, column, message in checks:
        if mask.any():
            line = int(df.index[mask.to_numpy()][0])
            if column is None:
                row = df.loc[line, ["open", "high", "low", "close", "volume"]]
                column = str(row.index[row.isna().to_numpy()][0])
            detail = f"{message} ({df.loc[line, 'time']}; {int(mask.sum())} such row(s) in the file)"
            raise BarFileError(path, detail, line=line, column=column)


def _resolve_symbols(path: Path, column: pd.Series | None) -> pd.Series | str:
    if column is None:
        stem = file_stem(path)
        try:
            return str(parse_symbol(stem))
        except SymbolFormatError:
            raise BarFileError(
                path,
                f"cannot tell the symbol: file name {stem!r} is not a code "
                "(e.g. 600000.SH.csv) and there is no symbol column",
            ) from None
    mapping: dict[str, str] = {}
    for raw in column.dropna().unique():
        try:
            mapping[raw] = str(parse_symbol(raw))
        except SymbolFormatError as exc:
            line = int(column.index[(column == raw).to_numpy()][0])
            raise BarFileError(path, str(exc), line=line, column="symbol") from None
    if column.isna().any():
        line = int(column.index[column.isna().to_numpy()][0])
        raise BarFileError(path, "missing value", line=line, column="symbol")
    return column.map(mapping)


def _split_by_symbol(
    df: pd.DataFrame, symbols: pd.Series | str, names: pd.Series | None, skipped: dict[str, int]
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    cols = ["time", "open", "high", "low", "close", "volume", "amount", "factor"]
    groups = {symbols: df} if isinstance(symbols, str) else dict(tuple(df.groupby(symbols, sort=True)))
    frames: dict[str, pd.DataFrame] = {}
    name_map: dict[str, str] = {}
    for sym, part in groups.items():
        part = part.sort_values("time", kind="stable")
        dup = part["time"].duplicated(keep="last")
        if dup.any():
            skipped["duplicate timestamp (kept the last row)"] = skipped.get(
                "duplicate timestamp (kept the last row)", 0
            ) + int(dup.sum())
            part = part.loc[~dup]
        frames[str(sym)] = part[cols].reset_index(drop=True)
        if names is not None:
            first = names.loc[part.index].dropna()
            if len(first):
                name_map[str(sym)] = str(first.iloc[-1]).strip()
    return frames, name_map


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[-1]
