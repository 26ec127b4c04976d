"""Bad input: one clear error naming file, line and field; nothing stored is lost or half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.importer import import_files, import_one
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines

GOOD_HEADER = "date,open,high,low,close,volume,amount,factor"


def _broken_copy(cn_data: Path, tmp_path: Path, line_no: int, new_line: str, name: str = "600000.SH.csv") -> Path:
    """The real 600000.SH file with one line replaced (1-based line number)."""
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    lines[line_no - 1] = new_line
    folder = tmp_path / "broken"
    folder.mkdir(exist_ok=True)
    return write_lines(folder / name, lines)


CASES = [
    ("unparseable date", "2007-13-45,14.65,15.32,13.83,14.11,69207082,1016722867.90,2.06", "time", "unparseable date"),
    ("high < low", "2007-01-05,13.93,12.00,13.00,13.06,53732890,715011004,2.06", "high", "high < low"),
    ("negative volume", "2007-01-05,13.93,13.93,13.00,13.06,-5,715011004,2.06", "volume", "negative volume"),
    ("not a number", "2007-01-05,13.93,abc,13.00,13.06,53732890,715011004,2.06", "high", "not a number"),
    ("too many columns", "2007-01-05,13.93,13.93,13.00,13.06,53732890,715011004,2.06,9", None, "wrong column count"),
    ("too few columns", "2007-01-05,13.93,13.93,13.00", None, "wrong column count"),
]


@pytest.mark.parametrize(("case", "line", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_row_names_file_line_and_field(
    store: MarketStore, cn_data: Path, tmp_path: Path, case: str, line: str, field: str | None, message: str
) -> None:
    path = _broken_copy(cn_data, tmp_path, 1200, line)
    report = import_one(store, path)
    assert report.error is not None
    assert report.error.startswith(f"{path}:1200:")
    assert message in report.error
    if field:
        assert f"field '{field}'" in report.error
    assert "\n" not in report.error
    assert store.series() == []


def test_unknown_symbol_in_file_name_or_column(store: MarketStore, tmp_path: Path) -> None:
    bad_name = write_lines(tmp_path / "prices.csv", [GOOD_HEADER, "2023-01-03,7.2,7.3,7.1,7.25,100,725,1"])
    report = import_one(store, bad_name)
    assert report.error is not None and "cannot tell the symbol" in report.error and "prices" in report.error
    bad_column = write_lines(
        tmp_path / "multi.csv",
        [
            "symbol," + GOOD_HEADER,
            "600000.SH,2023-01-03,7.2,7.3,7.1,7.25,100,725,1",
            "600000.XX,2023-01-03,7.2,7.3,7.1,7.25,100,725,1",
        ],
    )
    report = import_one(store, bad_column)
    assert report.error is not None
    assert report.error.startswith(f"{bad_column}:3: field 'symbol':") and "600000.XX" in report.error


def test_missing_required_column_is_reported_on_the_header_line(store: MarketStore, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "600000.SH.csv", ["date,open,high,low,volume", "2023-01-03,7.2,7.3,7.1,100"])
    report = import_one(store, path)
    assert report.error is not None and ":1:" in report.error and "missing column(s) close" in report.error


def test_failed_file_leaves_stored_rows_untouched_and_others_still_import(
    store: MarketStore, cn_data: Path, tmp_path: Path
) -> None:
    good = cn_data / "daily" / "600000.SH.csv"
    assert import_one(store, good).ok
    before = store.read_bars("600000.SH", "1d")
    revision_changes = store.changes_since(0, "1d")
    # The broken file overlaps stored history (would update rows) and fails near its end.
    lines = read_lines(good)
    edited = [lines[0]] + [ln.replace(",2.", ",3.") for ln in lines[1:-3]] + ["2022-12-29,1,1,2,1,5,5,1"] + lines[-2:]
    broken = write_lines(tmp_path / "600000.SH.csv", edited)
    other = cn_data / "daily" / "000001.SZ.csv"
    reports = [p.report for p in import_files(store, [broken, other])]
    assert reports[0] is not None and not reports[0].ok and "high < low" in (reports[0].error or "")
    assert reports[1] is not None and reports[1].ok
    after = store.read_bars("600000.SH", "1d")
    assert after.equals(before)
    assert {s for s in store.changes_since(0, "1d")} == set(revision_changes) | {"000001.SZ"}
    assert [s.symbol for s in store.series("1d")] == ["000001.SZ", "600000.SH"]


def test_membership_file_errors_name_line_and_field(store: MarketStore, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "csi300_members.csv",
        [
            "symbol,start,end",
            "600000.SH,2005-04-08,2025-08-06",
            "600004.SH,2005-04-08,yesterday",
        ],
    )
    report = import_one(store, path)
    assert report.error == f"{path}:3: field 'end': unparseable date 'yesterday'"
    assert store.membership() == {}


def test_empty_file_is_an_error_not_a_silent_success(store: MarketStore, tmp_path: Path) -> None:
    report = import_one(store, write_lines(tmp_path / "600000.SH.csv", [GOOD_HEADER]))
    assert report.error is not None and "no data rows" in report.error
