"""Share capital with history in a real SQLite store: changes dated, partial figures, as-of reads, migration."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from core.storage import MarketStore
from core.storage.instrument_names import name_history
from core.storage.instrument_shares import ShareCapital, current_shares, record_shares, shares_as_of
from core.storage.schema import MIGRATIONS, SCHEMA_VERSION

SYM = "000001.SZ"
TOTAL, FLOAT = 19405918198.0, 19405546950.0  # 平安银行 as QMT reports it


def test_a_change_of_capital_is_dated_and_the_old_one_still_answers_for_earlier_days(store: MarketStore) -> None:
    with store.transaction():
        assert record_shares(store, [(SYM, 17170411366.0, 17170411366.0, "")], dt.date(2019, 6, 3)) == 1
    with store.transaction():  # the same figures again are no change
        assert record_shares(store, [(SYM, 17170411366.0, 17170411366.0, "")], dt.date(2019, 6, 4)) == 0
    with store.transaction():  # a placement
        assert record_shares(store, [(SYM, TOTAL, FLOAT, "")], dt.date(2020, 1, 2)) == 1
    assert shares_as_of(store, SYM, dt.date(2019, 12, 31)) == ShareCapital(17170411366.0, 17170411366.0)
    assert shares_as_of(store, SYM, dt.date(2015, 1, 5)) == ShareCapital(17170411366.0, 17170411366.0)
    assert shares_as_of(store, SYM, dt.date(2020, 1, 2)) == ShareCapital(TOTAL, FLOAT)
    assert shares_as_of(store, SYM) == ShareCapital(TOTAL, FLOAT) == current_shares(store)[SYM]
    assert shares_as_of(store, "600000.SH", dt.date(2020, 1, 2)) == ShareCapital()  # never known


def test_a_row_with_one_figure_keeps_the_other_and_an_empty_row_changes_nothing(store: MarketStore) -> None:
    with store.transaction():
        record_shares(store, [(SYM, TOTAL, FLOAT, "")], dt.date(2021, 3, 1))
        record_shares(store, [(SYM, None, None, "")], dt.date(2021, 3, 2))
        record_shares(store, [(SYM, TOTAL + 1e6, None, "")], dt.date(2021, 3, 3))
        record_shares(store, [("600000.SH", None, 28103763899.0, "")], dt.date(2021, 3, 3))
    assert shares_as_of(store, SYM) == ShareCapital(TOTAL + 1e6, FLOAT)
    assert current_shares(store) == {
        SYM: ShareCapital(TOTAL + 1e6, FLOAT),
        "600000.SH": ShareCapital(None, 28103763899.0),
    }


def test_dated_rows_build_a_history_in_any_order(store: MarketStore) -> None:
    with store.transaction():
        record_shares(
            store, [(SYM, TOTAL, FLOAT, "2020-01-02"), (SYM, 1.7e10, 1.6e10, "2015-05-04")], dt.date(2024, 1, 2)
        )
    assert shares_as_of(store, SYM, dt.date(2019, 12, 31)) == ShareCapital(1.7e10, 1.6e10)
    assert shares_as_of(store, SYM, dt.date(2020, 1, 2)) == ShareCapital(TOTAL, FLOAT)
    assert shares_as_of(store, SYM, dt.date(2010, 1, 4)) == ShareCapital(1.7e10, 1.6e10)  # before any: the earliest


def test_a_failed_transaction_leaves_no_share_capital_behind(store: MarketStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        record_shares(store, [(SYM, TOTAL, FLOAT, "")], dt.date(2021, 3, 1))
        raise RuntimeError("disk full")
    assert current_shares(store) == {}


def test_a_version_2_store_migrates_keeping_its_bars_names_and_days(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "\nPRAGMA user_version = 2;")
    conn.execute(
        "INSERT INTO instruments (symbol, code, exchange, board, name, list_date) "
        "VALUES ('000001.SZ', '000001', 'SZ', 'main', '平安银行', '1991-04-03')"
    )
    conn.execute("INSERT INTO instrument_names (symbol, start, name) VALUES ('000001.SZ', '', '平安银行')")
    conn.execute(
        "INSERT INTO bars VALUES ('000001.SZ', '1d', '2022-12-30', 12.9, 13.16, 12.85, 13.16, 81800000, 1.07e9, 1.0)"
    )
    conn.execute("INSERT INTO trading_days (source, day) VALUES ('bars', '2022-12-30')")
    conn.commit()
    conn.close()
    store = MarketStore.open(path)
    try:
        assert store.query("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert store.instruments()[0]["name"] == "平安银行" and store.instruments()[0]["list_date"] == "1991-04-03"
        assert [p.name for p in name_history(store, SYM)] == ["平安银行"]
        assert store.read_bars(SYM, "1d")["close"].tolist() == [13.16] and store.trading_days() == ["2022-12-30"]
        assert current_shares(store) == {}  # nothing invented for the stocks it already held
        with store.transaction():
            record_shares(store, [(SYM, TOTAL, FLOAT, "")], dt.date(2023, 1, 3))
        assert shares_as_of(store, SYM) == ShareCapital(TOTAL, FLOAT)
    finally:
        store.close()
