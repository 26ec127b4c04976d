"""Real-data helpers for the backtest tests: a few cn/daily symbols in a store, a momentum signal frame."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from core.backtest.market import MarketPanel, load_market
from core.data.importer import import_files
from core.storage import MarketStore

SYMBOLS = (
    "600000.SH",
    "000001.SZ",
    "600519.SH",
    "000002.SZ",
    "601318.SH",
    "600030.SH",
    "300750.SZ",
    "300059.SZ",
    "300124.SZ",
    "600036.SH",
)


def fill_store(
    store: MarketStore, cn_data: Path, symbols: tuple[str, ...] = SYMBOLS, index: bool = True
) -> MarketStore:
    files = [cn_data / "daily" / f"{s}.csv" for s in symbols]
    if index:
        files.append(cn_data / "index" / "daily" / "000300.SH.csv")
    for report in import_files(store, files, None, workers=0):
        assert report.report is None or report.report.ok, report.report
    return store


def panel(store: MarketStore, symbols: list[str], start: str, end: str) -> MarketPanel:
    return next(
        p
        for p in load_market(store, symbols, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        if isinstance(p, MarketPanel)
    )


def momentum_signals(
    store: MarketStore, symbols: tuple[str, ...], start: str, end: str, window: int = 20
) -> pd.DataFrame:
    """A deterministic score from the store: the adjusted close's `window`-day change."""
    rows = []
    for s in symbols:
        b = store.read_bars(s, "1d", start, end)
        adj = b["close"] * b["factor"]
        rows.append(
            pd.DataFrame({"datetime": pd.to_datetime(b["time"]), "instrument": s, "score": adj / adj.shift(window) - 1})
        )
    return pd.concat(rows).dropna().set_index(["datetime", "instrument"]).sort_index()
