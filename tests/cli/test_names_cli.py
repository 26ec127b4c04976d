"""`python main.py data names FILE`: names with history into the store, bad rows refused whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.paths import store_path
from core.storage import MarketStore
from core.storage.instrument_names import name_as_of, name_history, st_periods
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
