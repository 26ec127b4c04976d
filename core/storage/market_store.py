"""MarketStore: the SQLite system of record for bars, instruments, trading days and index membership.

One connection per thread (sqlite3 objects are not shared); WAL mode so readers never block the
writer; every import is one transaction, so a failed file leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from core.domain.symbols import Board, parse_symbol
from core.storage.instrument_names import record_names
from core.storage.schema import migrate

if TYPE_CHECKING:
    import pandas as pd

BAR_COLUMNS = ("time", "open", "high", "low", "close", "volume", "amount", "factor")
_VALUE_COLUMNS = BAR_COLUMNS[1:]


class StoredBar(NamedTuple):
    """One stored bar as read back: raw prices, the adjustment factor, NaN where the source had nothing."""

    time: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    amount: float
    factor: float


_INSERT_SQL = (
    "INSERT INTO bars (symbol, freq, time, open, high, low, close, volume, amount, factor) VALUES (?,?,?,?,?,?,?,?,?,?)"
)
_UPSERT_SQL = (
    "INSERT INTO bars (symbol, freq, time, open, high, low, close, volume, amount, factor) "
    "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(symbol, freq, time) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in _VALUE_COLUMNS)
)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What writing one symbol's bars changed."""

    symbol: str
    rows: int
    inserted: int
    updated: int
    first_time: str
    last_time: str

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """Stored extent of one (symbol, freq) series."""

    symbol: str
    freq: str
    first_time: str
    last_time: str
    rows: int


class MarketStore:
    """Bars keyed by (symbol, freq, time) in raw prices with their adjustment factor."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._known_days: dict[str, set[str]] = {}
        self._pending_days: list[tuple[str, set[str]]] = []

    @classmethod
    def open(cls, path: Path | str) -> MarketStore:
        """Open (creating and migrating if needed) the store at `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN/COMMIT below
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: bulk imports touch many pages
        migrate(conn)
        store = cls(conn, path)
        if store._meta("store_id") is None:
            with store.transaction():
                store._set_meta("store_id", uuid.uuid4().hex)
                store._set_meta("revision", "0")
        return store

    def close(self) -> None:
        self._conn.close()

    # -- transactions and meta -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back whole on any exception."""
        self._conn.execute("BEGIN IMMEDIATE")
        self._pending_days = []
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            self._pending_days = []
            raise
        for source, days in self._pending_days:  # only now are they really stored
            self._known_days[source] |= days
        self._pending_days = []

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def store_id(self) -> str:
        return self._meta("store_id") or ""

    @property
    def revision(self) -> int:
        """Increases with every import that changed something; exports remember the one they saw."""
        return int(self._meta("revision") or 0)

    def next_revision(self) -> int:
        """Reserve the next revision number; call inside the import's transaction."""
        rev = self.revision + 1
        self._set_meta("revision", str(rev))
        return rev

    # -- bars ------------------------------------------------------------------------------
    def upsert_bars(self, symbol: str, freq: str, frame: pd.DataFrame, revision: int) -> UpsertResult:
        """Insert new rows and update changed ones for one series; identical rows are not touched.

        `frame` has BAR_COLUMNS, sorted by time, unique times. Call inside `transaction()`.
        """
        import numpy as np
        import pandas as pd

        times = frame["time"].to_numpy()
        first, last = str(times[0]), str(times[-1])
        stored = self._conn.execute(
            "SELECT first_time, last_time FROM series WHERE symbol=? AND freq=?", (symbol, freq)
        ).fetchone()
        overlaps = stored is not None and stored[0] <= last and first <= stored[1]
        existing = self.read_bars(symbol, freq, first, last) if overlaps else None
        if existing is None or existing.empty:
            changed = np.ones(len(frame), dtype=bool)
            inserted = len(frame)
        else:
            pos = pd.Index(existing["time"]).get_indexer(frame["time"])
            is_new = pos < 0
            old = existing.iloc[np.where(is_new, 0, pos)]
            differs = np.zeros(len(frame), dtype=bool)
            for col in _VALUE_COLUMNS:
                a = frame[col].to_numpy(dtype=float)
                b = old[col].to_numpy(dtype=float)
                differs |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
            changed = is_new | differs
            inserted = int(is_new.sum())
        n_changed = int(changed.sum())
        if n_changed:
            rows = frame.loc[changed] if n_changed < len(frame) else frame
            # NaN binds as NULL in SQLite, so float columns go in as they are; tolist() yields
            # plain Python objects, which sqlite3 binds much faster than numpy scalars.
            columns = [rows[c].tolist() for c in BAR_COLUMNS]
            n = len(rows)
            sql = _UPSERT_SQL if inserted < n_changed else _INSERT_SQL
            self._conn.executemany(sql, zip([symbol] * n, [freq] * n, *columns, strict=True))
            changed_from = str(times[np.argmax(changed)])
            self._conn.execute(
                "INSERT INTO bar_changes (revision, symbol, freq, changed_from) VALUES (?,?,?,?)",
                (revision, symbol, freq, changed_from),
            )
            self._refresh_series(symbol, freq)
        return UpsertResult(symbol, len(frame), inserted, n_changed - inserted, first, last)

    def delete_series(self, symbol: str, freq: str, revision: int) -> int:
        """Delete every bar of one series; returns rows deleted. Call inside `transaction()`."""
        deleted = self._conn.execute("DELETE FROM bars WHERE symbol=? AND freq=?", (symbol, freq)).rowcount
        self._conn.execute("DELETE FROM series WHERE symbol=? AND freq=?", (symbol, freq))
        if deleted:
            # An empty changed_from sorts before every time: exports rebuild (here: drop) the symbol.
            self._conn.execute(
                "INSERT INTO bar_changes (revision, symbol, freq, changed_from) VALUES (?,?,?,'')",
                (revision, symbol, freq),
            )
        return deleted

    def _refresh_series(self, symbol: str, freq: str) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO series (symbol, freq, first_time, last_time, rows) "
            "SELECT symbol, freq, min(time), max(time), count(*) FROM bars WHERE symbol=? AND freq=?",
            (symbol, freq),
        )

    def read_bars(self, symbol: str, freq: str, start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """Bars of one series (raw prices + factor) between `start` and `end` inclusive, by time."""
        import pandas as pd

        frame = pd.DataFrame(self._bar_rows(symbol, freq, start, end), columns=list(BAR_COLUMNS))
        for col in _VALUE_COLUMNS:
            frame[col] = frame[col].astype(float)
        return frame

    def read_bar_columns(
        self, symbol: str, freq: str, start: str | None = None, end: str | None = None
    ) -> dict[str, tuple[object, ...]]:
        """The bars `read_bars` returns, as one tuple per column (missing values None).

        For the chart's first paint: importing pandas costs more than reading ten years of bars.
        """
        rows = self._bar_rows(symbol, freq, start, end)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in BAR_COLUMNS]
        return dict(zip(BAR_COLUMNS, columns, strict=True))

    def _bar_rows(self, symbol: str, freq: str, start: str | None, end: str | None) -> list[tuple[object, ...]]:
        sql = f"SELECT {', '.join(BAR_COLUMNS)} FROM bars WHERE symbol=? AND freq=?"
        args: list[object] = [symbol, freq]
        if start is not None:
            sql += " AND time >= ?"
            args.append(start)
        if end is not None:
            sql += " AND time <= ?"
            args.append(end)
        return self._conn.execute(sql + " ORDER BY time", args).fetchall()

    def recent_bars(self, symbols: Sequence[str], freq: str, count: int) -> dict[str, list[StoredBar]]:
        """The newest `count` bars of each symbol, oldest first, as plain rows (symbols with none left out).

        For screens that must paint at once (the quote board's last closes at launch): each symbol is read
        from the end of the primary key and no DataFrame is built, which costs more than the read itself.
        """
        sql = f"SELECT {', '.join(BAR_COLUMNS)} FROM bars WHERE symbol=? AND freq=? ORDER BY time DESC LIMIT ?"
        out: dict[str, list[StoredBar]] = {}
        for symbol in symbols:
            rows = self._conn.execute(sql, (symbol, freq, max(0, count))).fetchall()
            if rows:
                out[symbol] = [
                    StoredBar(row[0], *(math.nan if v is None else float(v) for v in row[1:])) for row in reversed(rows)
                ]
        return out

    def read_all_bars(self, freq: str, symbols: Sequence[str] | None = None) -> pd.DataFrame:
        """Every stored bar of `freq` (optionally for some symbols), ordered by symbol then time."""
        import pandas as pd

        sql = f"SELECT symbol, {', '.join(BAR_COLUMNS)} FROM bars WHERE freq=?"
        args: list[object] = [freq]
        if symbols is not None:
            sql += f" AND symbol IN ({', '.join('?' * len(symbols))})"
            args.extend(symbols)
        rows = self._conn.execute(sql + " ORDER BY symbol, time", args).fetchall()
        frame = pd.DataFrame(rows, columns=["symbol", *BAR_COLUMNS])
        for col in _VALUE_COLUMNS:
            frame[col] = frame[col].astype(float)
        return frame

    def series(self, freq: str | None = None) -> list[SeriesSummary]:
        sql = "SELECT symbol, freq, first_time, last_time, rows FROM series"
        rows = self._conn.execute(
            sql + (" WHERE freq=?" if freq else "") + " ORDER BY freq, symbol", (freq,) if freq else ()
        ).fetchall()
        return [SeriesSummary(*r) for r in rows]

    def changes_since(self, revision: int, freq: str) -> dict[str, str]:
        """Per symbol, the earliest bar time changed by imports after `revision`."""
        rows = self._conn.execute(
            "SELECT symbol, min(changed_from) FROM bar_changes WHERE revision > ? AND freq = ? GROUP BY symbol",
            (revision, freq),
        ).fetchall()
        return {s: t for s, t in rows}

    # -- instruments, calendar, membership ---------------------------------------------------
    def ensure_instruments(self, symbols: Sequence[str], names: dict[str, str] | None = None) -> None:
        """Create instrument rows (code, exchange, board) for new symbols; keep names users gave."""
        names = names or {}
        records = []
        for sym in symbols:
            parsed = parse_symbol(sym)
            records.append(
                {
                    "symbol": sym,
                    "code": parsed.code,
                    "exchange": parsed.exchange.value,
                    "board": parsed.board.value,
                    "name": names.get(sym, ""),
                }
            )
        self._conn.executemany(
            "INSERT OR IGNORE INTO instruments (symbol, code, exchange, board, name) "
            "VALUES (:symbol, :code, :exchange, :board, :name)",
            records,
        )
        record_names(self, ((sym, name, "") for sym, name in names.items()), dt.date.today())

    def update_instruments(
        self, rows: Sequence[tuple[str, str, str | None, str | None]], today: dt.date | None = None
    ) -> int:
        """Set name and listing dates of instruments (symbol, name, list_date, delist_date); inside `transaction()`.

        A name that differs from the stored one is a rename from `today` on; the old name stays in the history.
        Returns how many names were new.
        """
        self.ensure_instruments([r[0] for r in rows])
        self._conn.executemany(
            "UPDATE instruments SET list_date=coalesce(?, list_date), delist_date=coalesce(?, delist_date) "
            "WHERE symbol=?",
            ((listed, delisted, sym) for sym, _, listed, delisted in rows),
        )
        return record_names(self, ((sym, name, "") for sym, name, _, _ in rows), today or dt.date.today())

    def instruments(self) -> list[dict[str, str]]:
        cursor = self._conn.execute("SELECT * FROM instruments ORDER BY symbol")
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor]

    def query(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """SQL on the store's connection for the few modules whose SQL is their own (writes go inside
        `transaction()`)."""
        return self._conn.execute(sql, params)

    def index_symbols(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT symbol FROM instruments WHERE board=?", (Board.INDEX.value,))}

    def add_trading_days(self, source: str, days: Iterable[str]) -> None:
        """Record trading days; call inside `transaction()`."""
        # Most imports repeat known days; filtering in memory saves a write per bar.
        known = self._known_days.get(source)
        if known is None:
            known = self._known_days[source] = set(self.trading_days(source))
        new = set(days) - known
        if new:
            self._conn.executemany(
                "INSERT OR IGNORE INTO trading_days (source, day) VALUES (?, ?)", ((source, d) for d in sorted(new))
            )
            self._pending_days.append((source, new))

    def trading_days(self, source: str | None = None) -> list[str]:
        """Sorted trading days seen in bars; `source` 'index' restricts to days seen in index bars, 'exchange'
        gives the exchange calendar known ahead (core.data.exchange_calendar), which bars-only callers never see."""
        if source:
            rows = self._conn.execute("SELECT day FROM trading_days WHERE source=? ORDER BY day", (source,))
        else:
            rows = self._conn.execute("SELECT DISTINCT day FROM trading_days WHERE source!='exchange' ORDER BY day")
        return [r[0] for r in rows]

    def trading_day_span(self) -> tuple[str, str] | None:
        """(first, last) trading day seen in bars, or None for an empty store: what callers that need only the
        ends ask, without listing every day."""
        first, last = self._conn.execute(
            "SELECT MIN(day), MAX(day) FROM trading_days WHERE source!='exchange'"
        ).fetchone()
        return None if first is None else (str(first), str(last))

    def replace_membership(self, index_name: str, intervals: Sequence[tuple[str, str, str]]) -> None:
        """Replace an index's membership intervals (symbol, start, end) whole. Call inside `transaction()`."""
        self._conn.execute("DELETE FROM index_membership WHERE index_name=?", (index_name,))
        self._conn.executemany(
            "INSERT OR REPLACE INTO index_membership (index_name, symbol, start, end) VALUES (?,?,?,?)",
            ((index_name, *iv) for iv in intervals),
        )

    def membership(self) -> dict[str, list[tuple[str, str, str]]]:
        out: dict[str, list[tuple[str, str, str]]] = {}
        for name, sym, start, end in self._conn.execute(
            "SELECT index_name, symbol, start, end FROM index_membership ORDER BY index_name, symbol, start"
        ):
            out.setdefault(name, []).append((sym, start, end))
        return out

    def log_import(
        self, revision: int, path: str, kind: str, rows: int, inserted: int, updated: int, skipped: int
    ) -> None:
        self._conn.execute(
            "INSERT INTO imports (revision, path, kind, imported_at, rows, inserted, updated, skipped) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (
                revision,
                path,
                kind,
                dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                rows,
                inserted,
                updated,
                skipped,
            ),
        )
