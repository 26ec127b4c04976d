"""The queued-order book (预埋单): orders kept in SQLite for a coming session, released at its open."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from pathlib import Path

from core.domain.orders import OrderRequest, OrderType, QueuedOrder, Side

QUEUE_FILE = "queued.sqlite"
#: The live account's book, apart from the paper one: a paper desktop never releases orders planned for QMT.
LIVE_QUEUE_FILE = "queued_live.sqlite"
QUEUED, RELEASED, CANCELLED = "queued", "released", "cancelled"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queued (
    queue_id TEXT PRIMARY KEY, session TEXT NOT NULL, client_id TEXT NOT NULL UNIQUE, symbol TEXT NOT NULL,
    side TEXT NOT NULL, qty INTEGER NOT NULL, price REAL NOT NULL, type TEXT NOT NULL, origin TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL);
"""


class QueueError(ValueError):
    """A queue operation the book refuses: an unknown id, a used client id, a change to a released order."""


class QueuedBook:
    """One connection per thread, WAL; each change one transaction, so a restart finds every queued order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        conn = self._conn()
        with conn:
            conn.executescript(_SCHEMA)
        path.chmod(0o600)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10.0)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def add(self, requests: list[OrderRequest], session: dt.date, now: dt.datetime) -> list[QueuedOrder]:
        """Queue every request or none (a client id used before refuses the whole list)."""
        made = [QueuedOrder(f"Q{uuid.uuid4().hex[:16]}", session, r, QUEUED, now) for r in requests]
        with self._lock, self._conn() as conn:
            try:
                conn.executemany("INSERT INTO queued VALUES (?,?,?,?,?,?,?,?,?,?,?)", [_row(q) for q in made])
            except sqlite3.IntegrityError:
                raise QueueError("a client id in the list is queued already") from None
        return made

    def all(self) -> list[QueuedOrder]:
        rows = self._conn().execute("SELECT * FROM queued ORDER BY created_at, rowid").fetchall()
        return [_from_row(r) for r in rows]

    def get(self, queue_id: str) -> QueuedOrder:
        row = self._conn().execute("SELECT * FROM queued WHERE queue_id = ?", (queue_id,)).fetchone()
        if row is None:
            raise QueueError(f"no queued order {queue_id}")
        return _from_row(row)

    def take(self, queue_id: str, status: str) -> QueuedOrder:
        """Move a queued order to `status`; only a queued one moves, so a release and a cancel cannot both win."""
        with self._lock, self._conn() as conn:
            moved = conn.execute(
                "UPDATE queued SET status = ? WHERE queue_id = ? AND status = ?", (status, queue_id, QUEUED)
            ).rowcount
        found = self.get(queue_id)
        if not moved:
            raise QueueError(f"queued order {queue_id} is {found.status}, no longer queued")
        return found


def _row(q: QueuedOrder) -> tuple[object, ...]:
    r = q.request
    return (
        q.queue_id,
        q.session.isoformat(),
        r.client_id,
        r.symbol,
        r.side.value,
        r.qty,
        r.price,
        r.type.value,
        r.origin,
        q.status,
        q.created_at.isoformat(),
    )


def _from_row(r: tuple[object, ...]) -> QueuedOrder:
    request = OrderRequest(
        str(r[2]), str(r[3]), Side(str(r[4])), int(str(r[5])), float(str(r[6])), OrderType(str(r[7])), str(r[8])
    )
    return QueuedOrder(
        str(r[0]), dt.date.fromisoformat(str(r[1])), request, str(r[9]), dt.datetime.fromisoformat(str(r[10]))
    )
