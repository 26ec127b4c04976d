"""Deleting series, exporting CSV that re-imports identically, per-series rows for the data manager."""

from __future__ import annotations

from pathlib import Path

from core.data.csv_export import export_series_csv
from core.data.importer import import_one
from core.data.qlib_export import ExportSummary, export_qlib
from core.data.status import series_rows
from core.storage import MarketStore


def test_csv_export_reimports_to_identical_rows(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    import_one(store, cn_data / "daily" / "600004.SH.csv")  # amount is missing in 2022: empty cells
    out = tmp_path / "out" / "600004.SH.csv"
    assert export_series_csv(store, "600004.SH", "1d", out) == store.series("1d")[0].rows
    other = MarketStore.open(tmp_path / "other.sqlite")
    report = import_one(other, out)
    assert report.ok, report.error
    assert other.read_bars("600004.SH", "1d").equals(store.read_bars("600004.SH", "1d"))
    other.close()


def test_deleted_series_leave_the_store_and_the_next_export(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    for sym in ("600000.SH", "000001.SZ"):
        import_one(store, cn_data / "daily" / f"{sym}.csv")
    provider = tmp_path / "provider"
    *_, first = export_qlib(store, provider)
    with store.transaction():
        assert store.delete_series("000001.SZ", "1d", store.next_revision()) > 3000
    assert [s.symbol for s in store.series()] == ["600000.SH"]
    assert store.read_bars("000001.SZ", "1d").empty
    *_, second = export_qlib(store, provider)
    assert isinstance(first, ExportSummary) and isinstance(second, ExportSummary)
    assert second.mode == "incremental" and second.rewritten == 0
    assert not (provider / "features" / "sz000001").exists() and (provider / "features" / "sh600000").exists()
    assert "SZ000001" not in (provider / "instruments" / "all.txt").read_text()


def test_series_rows_list_names_and_gaps(store: MarketStore, cn_data: Path) -> None:
    import_one(store, cn_data / "index" / "daily" / "000001.SH.csv")  # the SSE calendar, 2010 on
    import_one(store, cn_data / "daily" / "000002.SZ.csv")
    import_one(store, cn_data / "minute" / "600020.SH.csv")
    rows = {(r.symbol, r.freq): r for r in series_rows(store)}
    daily = rows[("000002.SZ", "1d")]
    # Only days some stored bar confirms count as trading days: the long 2015-16 suspension shows.
    assert daily.rows == 3726 and daily.missing_days > 100
    minute = rows[("600020.SH", "1m")]
    assert (minute.rows, minute.first, minute.missing_days) == (240, "2021-01-04 09:31:00", 0)
