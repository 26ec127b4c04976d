"""SQLite persistence of trading state (orders, fills, positions, account), so a restart loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.domain.orders import Account, Fees, Fill, Order, OrderStatus, OrderType, Position, Side
from core.storage.per_thread import PerThread
from core.trading.audit_anchor import private_file

TRADING_FILE = "trading.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    client_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL,
    qty INTEGER NOT NULL, price REAL NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL,
    updated TEXT NOT NULL, filled_qty INTEGER NOT NULL, avg_price REAL NOT NULL, broker_id TEXT NOT NULL,
    reason TEXT NOT NULL, origin TEXT NOT NULL, reserved REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS fills (
    fill_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
    qty INTEGER NOT NULL, price REAL NOT NULL, time TEXT NOT NULL, commission REAL NOT NULL,
    stamp_duty REAL NOT NULL, transfer_fee REAL NOT NULL, broker_order_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (
    symbol TEXT PRIMARY KEY, total INTEGER NOT NULL, sellable INTEGER NOT NULL, cost REAL NOT NULL,
    last REAL NOT NULL, frozen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class TradingStore:
    """One connection per thread, WAL, each change written in one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        private_file(path)  # cash, positions and orders are nobody else's business
        self._connections = PerThread(self._open, sqlite3.Connection.close)
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def save(
        self,
        orders: Iterable[tuple[Order, float]] = (),
        fills: Iterable[Fill] = (),
        positions: Iterable[Position] = (),
        removed: Iterable[str] = (),
        state: dict[str, object] | None = None,
    ) -> None:
        """Write a set of changes atomically: all of them land, or none (a crash never half-applies a fill)."""
        conn = self._conn()
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [_order_row(o, r) for o, r in orders],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?)", [_fill_row(f) for f in fills]
            )
            conn.executemany(
                "INSERT OR REPLACE INTO positions VALUES (?,?,?,?,?,?)",
                [(p.symbol, p.total, p.sellable, p.cost, p.last, p.frozen) for p in positions],
            )
            conn.executemany("DELETE FROM positions WHERE symbol = ?", [(s,) for s in removed])
            conn.executemany(
                "INSERT OR REPLACE INTO state VALUES (?, ?)", [(k, json.dumps(v)) for k, v in (state or {}).items()]
            )

    # -- loading -----------------------------------------------------------------------------
    def orders(self) -> list[tuple[Order, float]]:
        rows = self._conn().execute("SELECT * FROM orders ORDER BY created, rowid").fetchall()
        return [(_order_from_row(r), float(r[14])) for r in rows]

    def fills(self) -> list[Fill]:
        rows = self._conn().execute("SELECT * FROM fills ORDER BY time, rowid").fetchall()
        return [
            Fill(
                r[0],
                r[1],
                r[2],
                Side(r[3]),
                int(r[4]),
                float(r[5]),
                dt.datetime.fromisoformat(r[6]),
                Fees(float(r[7]), float(r[8]), float(r[9])),
                r[10],
            )
            for r in rows
        ]

    def positions(self) -> list[Position]:
        rows = self._conn().execute("SELECT * FROM positions ORDER BY symbol").fetchall()
        return [Position(r[0], int(r[1]), int(r[2]), float(r[3]), float(r[4]), int(r[5])) for r in rows]

    def state(self) -> dict[str, Any]:  # JSON-decoded values
        return {k: json.loads(v) for k, v in self._conn().execute("SELECT key, value FROM state")}


def _order_row(o: Order, reserved: float) -> tuple[object, ...]:
    return (
        o.client_id,
        o.symbol,
        o.side.value,
        o.type.value,
        o.qty,
        o.price,
        o.status.value,
        o.created.isoformat(),
        o.updated.isoformat(),
        o.filled_qty,
        o.avg_price,
        o.broker_id,
        o.reason,
        o.origin,
        reserved,
    )


def _order_from_row(r: Sequence[Any]) -> Order:  # an SQLite row: columns are untyped
    return Order(
        client_id=str(r[0]),
        symbol=str(r[1]),
        side=Side(r[2]),
        type=OrderType(r[3]),
        qty=int(r[4]),
        price=float(r[5]),
        status=OrderStatus(r[6]),
        created=dt.datetime.fromisoformat(str(r[7])),
        updated=dt.datetime.fromisoformat(str(r[8])),
        filled_qty=int(r[9]),
        avg_price=float(r[10]),
        broker_id=str(r[11]),
        reason=str(r[12]),
        origin=str(r[13]),
    )


def _fill_row(f: Fill) -> tuple[object, ...]:
    return (
        f.fill_id,
        f.client_id,
        f.symbol,
        f.side.value,
        f.qty,
        f.price,
        f.time.isoformat(),
        f.fees.commission,
        f.fees.stamp_duty,
        f.fees.transfer_fee,
        f.broker_order_id,
    )


def account_from_state(state: Mapping[str, Any], default_cash: float) -> Account:  # JSON-decoded values
    return Account(
        cash=float(state.get("cash", default_cash)),
        frozen=float(state.get("frozen", 0.0)),
        account_id=str(state.get("account_id", "paper")),
    )
