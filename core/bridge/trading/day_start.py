"""The equity each trading day started with, kept in SQLite so a restart mid-session keeps the daily-loss stop."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from core.storage.per_thread import PerThread
from core.trading.audit_anchor import private_file

DAY_START_FILE = "day_start.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS day_start (
    account TEXT NOT NULL, day TEXT NOT NULL, equity REAL NOT NULL, fixed_at TEXT NOT NULL,
    PRIMARY KEY (account, day));
"""


class DayStartBook:
    """One row per account and trading day, written once: the first figure of a day is the one that stands."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)  # account figures: the owner's eyes only, like the audit log
        self._conns = PerThread(self._open, sqlite3.Connection.close)
        with self._conns.get() as conn:
            conn.executescript(_SCHEMA)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def get(self, account: str, day: dt.date) -> float | None:
        row = (
            self._conns.get()
            .execute("SELECT equity FROM day_start WHERE account=? AND day=?", (account, day.isoformat()))
            .fetchone()
        )
        return None if row is None else float(row[0])

    def fix(self, account: str, day: dt.date, equity: float, now: dt.datetime) -> float:
        """Record `equity` as the day's start unless one is recorded already; returns the figure that stands."""
        with self._conns.get() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO day_start VALUES (?,?,?,?)", (account, day.isoformat(), equity, now.isoformat())
            )
        stored = self.get(account, day)
        return equity if stored is None else stored

    def close(self) -> None:
        self._conns.close()
