"""Instrument names with history in a real SQLite store: renames, ST periods, name as of a day, migration."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from core.storage import MarketStore
from core.storage.instrument_names import name_as_of, name_history, record_names, st_periods
from core.trading.rule_inputs import store_rule_book

SYM = "600656.SH"


def _names(store: MarketStore) -> dict[str, str]:
    return {r["symbol"]: r["name"] for r in store.instruments()}


def test_a_rename_keeps_the_old_name_in_the_history(store: MarketStore) -> None:
    with store.transaction():
        store.update_instruments([("600000.SH", "浦发银行", "1999-11-10", None)], today=dt.date(2020, 1, 2))
    with store.transaction():  # the same name again is no change
        store.update_instruments([("600000.SH", "浦发银行", None, None)], today=dt.date(2021, 1, 4))
    with store.transaction():
        store.update_instruments([("600000.SH", "浦发", None, None)], today=dt.date(2022, 3, 1))
    history = name_history(store, "600000.SH")
    assert [(p.name, p.start, p.end) for p in history] == [("浦发银行", "", "2022-02-28"), ("浦发", "2022-03-01", None)]
    assert _names(store)["600000.SH"] == "浦发"
    assert name_as_of(store, "600000.SH", dt.date(2015, 6, 1)) == "浦发银行"
    assert name_as_of(store, "600000.SH", dt.date(2022, 3, 1)) == "浦发"
    assert store.instruments()[0]["list_date"] == "1999-11-10"  # a later row without dates keeps it


def test_dated_names_give_st_periods_and_the_rule_book_uses_them(store: MarketStore) -> None:
    with store.transaction():
        store.ensure_instruments([SYM])
        record_names(
            store,
            [(SYM, "*ST博元", "2014-03-03"), (SYM, "华源制药", "2001-01-02"), (SYM, "ST博元", "2015-05-04")],
            dt.date(2024, 1, 2),
        )
        store.add_trading_days("bars", ["2016-03-21"])
    assert st_periods(store) == {SYM: [("2014-03-03", "2015-05-03"), ("2015-05-04", "9999-12-31")]}
    assert name_as_of(store, SYM, dt.date(2014, 3, 2)) == "华源制药"
    assert name_as_of(store, SYM, dt.date(2000, 1, 1)) == "华源制药"  # before the first dated name: the earliest
    assert _names(store)[SYM] == "ST博元"
    rules = store_rule_book(store)
    assert rules.is_st(SYM, dt.date(2014, 6, 3)) and not rules.is_st(SYM, dt.date(2013, 6, 3))
    assert rules.st_periods[SYM].count(("2015-05-04", "9999-12-31")) == 1  # the current name adds no duplicate


def test_a_failed_transaction_leaves_no_name_behind(store: MarketStore) -> None:
    with store.transaction():
        store.update_instruments([("600000.SH", "浦发银行", None, None)])
    with pytest.raises(RuntimeError), store.transaction():
        record_names(store, [("600000.SH", "ST浦发", "2023-01-03")], dt.date(2023, 1, 3))
        raise RuntimeError("disk full")
    assert [p.name for p in name_history(store, "600000.SH")] == ["浦发银行"]
    assert _names(store)["600000.SH"] == "浦发银行"


def test_a_version_1_store_keeps_its_names_as_the_start_of_their_history(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    conn = sqlite3.connect(path)
    from core.storage.schema import MIGRATIONS

    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO instruments (symbol, code, exchange, board, name) VALUES ('000001.SZ', '000001', 'SZ', 'main', "
        "'平安银行'), ('000002.SZ', '000002', 'SZ', 'main', '')"
    )
    conn.commit()
    conn.close()
    store = MarketStore.open(path)
    try:
        assert [(p.name, p.start) for p in name_history(store, "000001.SZ")] == [("平安银行", "")]
        assert name_history(store, "000002.SZ") == []
    finally:
        store.close()
