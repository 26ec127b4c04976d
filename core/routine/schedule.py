"""When the desktop's daily routine is due: once a day, after the close of a weekday, by Beijing time.

Weekday holidays are known from the exchange calendar in the store (from the bridge or a holiday list);
past what it knows, the routine itself finds them: no bars for the day after the update.
The day last run is kept in a small file, so a restart after the close does not queue the plan twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from core.quotes.session import BEIJING

STATE_FILE = "routine_state.json"
DEFAULT_CLOSE_AT = "15:30"


def parse_close_at(text: str) -> dt.time:
    """'HH:MM' after the 15:00 close; anything else is refused with the value named."""
    try:
        at = dt.time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"routine time {text!r}: expected HH:MM, e.g. {DEFAULT_CLOSE_AT}") from None
    if not dt.time(15, 0) <= at <= dt.time(23, 59):
        raise ValueError(f"routine time {text!r}: must be after the 15:00 close, up to 23:59")
    return at


def close_due(
    now: dt.datetime, at: dt.time, last_day: dt.date | None, is_session: Callable[[dt.date], bool] | None = None
) -> dt.date | None:
    """The day whose after-close routine is due at `now` (naive means Beijing), or None: no session that day
    (`is_session`, by default weekdays), before `at`, or already run that day."""
    local = now.astimezone(BEIJING) if now.tzinfo else now
    day = local.date()
    if local.time() < at or (last_day is not None and last_day >= day):
        return None
    if not (is_session(day) if is_session is not None else day.weekday() < 5):
        return None
    return day


class ScheduleState:
    """The last day the after-close routine ran (finished, failed or cancelled), in `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE

    def last_day(self) -> dt.date | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return dt.date.fromisoformat(str(raw["last_close_day"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # never run, or a hand-edited file: the next due day runs

    def record(self, day: dt.date, outcome: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"last_close_day": day.isoformat(), "outcome": outcome}), encoding="utf-8")
        tmp.replace(self.path)
