"""Versioned schema of the market store: an ordered list of migrations keyed by PRAGMA user_version."""

from __future__ import annotations

import sqlite3

# Each entry migrates from version i to i+1. Never edit a released entry: append a new one.
MIGRATIONS: list[str] = [
    # 1: bars, instruments, trading days, index membership, change log, import log.
    """
    CREATE TABLE bars (
        symbol TEXT NOT NULL,
        freq   TEXT NOT NULL,
        time   TEXT NOT NULL,            -- 'YYYY-MM-DD' (1d) or 'YYYY-MM-DD HH:MM:SS' (1m, bar end), Beijing time
        open   REAL NOT NULL,
        high   REAL NOT NULL,
        low    REAL NOT NULL,
        close  REAL NOT NULL,
        volume REAL NOT NULL,            -- shares
        amount REAL,                     -- CNY; NULL where the source has none
        factor REAL,                     -- cumulative backward-adjustment factor; NULL = unknown (treated as 1)
        PRIMARY KEY (symbol, freq, time)
    ) WITHOUT ROWID;
    CREATE TABLE series (
        symbol TEXT NOT NULL, freq TEXT NOT NULL,
        first_time TEXT NOT NULL, last_time TEXT NOT NULL, rows INTEGER NOT NULL,
        PRIMARY KEY (symbol, freq)
    ) WITHOUT ROWID;
    CREATE TABLE instruments (
        symbol TEXT PRIMARY KEY, code TEXT NOT NULL, exchange TEXT NOT NULL, board TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '', list_date TEXT, delist_date TEXT
    );
    CREATE TABLE trading_days (
        source TEXT NOT NULL,            -- 'index' (from SSE/SZSE index bars) or 'bars' (any stored bar)
        day TEXT NOT NULL,
        PRIMARY KEY (source, day)
    ) WITHOUT ROWID;
    CREATE TABLE index_membership (
        index_name TEXT NOT NULL, symbol TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL,
        PRIMARY KEY (index_name, symbol, start)
    ) WITHOUT ROWID;
    -- Every import that changes bars logs the earliest changed time per series, so exports can be incremental.
    CREATE TABLE bar_changes (
        revision INTEGER NOT NULL, symbol TEXT NOT NULL, freq TEXT NOT NULL, changed_from TEXT NOT NULL
    );
    CREATE INDEX bar_changes_revision ON bar_changes (revision);
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY, revision INTEGER NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL,
        imported_at TEXT NOT NULL, rows INTEGER NOT NULL, inserted INTEGER NOT NULL,
        updated INTEGER NOT NULL, skipped INTEGER NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: instrument names with their history: a name holds from `start` until the next one of the symbol
    # starts ('' = since before anything known); risk-warning (ST) periods are read from these names.
    """
    CREATE TABLE instrument_names (
        symbol TEXT NOT NULL, start TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (symbol, start)
    ) WITHOUT ROWID;
    INSERT INTO instrument_names (symbol, start, name) SELECT symbol, '', name FROM instruments WHERE name != '';
    """,
    # 3: share capital with its history (placements, bonus shares): a row holds from `start` until the
    # symbol's next one ('' = since before anything known); NULL = that figure is unknown.
    """
    CREATE TABLE instrument_shares (
        symbol TEXT NOT NULL, start TEXT NOT NULL,
        total_shares REAL,               -- share capital (总股本), shares
        float_shares REAL,               -- tradable shares (流通股本), shares
        PRIMARY KEY (symbol, start)
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The store was written by a newer QDesk; refusing to touch it protects the user's data."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION, one transaction per step. Returns the final version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"market store schema v{version} is newer than this QDesk understands (v{SCHEMA_VERSION}); upgrade QDesk"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with conn:  # executescript commits first; BEGIN/COMMIT keep each step atomic
            conn.executescript(f"BEGIN;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;")
    return SCHEMA_VERSION
