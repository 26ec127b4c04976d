"""Checks on what clients send: canonical symbols, symbol lists, dates and bar periods."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable

from core.domain.symbols import SymbolFormatError, parse_symbol

# The API speaks one spelling only, so caches and subscriptions never hold two keys for one security.
# ASCII only and matched whole: `\d` would take full-width digits and `$` a trailing newline, and each
# such spelling would subscribe as a key of its own.
SYMBOL_PATTERN = r"[0-9A-Z][0-9]{5}\.(SH|SZ|BJ)"
_CANONICAL = re.compile(SYMBOL_PATTERN, re.ASCII)
MAX_SYMBOLS_PER_REQUEST = 1000
PERIODS = ("1d", "1m")
ADJUSTS = ("none", "front", "back")
_TIME_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y%m%d", "%Y%m%d%H%M%S")


def _calendar_date(sep: str) -> str:
    """Real calendar dates of 1900-2099 as a regex, so the published pattern admits exactly what is served."""
    leap = r"(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:0[048]|[2468][048]|[13579][26]))"
    days = (
        rf"(?:0[1-9]|1[0-2]){sep}(?:0[1-9]|1[0-9]|2[0-8])"
        rf"|(?:0[13-9]|1[0-2]){sep}(?:29|30)"
        rf"|(?:0[13578]|1[02]){sep}31"
    )
    return rf"(?:(?:19|20)[0-9]{{2}}{sep}(?:{days})|{leap}{sep}02{sep}29)"


def _clock(sep: str) -> str:
    return rf"(?:[01][0-9]|2[0-3]){sep}[0-5][0-9]{sep}[0-5][0-9]"


# Empty means "not given"; then YYYY-MM-DD[(T| )HH:MM:SS] or YYYYMMDD[HHMMSS]. Published in /openapi.json.
TIME_PATTERN = rf"(?:{_calendar_date('-')}(?:[T ]{_clock(':')})?|{_calendar_date('')}(?:{_clock('')})?)?"
_TIME = re.compile(TIME_PATTERN, re.ASCII)


class InvalidRequest(ValueError):
    """Client input the bridge cannot serve; the message is shown to the user as it is."""


def validate_symbol(text: object) -> str:
    """`text` if it is a canonical code such as `600000.SH`, else InvalidRequest saying why."""
    if not isinstance(text, str):
        raise InvalidRequest(f"symbol must be a string like 600000.SH, got {type(text).__name__}")
    if not _CANONICAL.fullmatch(text):
        hint = ""
        with contextlib.suppress(SymbolFormatError):
            hint = f"; did you mean {parse_symbol(text)}?"
        shown = text if len(text) <= 24 else text[:24] + "..."
        raise InvalidRequest(f"invalid symbol {shown!r}: expected the form 600000.SH (SH, SZ or BJ){hint}")
    return text


def validate_symbols(items: Iterable[object], limit: int = MAX_SYMBOLS_PER_REQUEST) -> list[str]:
    """Validated symbols in first-seen order without duplicates; at most `limit` of them."""
    out: dict[str, None] = {}
    for item in items:
        out[validate_symbol(item)] = None
        if len(out) > limit:
            raise InvalidRequest(f"too many symbols: at most {limit} per request")
    return list(out)


def parse_symbol_list(text: str | None, limit: int = MAX_SYMBOLS_PER_REQUEST) -> list[str]:
    """A comma-separated `symbols=` query value, validated; empty is an error."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise InvalidRequest("symbols is required: a comma-separated list such as 600000.SH,000001.SZ")
    if len(parts) > limit:
        raise InvalidRequest(f"too many symbols: at most {limit} per request")
    return validate_symbols(parts, limit)


def parse_time(text: str | None, name: str, end_of_day: bool = False) -> dt.datetime | None:
    """A date or datetime query value; a bare date as `end` means the whole of that day."""
    if text is None or text == "":
        return None
    shown = text if len(text) <= 32 else text[:32] + "..."
    if not _TIME.fullmatch(text):
        raise InvalidRequest(f"invalid {name} {shown!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (1900-2099)")
    for fmt in _TIME_FORMATS:
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if end_of_day and fmt in ("%Y-%m-%d", "%Y%m%d"):
            value = value.replace(hour=23, minute=59, second=59)
        return value
    raise InvalidRequest(f"invalid {name} {shown!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")


def parse_range(start: str | None, end: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Validated bounds; a start after the end is an empty range (no bars), as in any slice."""
    return parse_time(start, "start"), parse_time(end, "end", end_of_day=True)


def validate_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        shown = value if len(value) <= 16 else value[:16] + "..."
        raise InvalidRequest(f"invalid {name} {shown!r}: expected one of {', '.join(choices)}")
    return value
