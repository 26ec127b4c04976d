"""Importing real files and the layouts users have; re-imports and overlapping updates."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.data.importer import discover_files, import_files, import_one
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines


def _stored(store: MarketStore, symbol: str, freq: str = "1d") -> list[tuple]:
    frame = store.read_bars(symbol, freq)
    return list(frame.itertuples(index=False, name=None))


def test_real_daily_file_imports_every_row_with_its_values(store: MarketStore, cn_data: Path) -> None:
    path = cn_data / "daily" / "600000.SH.csv"
    lines = read_lines(path)
    report = import_one(store, path)
    assert report.ok, report.error
    assert (report.freq, report.symbols, report.rows) == ("1d", ["600000.SH"], len(lines) - 1)
    assert (report.first, report.last) == (lines[1][:10], lines[-1][:10])
    first = lines[1].split(",")
    row = _stored(store, "600000.SH")[0]
    assert row[0] == first[0]
    assert row[1:] == pytest.approx([float(v) for v in first[1:]])


def test_reimporting_the_same_file_changes_nothing(store: MarketStore, cn_data: Path) -> None:
    path = cn_data / "daily" / "000001.SZ.csv"
    import_one(store, path)
    before = _stored(store, "000001.SZ")
    again = import_one(store, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(before))
    assert _stored(store, "000001.SZ") == before
    assert store.changes_since(1, "1d") == {}  # the second import logged no bar change


def test_overlapping_file_updates_rows_in_place_and_adds_new(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    import_one(store, write_lines(tmp_path / "600000.SH.csv", lines[:-10]))
    # A vendor re-issues the last days with a corrected close and two more days.
    fixed = [lines[0]]
    for line in lines[-15:-8]:
        cells = line.split(",")
        cells[4] = f"{float(cells[4]) + 0.01:.2f}"
        cells[2] = f"{max(float(cells[2]), float(cells[4])):.2f}"
        fixed.append(",".join(cells))
    (tmp_path / "reissued").mkdir()
    report = import_one(store, write_lines(tmp_path / "reissued" / "600000.SH.csv", fixed))
    assert (report.rows, report.inserted, report.updated) == (7, 2, 5)
    stored = {r[0]: r for r in _stored(store, "600000.SH")}
    assert len(stored) == len(lines) - 1 - 8
    day = fixed[3].split(",")
    assert stored[day[0]][4] == pytest.approx(float(day[4]))


def test_layout_without_amount_and_factor(store: MarketStore) -> None:
    demo = Path(__file__).resolve().parents[3] / "resources" / "demo" / "daily" / "600000.SH.csv"  # ships in the repo
    report = import_one(store, demo)
    assert report.ok, report.error
    frame = store.read_bars("600000.SH", "1d")
    assert frame["factor"].isna().all() and frame["amount"].notna().any()


def test_chinese_headers_in_gbk_with_a_symbol_column(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")[:6]
    header = "股票代码,日期,开盘,最高,最低,收盘,成交量,成交额,名称"
    rows = [f"sh.600000,{ln.rsplit(',', 1)[0]},浦发银行" for ln in lines[1:]]
    path = write_lines(tmp_path / "export.csv", [header, *rows], encoding="gbk")
    report = import_one(store, path)
    assert report.ok, report.error
    assert report.symbols == ["600000.SH"] and report.rows == 5
    names = {i["symbol"]: i["name"] for i in store.instruments()}
    assert names["600000.SH"] == "浦发银行"


@pytest.mark.parametrize("code", ["SH600000", "sh.600000", "600000.XSHG"])
def test_trade_date_as_number_and_vendor_codes(store: MarketStore, tmp_path: Path, code: str) -> None:
    path = write_lines(
        tmp_path / "bars.csv",
        [
            "ts_code,trade_date,open,high,low,close,vol,amount",
            f"{code},20230104,7.26,7.34,7.23,7.30,41220000,300100000",
            f"{code},20230103,7.21,7.29,7.18,7.25,38560000,279000000",
        ],
    )
    report = import_one(store, path)
    assert report.ok, report.error
    assert [r[0] for r in _stored(store, "600000.SH")] == ["2023-01-03", "2023-01-04"]


def test_gzipped_csv_and_folder_discovery(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    raw = (cn_data / "daily" / "000002.SZ.csv").read_bytes()
    (tmp_path / "nested").mkdir()
    with gzip.open(tmp_path / "nested" / "000002.SZ.csv.gz", "wb") as fh:
        fh.write(raw)
    (tmp_path / "notes.md").write_text("not data")
    files = discover_files([tmp_path])
    assert [f.name for f in files] == ["000002.SZ.csv.gz"]
    reports = [p.report for p in import_files(store, files)]
    assert reports[0] is not None and reports[0].ok
    assert reports[0].rows == raw.count(b"\n") - 1


def test_minute_bars_are_recognized_by_their_timestamps(store: MarketStore, cn_data: Path) -> None:
    report = import_one(store, cn_data / "minute" / "600020.SH.csv")
    assert report.ok, report.error
    assert report.freq == "1m" and report.rows == 240
    assert store.trading_days() == ["2021-01-04"]


def test_freq_flag_that_contradicts_the_data_is_an_error(store: MarketStore, cn_data: Path) -> None:
    report = import_one(store, cn_data / "minute" / "600020.SH.csv", freq="1d")
    assert report.error is not None and "--freq 1m" in report.error


def test_membership_files_in_both_formats(store: MarketStore, cn_data: Path) -> None:
    folder = cn_data / "index" / "constituents"
    csv_report = import_one(store, folder / "csi300_membership_intervals.csv")
    assert csv_report.ok, csv_report.error
    assert csv_report.kind == "membership" and csv_report.freq == "csi300"
    txt_report = import_one(store, folder / "csi500_sQlib_qlibfmt.txt")
    assert txt_report.ok, txt_report.error
    membership = store.membership()
    assert set(membership) == {"csi300", "csi500"}
    assert any(s == "600000.SH" for s, _, _ in membership["csi300"])
    assert ("T00018.SH", "2005-04-08", "2007-01-03") in membership["csi300"]  # a retired temporary code


def test_suspended_rows_and_duplicates_are_skipped_with_reasons(store: MarketStore, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "600000.SH.csv",
        [
            "date,open,high,low,close,volume",
            "2023-01-03,7.21,7.29,7.18,7.25,38560000",
            "2023-01-04,0,0,0,0,0",
            "2023-01-05,7.26,7.34,7.23,7.30,41220000",
            "2023-01-05,7.26,7.35,7.23,7.31,41220000",
        ],
    )
    report = import_one(store, path)
    assert report.ok, report.error
    assert report.rows == 2
    assert report.skipped == {"no trade (suspended, empty prices)": 1, "duplicate timestamp (kept the last row)": 1}
    assert _stored(store, "600000.SH")[-1][4] == pytest.approx(7.31)


def test_huge_first_day_moves_are_real_data_not_errors(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    # A new listing can rise several hundred percent on day one; validation must not reject it.
    path = write_lines(
        tmp_path / "688981.SH.csv",
        [
            "date,open,high,low,close,volume,amount",
            "2020-07-16,95.00,95.00,72.00,82.92,479000000,39500000000",
            "2020-07-17,80.00,82.00,75.00,76.00,200000000,15600000000",
        ],
    )
    assert import_one(store, path).ok


def test_instrument_list_sets_names_and_listing_dates(store: MarketStore, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "stock_list.csv",
        [
            "代码,名称,上市日期,退市日期",
            "600000.SH,浦发银行,19991110,",
            "000024.SZ,招商地产,1993-06-07,2015-12-30",
        ],
    )
    report = import_one(store, path)
    assert report.ok, report.error
    assert report.kind == "instruments" and report.rows == 2
    rows = {r["symbol"]: r for r in store.instruments()}
    assert (rows["600000.SH"]["name"], rows["600000.SH"]["list_date"], rows["600000.SH"]["delist_date"]) == (
        "浦发银行",
        "1999-11-10",
        None,
    )
    assert rows["000024.SZ"]["delist_date"] == "2015-12-30" and rows["000024.SZ"]["board"] == "main"
