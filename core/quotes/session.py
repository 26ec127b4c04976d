"""A-share market sessions by Beijing time: call auction, continuous trading, lunch break, closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _beijing_zone() -> dt.tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        # Windows has no system tz database unless the tzdata package is installed; China has kept
        # a fixed UTC+8 without daylight saving since 1991, so the fixed offset is exact for our dates.
        return dt.timezone(dt.timedelta(hours=8), "CST")


BEIJING = _beijing_zone()


class MarketSession(str, Enum):
    PRE_OPEN = "pre-open auction"  # 09:15-09:25 call auction (orders may be cancelled until 09:20)
    OPENING = "opening"  # 09:25-09:30 auction matched; orders accepted, not matched
    CONTINUOUS = "continuous"  # 09:30-11:30, 13:00-14:57
    LUNCH = "lunch break"  # 11:30-13:00
    CLOSING_AUCTION = "closing auction"  # 14:57-15:00 on both SSE and SZSE (SSE since 2018-08-20)
    CLOSED = "closed"


_SCHEDULE: tuple[tuple[dt.time, dt.time, MarketSession], ...] = (
    (dt.time(9, 15), dt.time(9, 25), MarketSession.PRE_OPEN),
    (dt.time(9, 25), dt.time(9, 30), MarketSession.OPENING),
    (dt.time(9, 30), dt.time(11, 30), MarketSession.CONTINUOUS),
    (dt.time(11, 30), dt.time(13, 0), MarketSession.LUNCH),
    (dt.time(13, 0), dt.time(14, 57), MarketSession.CONTINUOUS),
    (dt.time(14, 57), dt.time(15, 0), MarketSession.CLOSING_AUCTION),
)


def market_session(now: dt.datetime, holidays: Container[dt.date] = ()) -> MarketSession:
    """Session at `now` (any timezone; naive means Beijing). Weekends and `holidays` are closed."""
    local = now.astimezone(BEIJING) if now.tzinfo else now
    if local.weekday() >= 5 or local.date() in holidays:
        return MarketSession.CLOSED
    t = local.time()
    for start, end, session in _SCHEDULE:
        if start <= t < end:
            return session
    return MarketSession.CLOSED


def beijing_now() -> dt.datetime:
    """The current time in Beijing, time-zone aware."""
    return dt.datetime.now(BEIJING)
