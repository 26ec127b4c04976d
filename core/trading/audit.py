"""Append-only, hash-chained audit log in SQLite: every order request, risk decision, broker reply, arm/disarm.

Each row's hash covers the previous row's hash and the canonical JSON of the row, so editing,
deleting or reordering any row breaks the chain from that row on, and `verify` finds the first one.
A signed head kept apart from the log (core.trading.audit_anchor) catches what a chain cannot: rows cut
from the end, a wiped table, a chain re-hashed after an edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.secrets import SecretStore
from core.storage.per_thread import PerThread
from core.trading.audit_anchor import anchor_key, check_head, head_path, private_file, write_head

AUDIT_FILE = "audit.sqlite"
GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def canonical(value: object) -> str:
    """JSON with sorted keys and no spaces: the same content always hashes the same."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(prev_hash: str, seq: int, time: str, actor: str, action: str, subject: str, data: str) -> str:
    body = canonical(
        {"seq": seq, "time": time, "actor": actor, "action": action, "subject": subject, "data": json.loads(data)}
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    time: str
    actor: str
    action: str
    subject: str
    data: dict[str, object]
    hash: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    rows: int
    first_bad: int | None = None
    problem: str = ""
    anchor: str = ""  # where the signing key lives


class AuditLog:
    """Writers on any thread; one connection per thread; appends are serialized so the chain stays linear."""

    def __init__(self, path: Path, secrets: SecretStore | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = PerThread(self._open, sqlite3.Connection.close)
        private_file(path)
        self._lock = threading.Lock()
        self._secrets = secrets
        self._key: bytes | None = None
        self._key_lock = threading.Lock()
        with self._conn() as conn:
            conn.executescript(_SCHEMA)
        for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if side.exists():
                side.chmod(0o600)
        last = self._conn().execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if last is not None and not head_path(path).exists():
            write_head(path, self.signing_key(), int(last[0]), str(last[1]))  # a log kept before heads were signed

    def signing_key(self) -> bytes:
        """The head's signing key, found (or made) at first need and kept: asking the OS keyring costs a D-Bus
        round trip or a Keychain prompt, which opening the log (the window's launch) should not wait on. Callers
        that must not wait at their first write ask for it ahead, on a worker."""
        with self._key_lock:
            if self._key is None:
                found = anchor_key(self.path, self._secrets)
                assert found is not None  # create=True always yields a key
                self._key = found.key
            return self._key

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed row survives a power cut too; orders come at human rates, the fsync is cheap.
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def append(self, actor: str, action: str, subject: str = "", **data: object) -> AuditEntry:
        """Record one fact (who, what, about which order) with its details; returns the stored entry."""
        time = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        payload = canonical(data)
        key = self.signing_key()  # before the write lock: a slow keyring must not hold other writers
        with self._lock:
            conn = self._conn()
            # BEGIN IMMEDIATE takes the write lock before reading the tail, so two processes
            # appending to one file cannot both chain onto the same previous row.
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                digest = row_hash(prev, seq, time, actor, action, subject, payload)
                conn.execute(
                    "INSERT INTO audit VALUES (?,?,?,?,?,?,?,?)",
                    (seq, time, actor, action, subject, payload, prev, digest),
                )
                # Signed while the write lock is held, so heads land in the order rows do.
                write_head(self.path, key, seq, digest)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return AuditEntry(seq, time, actor, action, subject, json.loads(payload), digest)

    def last_of(self, actions: Sequence[str]) -> AuditEntry | None:
        """The newest entry whose action is one of `actions` (e.g. the last arm or disarm), if any."""
        marks = ", ".join("?" * len(actions))
        row = (
            self._conn()
            .execute(
                f"SELECT seq, time, actor, action, subject, data, hash FROM audit WHERE action IN ({marks}) "
                "ORDER BY seq DESC LIMIT 1",
                tuple(actions),
            )
            .fetchone()
        )
        return None if row is None else AuditEntry(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6])

    def entries(self, subject: str | None = None) -> list[AuditEntry]:
        sql = "SELECT seq, time, actor, action, subject, data, hash FROM audit"
        rows = (
            self._conn()
            .execute(
                sql + (" WHERE subject = ? ORDER BY seq" if subject else " ORDER BY seq"), (subject,) if subject else ()
            )
            .fetchall()
        )
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows]


def _rows(path: Path) -> Iterator[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield from conn.execute(
            "SELECT seq, time, actor, action, subject, data, prev_hash, hash FROM audit ORDER BY seq"
        )
    finally:
        conn.close()


def verify(path: Path, secrets: SecretStore | None = None) -> VerifyResult:
    """Walk the chain from the first row (the first row whose link or hash does not hold), then check the
    row count and the last hash against the signed head."""
    if not path.exists():
        raise FileNotFoundError(f"no audit log at {path}")
    result = _walk(path)
    if not result.ok:
        return result
    key = anchor_key(path, secrets, create=False)
    if key is None:
        return VerifyResult(False, result.rows, None, "no signing key for this log was found", "")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        last = conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    problem = check_head(path, key.key, result.rows, str(last[0]) if last else "")
    if problem:
        return VerifyResult(False, result.rows, result.rows + 1 if "removed" in problem else None, problem, key.where)
    return VerifyResult(True, result.rows, anchor=key.where)


def _walk(path: Path) -> VerifyResult:
    prev, expected_seq, count = GENESIS, 1, 0
    try:
        for seq, time, actor, action, subject, data, prev_hash, digest in _rows(path):
            count += 1
            if seq != expected_seq:
                return VerifyResult(False, count, int(expected_seq), f"row {expected_seq} is missing")
            if prev_hash != prev:
                return VerifyResult(False, count, int(seq), "its link to the previous row does not match")
            try:
                actual = row_hash(
                    str(prev_hash),
                    int(seq),
                    str(time),
                    str(actor),
                    str(action),
                    str(subject),
                    str(data),
                )
            except ValueError:
                return VerifyResult(False, count, int(seq), "its data is not valid JSON")
            if actual != digest:
                return VerifyResult(False, count, int(seq), "its content does not match its hash (edited)")
            prev, expected_seq = str(digest), expected_seq + 1
    except sqlite3.DatabaseError as exc:
        return VerifyResult(False, count, count + 1, f"the file cannot be read as an audit log: {exc}")
    return VerifyResult(True, count)
