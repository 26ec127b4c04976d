"""The market store: schema migrations, WAL, atomic transactions, change log."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from core.storage import MarketStore
from core.storage.schema import SCHEMA_VERSION, SchemaTooNewError


def _frame(days: list[str], close: float = 10.0) -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame(
        {
            "time": days,
            "open": [close] * n,
            "high": [close + 1] * n,
            "low": [close - 1] * n,
            "close": [close] * n,
            "volume": [100.0] * n,
            "amount": [float("nan")] * n,
            "factor": [1.5] * n,
        }
    )


def test_new_store_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    store = MarketStore.open(tmp_path / "m.sqlite")
    conn = sqlite3.connect(tmp_path / "m.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.revision == 0 and len(store.store_id) == 32
    store.close()


def test_store_written_by_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    MarketStore.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="newer"):
        MarketStore.open(path)


def test_exception_inside_a_transaction_rolls_back_every_write(store: MarketStore) -> None:
    with store.transaction():
        rev = store.next_revision()
        store.ensure_instruments(["600000.SH"])
        store.upsert_bars("600000.SH", "1d", _frame(["2023-01-03", "2023-01-04"]), rev)
        store.add_trading_days("bars", ["2023-01-03", "2023-01-04"])
    with pytest.raises(RuntimeError), store.transaction():
        rev = store.next_revision()
        store.upsert_bars("600000.SH", "1d", _frame(["2023-01-04", "2023-01-05"], close=11.0), rev)
        store.add_trading_days("bars", ["2023-01-05"])
        raise RuntimeError("disk full halfway")
    frame = store.read_bars("600000.SH", "1d")
    assert frame["time"].tolist() == ["2023-01-03", "2023-01-04"]
    assert frame["close"].tolist() == [10.0, 10.0]
    assert store.trading_days() == ["2023-01-03", "2023-01-04"]
    assert store.revision == 1
    # The in-memory day cache must not believe the rolled-back day was stored.
    with store.transaction():
        store.add_trading_days("bars", ["2023-01-05"])
    assert store.trading_days()[-1] == "2023-01-05"


def test_upsert_reports_and_logs_only_real_changes(store: MarketStore) -> None:
    with store.transaction():
        first = store.upsert_bars("600000.SH", "1d", _frame(["2023-01-03", "2023-01-04"]), store.next_revision())
    with store.transaction():
        again = store.upsert_bars("600000.SH", "1d", _frame(["2023-01-03", "2023-01-04"]), store.next_revision())
    with store.transaction():
        edited = _frame(["2023-01-04", "2023-01-05"])
        edited.loc[0, "close"] = 10.5
        changed = store.upsert_bars("600000.SH", "1d", edited, store.next_revision())
    assert (first.inserted, first.updated) == (2, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert (changed.inserted, changed.updated) == (1, 1)
    assert store.changes_since(1, "1d") == {"600000.SH": "2023-01-04"}
    assert store.changes_since(3, "1d") == {}
    assert store.series("1d")[0].rows == 3
    assert store.read_bars("600000.SH", "1d")["amount"].isna().all()  # NaN stored as NULL, read back as NaN


def test_recent_bars_are_the_newest_per_symbol_oldest_first_with_gaps_as_nan(store: MarketStore) -> None:
    days = ["2023-01-03", "2023-01-04", "2023-01-05", "2023-01-06"]
    frame = _frame(days)
    frame.loc[3, "amount"] = float("nan")
    with store.transaction():
        store.upsert_bars("600000.SH", "1d", frame, store.next_revision())
        store.upsert_bars("000001.SZ", "1d", _frame(days[:1]), store.next_revision())
    recent = store.recent_bars(["600000.SH", "000001.SZ", "600519.SH"], "1d", 2)
    assert list(recent) == ["600000.SH", "000001.SZ"]  # nothing stored for 600519.SH: left out
    assert [bar.time for bar in recent["600000.SH"]] == days[2:]
    assert math.isnan(recent["600000.SH"][-1].amount) and recent["600000.SH"][0].close == 10.0
    assert [bar.time for bar in recent["000001.SZ"]] == days[:1]
    assert store.recent_bars(["600000.SH"], "1d", 0) == {}


def test_bar_columns_hold_what_read_bars_holds_and_chart_as_the_same_series(store: MarketStore) -> None:
    from core.market.chart_load import read_series
    from core.market.series import BarSeries

    days = ["2023-01-03", "2023-01-04", "2023-01-05"]
    with store.transaction():
        store.upsert_bars("600000.SH", "1d", _frame(days), store.next_revision())
    columns = store.read_bar_columns("600000.SH", "1d", start="2023-01-04")
    assert columns["time"] == tuple(days[1:]) and columns["amount"] == (None, None)  # NaN is stored as NULL
    series, via_frame = (
        read_series(store, "600000.SH", "1d"),
        BarSeries.from_columns(store.read_bars("600000.SH", "1d")),
    )
    assert len(series) == 3 and (series.time == via_frame.time).all()
    for name in ("open", "close", "volume", "factor", "amount"):
        assert list(getattr(series, name)) == pytest.approx(list(getattr(via_frame, name)), nan_ok=True)
    empty = store.read_bar_columns("600519.SH", "1d")
    assert set(empty) == {"time", "open", "high", "low", "close", "volume", "amount", "factor"}
    assert all(values == () for values in empty.values()) and len(read_series(store, "600519.SH", "1d")) == 0


def test_the_trading_day_span_is_the_bars_ends_without_the_calendar_known_ahead(store: MarketStore) -> None:
    assert store.trading_day_span() is None
    with store.transaction():
        store.add_trading_days("exchange", ["2022-12-30", "2023-12-29"])
        store.add_trading_days("index", ["2023-01-03"])
        store.add_trading_days("bars", ["2023-01-04", "2023-01-05"])
    assert store.trading_day_span() == ("2023-01-03", "2023-01-05")
    days = store.trading_days()
    assert (days[0], days[-1]) == store.trading_day_span()
