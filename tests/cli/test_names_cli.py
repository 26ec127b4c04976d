"""`python main.py data names FILE`: names with history into the store, bad rows refused whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.paths import store_path
from core.storage import MarketStore
from core.storage.instrument_names import name_as_of, name_history, st_periods
from core.storage.instrument_shares import ShareCapital, current_shares, shares_as_of
from tests.cli.test_data_cli import qdesk
from tests.realdata import write_lines

HISTORY = [
    "symbol,name,list_date,delist_date,name_start",
    "600656.SH,华源制药,19960315,,20010102",
    "600656.SH,*ST博元,,,20140303",
    "600656.SH,ST博元,,20160321,20150504",
    "600000.SH,浦发银行,1999-11-10,,",
]


def test_names_with_history_are_stored_and_read_as_of_a_day(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = qdesk(data, "data", "names", str(write_lines(tmp_path / "names.csv", HISTORY)))
    assert result.returncode == 0, result.stderr
    assert "Names: 2 symbols, 4 rows (3 dated names); 2 risk-warning period(s)" in result.stdout
    store = MarketStore.open(store_path(data))
    try:
        rows = {r["symbol"]: r for r in store.instruments()}
        assert rows["600656.SH"]["name"] == "ST博元" and rows["600656.SH"]["delist_date"] == "2016-03-21"
        assert rows["600656.SH"]["list_date"] == "1996-03-15" and rows["600000.SH"]["name"] == "浦发银行"
        assert name_as_of(store, "600656.SH", dt.date(2014, 12, 31)) == "*ST博元"
        assert [p.name for p in name_history(store, "600656.SH")] == ["华源制药", "*ST博元", "ST博元"]
        assert st_periods(store)["600656.SH"][0] == ("2014-03-03", "2015-05-03")
        assert current_shares(store) == {}  # a list without share columns leaves the capital unknown
    finally:
        store.close()
    again = qdesk(data, "data", "names", str(tmp_path / "names.csv"))  # re-importing changes nothing
    assert again.returncode == 0 and "2 risk-warning period(s)" in again.stdout


@pytest.mark.parametrize(
    ("bad_line", "where"),
    [
        ("600656.SH,ST博元,,,2015-13-04", "names.csv:4: field 'name_start': unparseable date '2015-13-04'"),
        ("6006X6.SH,ST博元,,,20150504", "names.csv:4: field 'symbol':"),
        ("600656.SH,,,,20150504", "names.csv:4: field 'name': empty name"),
        ("600656.SH,ST博元,,20150504", "names.csv:4: wrong column count: expected 5, got 4"),
    ],
)
def test_a_bad_row_exits_2_naming_file_line_and_field_and_stores_nothing(
    tmp_path: Path, bad_line: str, where: str
) -> None:
    data = tmp_path / "data"
    lines = [*HISTORY[:3], bad_line, *HISTORY[4:]]
    result = qdesk(data, "data", "names", str(write_lines(tmp_path / "names.csv", lines)))
    assert result.returncode == 2
    assert where in result.stderr and len(result.stderr.strip().splitlines()) == 1
    store = MarketStore.open(store_path(data))
    try:
        assert store.instruments() == [] and name_history(store, "600656.SH") == []
    finally:
        store.close()


def test_a_file_that_is_not_an_instrument_list_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "bars.csv", ["date,open,close", "2020-01-02,1,2"])
    result = qdesk(tmp_path / "data", "data", "names", str(path))
    assert result.returncode == 2 and "bars.csv:1: unknown column 'date'" in result.stderr
    missing = qdesk(tmp_path / "data", "data", "names", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "nope.csv: no such file" in missing.stderr


def test_names_prints_its_help_with_the_columns_it_reads(tmp_path: Path) -> None:
    result = qdesk(tmp_path, "data", "names", "--help")
    assert result.returncode == 0 and "usage:" in result.stdout and "name_start" in result.stdout


SHARES = [
    "symbol,name,list_date,name_start,total_shares,float_shares",
    "000001.SZ,深发展A,19910403,20070620,3105433762,2063431218",
    "000001.SZ,平安银行,,20120801,5123350416,3105358246",
    "600000.SH,浦发银行,19991110,,29352178302,",
    "600036.SH,招商银行,20020409,,,",
]


def test_share_capital_columns_are_stored_dated_or_current_and_empty_is_unknown(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = qdesk(data, "data", "names", str(write_lines(tmp_path / "names.csv", SHARES)))
    assert result.returncode == 0, result.stderr
    assert "share capital of 2 symbol(s)" in result.stdout
    store = MarketStore.open(store_path(data))
    try:
        assert shares_as_of(store, "000001.SZ", dt.date(2010, 1, 4)) == ShareCapital(3105433762.0, 2063431218.0)
        assert shares_as_of(store, "000001.SZ", dt.date(2012, 8, 1)) == ShareCapital(5123350416.0, 3105358246.0)
        assert shares_as_of(store, "600000.SH") == ShareCapital(29352178302.0, None)
        assert "600036.SH" not in current_shares(store) and len(store.instruments()) == 3
    finally:
        store.close()
    again = qdesk(data, "data", "names", str(tmp_path / "names.csv"))  # re-importing adds no history
    assert again.returncode == 0
    store = MarketStore.open(store_path(data))
    try:
        assert store.query("SELECT count(*) FROM instrument_shares").fetchone()[0] == 3
    finally:
        store.close()


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ('600000.SH,浦发银行,19991110,,1,"29,352"', "field 'float_shares': bad number '29,352'"),
        ("600000.SH,浦发银行,19991110,,-5,1", "field 'total_shares': bad number '-5'"),
        ("600000.SH,浦发银行,19991110,,1,nan", "field 'float_shares': bad number 'nan'"),
        ("600000.SH,浦发银行,19991110,,abc,1", "field 'total_shares': bad number 'abc'"),
    ],
)
def test_a_bad_share_count_exits_2_naming_file_line_and_column_and_stores_nothing(
    tmp_path: Path, bad: str, where: str
) -> None:
    data = tmp_path / "data"
    result = qdesk(data, "data", "names", str(write_lines(tmp_path / "names.csv", [*SHARES[:3], bad])))
    assert result.returncode == 2
    assert f"names.csv:4: {where}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    store = MarketStore.open(store_path(data))
    try:
        assert store.instruments() == [] and current_shares(store) == {}
    finally:
        store.close()


def test_names_help_lists_the_share_columns(tmp_path: Path) -> None:
    result = qdesk(tmp_path, "data", "names", "--help")
    assert result.returncode == 0 and "total_shares" in result.stdout and "float_shares" in result.stdout
