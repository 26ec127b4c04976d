"""Beijing (exchange) time for the status bar, independent of the machine's own time zone."""

from __future__ import annotations

import datetime as dt

from core.quotes.session import BEIJING, beijing_now

__all__ = ["BEIJING", "beijing_now", "format_clock"]


def format_clock(moment: dt.datetime) -> str:
    """`moment` converted to Beijing time as `YYYY-MM-DD HH:MM:SS`."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
