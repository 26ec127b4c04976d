"""`data status`: extent per frequency and gaps against the trading calendar."""

from __future__ import annotations

from pathlib import Path

from core.data.importer import import_one
from core.data.status import store_status
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines


def test_gaps_are_counted_against_the_calendar(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    import_one(store, cn_data / "index" / "daily" / "000001.SH.csv")  # SSE calendar 2010-2022
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    body = [ln for ln in lines[1:] if "2020-01-01" <= ln[:10] <= "2020-12-31"]
    holes = body[10:15]  # five consecutive trading days missing
    kept = [ln for ln in body if ln not in holes]
    import_one(store, write_lines(tmp_path / "600000.SH.csv", [lines[0], *kept]))
    import_one(store, cn_data / "minute" / "600020.SH.csv")
    status = store_status(store)
    daily = next(f for f in status.freqs if f.freq == "1d")
    assert (daily.symbols, daily.rows) == (
        2,
        len(read_lines(cn_data / "index" / "daily" / "000001.SH.csv")) - 1 + len(kept),
    )
    assert daily.series_with_gaps == 1 and daily.missing_days == 5
    gap = daily.worst[0]
    assert (gap.symbol, gap.longest_days, gap.longest_from, gap.longest_to) == (
        "600000.SH",
        5,
        holes[0][:10],
        holes[-1][:10],
    )
    minute = next(f for f in status.freqs if f.freq == "1m")
    assert (minute.symbols, minute.rows, minute.first, minute.last) == (1, 240, "2021-01-04", "2021-01-04")
    assert status.calendar_first == "2010-01-04" and status.index_calendar_days == status.calendar_days


def test_empty_store_status(store: MarketStore) -> None:
    status = store_status(store)
    assert status.freqs == [] and status.calendar_days == 0 and status.membership == {}
