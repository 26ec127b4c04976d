"""Beijing (exchange) time for the status bar, independent of the machine's own time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _beijing_zone() -> dt.tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        # Windows has no system tz database unless the tzdata package is installed; China has kept
        # a fixed UTC+8 without daylight saving since 1991, so the fixed offset is exact for our dates.
        return dt.timezone(dt.timedelta(hours=8), "CST")


BEIJING = _beijing_zone()


def beijing_now() -> dt.datetime:
    """The current time in Beijing, time-zone aware."""
    return dt.datetime.now(BEIJING)


def format_clock(moment: dt.datetime) -> str:
    """`moment` converted to Beijing time as `YYYY-MM-DD HH:MM:SS`."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
