"""Data freshness against the store's trading calendar, on real bars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.data.importer import import_one
from core.monitor.freshness import FreshnessCollector, data_freshness, expected_day
from core.quotes.session import BEIJING
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines


def bj(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


def test_index_calendar_freshness(store: MarketStore, cn_data: Path) -> None:
    import_one(store, cn_data / "index" / "daily" / "000001.SH.csv")  # SSE calendar to 2022-12-30
    calendar = store.trading_days()
    assert expected_day(bj(2022, 12, 30, 16, 0), calendar) == dt.date(2022, 12, 30)
    assert expected_day(bj(2022, 12, 30, 10, 0), calendar) == dt.date(2022, 12, 29)  # today's bar not due yet
    assert expected_day(bj(2022, 12, 31, 12, 0), calendar) == dt.date(2022, 12, 30)  # Saturday
    # 2022-10-03..07 was the National Day holiday: the calendar knows, so Monday 10-10 09:00 expects 09-30.
    assert expected_day(bj(2022, 10, 10, 9, 0), calendar) == dt.date(2022, 9, 30)

    (daily,) = data_freshness(store, bj(2022, 12, 30, 16, 0))
    assert (daily.freq, daily.last, daily.behind_days, daily.series_with_gaps) == ("1d", "2022-12-30", 0, 0)
    # Past the calendar's end only weekends are known: Monday 2023-01-09 expects Friday 01-06, 5 days on.
    (later,) = data_freshness(store, bj(2023, 1, 9, 9, 0))
    assert (later.expected, later.behind_days) == ("2023-01-06", 5)


def test_stock_with_holes_and_minute_bars(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    import_one(store, cn_data / "index" / "daily" / "000001.SH.csv")
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    body = [ln for ln in lines[1:] if "2022-01-01" <= ln[:10] <= "2022-12-30"]
    kept = body[:20] + body[25:]  # five trading days missing inside the span
    import_one(store, write_lines(tmp_path / "600000.SH.csv", [lines[0], *kept]))
    import_one(store, cn_data / "minute" / "600020.SH.csv")  # 240 bars on 2021-01-04
    found = {f.freq: f for f in data_freshness(store, bj(2022, 12, 30, 16, 0))}
    assert found["1d"].series == 2 and found["1d"].series_with_gaps == 1
    minute = found["1m"]
    assert (minute.last, minute.series_with_gaps) == ("2021-01-04", 0)
    assert minute.behind_days == len([d for d in store.trading_days() if "2021-01-04" < d <= "2022-12-30"])

    values = FreshnessCollector(store, lambda: bj(2022, 12, 30, 16, 0)).collect()
    assert values["data.1d.behind_days"] == 0 and values["data.1m.behind_days"] == minute.behind_days
    assert values["data.1d.last"] == "2022-12-30" and values["data.gaps"] == 1


def test_empty_store_reports_not_available(store: MarketStore) -> None:
    values = FreshnessCollector(store, lambda: bj(2022, 12, 30, 16, 0)).collect()
    assert values["data.1d.behind_days"] is None and values["data.gaps"] is None


def test_collector_rereads_after_an_import(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    body = [ln for ln in lines[1:] if "2022-01-01" <= ln[:10] <= "2022-12-30"]
    import_one(store, write_lines(tmp_path / "600000.SH.csv", [lines[0], *body[:100]]))
    collector = FreshnessCollector(store, lambda: bj(2022, 12, 30, 16, 0))
    assert collector.collect()["data.1d.last"] == body[99][:10]
    import_one(store, write_lines(tmp_path / "600000.SH.csv", [lines[0], *body]))
    values = collector.collect()
    assert values["data.1d.last"] == "2022-12-30" and values["data.1d.behind_days"] == 0
