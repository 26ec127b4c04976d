"""Write stored series back out as CSV in the layout `data import` reads (raw prices + factor)."""

from __future__ import annotations

import csv
from pathlib import Path

from core.storage.market_store import MarketStore


def export_series_csv(store: MarketStore, symbol: str, freq: str, path: Path) -> int:
    """Write one series to `path` (atomically); returns the number of rows written."""
    frame = store.read_bars(symbol, freq)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["date" if freq == "1d" else "datetime", "open", "high", "low", "close", "volume", "amount", "factor"]
        )
        for row in frame.itertuples(index=False, name=None):
            writer.writerow([row[0], *(_number(v) for v in row[1:])])
    tmp.replace(path)
    return len(frame)


def _number(value: float) -> str:
    if value != value:  # NaN: the source had no value; an empty cell imports back as missing
        return ""
    return repr(float(value)) if not float(value).is_integer() else str(int(value))
