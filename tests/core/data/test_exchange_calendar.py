"""The exchange calendar ahead of time: QMT's over the bridge, a holiday list file, and the sessions they give."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from core.bridge.sources.xt_source import XtQuantSource
from core.data.bridge_update import BridgeBars
from core.data.exchange_calendar import (
    EXCHANGE,
    BadHolidayFile,
    SessionCalendar,
    import_holidays,
    read_holiday_file,
    update_calendar_from_bridge,
)
from core.routine.schedule import close_due
from core.storage import MarketStore
from core.strategy.rebalance import next_trading_day
from core.trading.rule_inputs import store_holidays
from core.util.backoff import Backoff
from tests.core.bridge.conftest import serve
from tests.fakes.xtquant_fake import FakeXtData

# The SSE/SZSE weekday holidays of 2012 (New Year, Spring Festival, Qingming, Labour Day, Dragon Boat, National Day).
HOLIDAYS_2012 = [
    "2012-01-02", "2012-01-03", "2012-01-23", "2012-01-24", "2012-01-25", "2012-01-26", "2012-01-27",
    "2012-04-02", "2012-04-03", "2012-04-04", "2012-04-30", "2012-05-01", "2012-06-22",
    "2012-10-01", "2012-10-02", "2012-10-03", "2012-10-04", "2012-10-05",
]  # fmt: skip
_EPOCH_BEIJING = dt.datetime(1970, 1, 1, 8)


def _index_days(cn_data: Path, year: str) -> list[str]:
    with open(cn_data / "index" / "daily" / "000300.SH.csv", encoding="utf-8") as fh:
        return [r["date"][:10] for r in csv.DictReader(fh) if r["date"].startswith(year)]


def _store(tmp_path: Path, bar_days: list[str]) -> MarketStore:
    store = MarketStore.open(tmp_path / "market.sqlite")
    with store.transaction():
        store.add_trading_days("bars", bar_days)
    return store


class QmtCalendar:
    """The market function: QMT's past trading days (epoch ms, as its client gives) and its holiday list."""

    def __init__(self, past: list[str], holidays: list[str]) -> None:
        self.past, self.holidays = past, holidays

    def __call__(self, name: str, **args: Any) -> Any:
        if name == "get_trading_dates":
            return [int((dt.datetime.fromisoformat(d) - _EPOCH_BEIJING).total_seconds() * 1000) for d in self.past]
        if name == "get_holidays":
            return [int(d.replace("-", "")) for d in self.holidays]
        return None


def test_qmt_calendar_over_the_bridge_knows_qingming_and_national_day(cn_data: Path, tmp_path: Path) -> None:
    year = _index_days(cn_data, "2012")
    known = [d for d in year if d <= "2012-03-30"]  # QMT's history ends at the store's last bar
    fake = FakeXtData(QmtCalendar(known, HOLIDAYS_2012))
    source = XtQuantSource(fake, backoff=Backoff(initial=0.04, factor=2.0, maximum=0.32), probe_interval=0.1)
    store = _store(tmp_path, known)
    try:
        before = SessionCalendar.of_store(store)
        assert before.next_session(dt.date(2012, 3, 30)) == dt.date(2012, 4, 2)  # weekdays only: wrong
        with serve(source, tmp_path / "bridge") as running, running.http() as http:
            assert http.get("/v1/calendar").json()["last"] == "2012-12-31"
            assert http.get("/v1/calendar", headers={"Authorization": "Bearer nope"}).status_code == 401
            with BridgeBars(running.url, running.token) as fetch:
                assert update_calendar_from_bridge(store, fetch) == len(year)
        assert store.trading_days(EXCHANGE) == year  # the real 2012 sessions, the future ones included
        assert store.trading_days() == known  # bars-only callers never see days ahead
        calendar = SessionCalendar.of_store(store)
        assert calendar.next_session(dt.date(2012, 3, 30)) == dt.date(2012, 4, 5)
        assert calendar.next_session(dt.date(2012, 9, 28)) == dt.date(2012, 10, 8)
        assert not calendar.is_session(dt.date(2012, 10, 3)) and calendar.is_session(dt.date(2012, 10, 8))
    finally:
        store.close()
        fake.close()


def test_a_source_without_a_calendar_answers_404_and_the_update_goes_on(tmp_path: Path) -> None:
    from core.bridge.sources.sim import SimSource

    store = _store(tmp_path, ["2012-03-30"])
    try:
        with serve(SimSource(), tmp_path / "bridge") as running, running.http() as http:
            answer = http.get("/v1/calendar")
            assert answer.status_code == 404 and "no exchange calendar" in answer.json()["message"]
            with BridgeBars(running.url, running.token) as fetch:
                assert update_calendar_from_bridge(store, fetch) == 0
        assert store.trading_days(EXCHANGE) == []
    finally:
        store.close()


def test_holiday_file_gives_the_real_2012_sessions(cn_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("date\n" + "\n".join(HOLIDAYS_2012) + "\n", encoding="utf-8")
    store = _store(tmp_path, [d for d in _index_days(cn_data, "2012") if d <= "2012-03-30"])
    try:
        assert import_holidays(store, path) == (len(_index_days(cn_data, "2012")), "2012-12-31")
        assert store.trading_days(EXCHANGE) == _index_days(cn_data, "2012")
        calendar = SessionCalendar.of_store(store)
        assert calendar.next_session(dt.date(2012, 3, 30)) == dt.date(2012, 4, 5)
        # The planner's session (signals, the routine's queue) is the same day.
        bars, ahead = store.trading_days(), store.trading_days(EXCHANGE)
        assert next_trading_day(dt.date(2012, 3, 30), bars, ahead) == dt.date(2012, 4, 5)
        assert store_holidays(store) >= {dt.date(2012, 4, 2), dt.date(2012, 10, 5)}  # the paper broker's too
        # The desktop schedule: no routine on a holiday, one on the session after it.
        at = dt.time(15, 30)
        assert close_due(dt.datetime(2012, 4, 2, 16), at, dt.date(2012, 3, 30), calendar.is_session) is None
        assert close_due(dt.datetime(2012, 4, 5, 16), at, dt.date(2012, 3, 30), calendar.is_session) == dt.date(
            2012, 4, 5
        )
    finally:
        store.close()


def test_past_what_is_known_weekdays_with_a_logged_note(caplog: pytest.LogCaptureFixture) -> None:
    calendar = SessionCalendar(["2012-12-27", "2012-12-28"], [])
    with caplog.at_level(logging.INFO, logger="core.data.exchange_calendar"):
        assert calendar.next_session(dt.date(2012, 12, 28)) == dt.date(2012, 12, 31)
    assert "2012-12-31 is not known" in caplog.text


def test_a_bad_date_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("date\n2012-04-02\n2012-04-31\n", encoding="utf-8")
    with pytest.raises(BadHolidayFile, match=r"holidays\.csv:3: '2012-04-31' is not a date"):
        read_holiday_file(path)
    (tmp_path / "empty.csv").write_text("date\n", encoding="utf-8")
    with pytest.raises(BadHolidayFile, match="no dates"):
        read_holiday_file(tmp_path / "empty.csv")
