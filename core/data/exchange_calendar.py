"""The exchange calendar ahead of time: trading days from QMT or a holiday list, and the next session after a day."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The trading-day source name of calendar days known ahead (bars record 'bars' and 'index').
EXCHANGE = "exchange"


class BadHolidayFile(ValueError):
    """A holiday list that cannot be read; the message names the file and line."""


def read_holiday_file(path: Path) -> list[dt.date]:
    """Holiday dates from a CSV, one date a line (YYYY-MM-DD or YYYYMMDD in the first column); a header
    line and blank lines are allowed. A bad date is refused naming file:line."""
    out: list[dt.date] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for number, row in enumerate(csv.reader(fh), start=1):
                text = row[0].strip() if row else ""
                if not text or text.startswith("#"):
                    continue
                try:
                    out.append(_parse_day(text))
                except ValueError:
                    if number == 1 and not text[:1].isdigit():
                        continue  # a header such as "date"
                    raise BadHolidayFile(f"{path}:{number}: {text[:40]!r} is not a date (YYYY-MM-DD)") from None
    except OSError as exc:
        raise BadHolidayFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not out:
        raise BadHolidayFile(f"{path}: no dates in the file")
    return sorted(set(out))


def _parse_day(text: str) -> dt.date:
    if len(text) == 8 and text.isdigit():
        return dt.datetime.strptime(text, "%Y%m%d").date()
    return dt.date.fromisoformat(text)


def days_from_holidays(holidays: Iterable[dt.date]) -> list[str]:
    """Trading days of every year the holidays fall in: its weekdays minus the holidays (the list is taken
    to name all of that year's exchange holidays)."""
    closed = set(holidays)
    if not closed:
        return []
    day, last = dt.date(min(closed).year, 1, 1), dt.date(max(closed).year, 12, 31)
    out = []
    while day <= last:
        if day.weekday() < 5 and day not in closed:
            out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def store_exchange_days(store: Any, days: Iterable[dt.date | str]) -> int:
    """Record calendar days known ahead in the store's trading-day table (source 'exchange'); how many."""
    iso = [d if isinstance(d, str) else d.isoformat() for d in days]
    with store.transaction():
        store.add_trading_days(EXCHANGE, iso)
    return len(iso)


def import_holidays(store: Any, path: Path) -> tuple[int, str]:
    """Store the trading days implied by a holiday list; (days stored, last day)."""
    days = days_from_holidays(read_holiday_file(path))
    store_exchange_days(store, days)
    return len(days), days[-1]


def update_calendar_from_bridge(store: Any, fetch: Any) -> int:
    """Store the bridge's exchange calendar; 0 with a logged note when the bridge cannot give one (a source
    with no calendar, QMT away): the bars are what the update is for, the calendar only looks ahead."""
    from core.bridge.client import BridgeError

    try:
        days = fetch.trading_calendar()
    except BridgeError as exc:
        log.warning("exchange calendar not updated from the bridge: %s", exc)
        return 0
    stored = store_exchange_days(store, days)
    log.info("exchange calendar: %d days from the bridge, through %s", stored, days[-1] if days else "none")
    return stored


def store_calendar(data_dir: Path) -> SessionCalendar:
    """The session calendar of the store in `data_dir`, read now (the store is opened and closed)."""
    from core.paths import store_path
    from core.storage import MarketStore

    store = MarketStore.open(store_path(Path(data_dir)))
    try:
        return SessionCalendar.of_store(store)
    finally:
        store.close()


class SessionCalendar:
    """Trading sessions: a day is known where the store's bars span it or the exchange calendar covers its year
    (QMT's calendar and a holiday list come a whole year at a time); past that, weekdays (logged once)."""

    def __init__(self, bar_days: Sequence[str], exchange_days: Sequence[str] = ()) -> None:
        self._open = set(bar_days) | set(exchange_days)
        self._bars = (bar_days[0], bar_days[-1]) if bar_days else None
        self._years = {int(d[:4]) for d in exchange_days}
        self._noted = False

    @classmethod
    def of_store(cls, store: Any) -> SessionCalendar:
        return cls(store.trading_days(), store.trading_days(EXCHANGE))

    def known(self, day: dt.date) -> bool:
        iso = day.isoformat()
        return day.year in self._years or (self._bars is not None and self._bars[0] <= iso <= self._bars[1])

    def is_session(self, day: dt.date) -> bool:
        if self.known(day):
            return day.isoformat() in self._open
        if day.weekday() >= 5:
            return False
        if not self._noted:  # once: the check runs for every day asked
            self._noted = True
            log.info(
                "exchange calendar: %s is not known; a weekday is taken as a session "
                "(update from the bridge or import a holiday list)",
                day,
            )
        return True

    def next_session(self, day: dt.date) -> dt.date:
        """The first session after `day`."""
        nxt = day + dt.timedelta(days=1)
        while not self.is_session(nxt):
            nxt += dt.timedelta(days=1)
        return nxt

    def holidays(self, start: dt.date, end: dt.date) -> frozenset[dt.date]:
        """Known weekday closures in [start, end]: whole arrays, since a store's span is fifteen years of days
        and the desktop asks while its window opens."""
        import numpy as np

        every_day = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        weekdays = every_day[np.is_busday(every_day)]
        iso = weekdays.astype(str)
        known = np.isin(weekdays.astype("datetime64[Y]").astype(np.int64) + 1970, sorted(self._years))
        if self._bars is not None:
            known |= (iso >= self._bars[0]) & (iso <= self._bars[1])
        closed = known & ~np.isin(iso, sorted(self._open))
        return frozenset(day.item() for day in weekdays[closed])
