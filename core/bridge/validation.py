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
    for fmt in _TIME_FORMATS:
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if end_of_day and fmt in ("%Y-%m-%d", "%Y%m%d"):
            value = value.replace(hour=23, minute=59, second=59)
        return value
    shown = text if len(text) <= 32 else text[:32] + "..."
    raise InvalidRequest(f"invalid {name} {shown!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")


def parse_range(start: str | None, end: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    first = parse_time(start, "start")
    last = parse_time(end, "end", end_of_day=True)
    if first and last and first > last:
        raise InvalidRequest(f"start {start} is after end {end}")
    return first, last


def validate_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        shown = value if len(value) <= 16 else value[:16] + "..."
        raise InvalidRequest(f"invalid {name} {shown!r}: expected one of {', '.join(choices)}")
    return value
