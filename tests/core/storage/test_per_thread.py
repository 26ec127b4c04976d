"""PerThread: each thread its own SQLite connection, reused on that thread, closed by that thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from core.storage.per_thread import PerThread


def _connections(path: Path) -> PerThread[sqlite3.Connection]:
    return PerThread(lambda: sqlite3.connect(path), sqlite3.Connection.close)


def test_each_thread_gets_its_own_connection_and_keeps_it(tmp_path: Path) -> None:
    conns = _connections(tmp_path / "t.sqlite")
    main = conns.get()
    assert conns.get() is main
    seen: list[sqlite3.Connection] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            conn = conns.get()
            conn.execute("SELECT 1").fetchone()  # usable here: it was opened on this thread
            seen.extend([conn, conns.get()])
            conns.close()
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(seen[i] is seen[i + 1] for i in range(0, len(seen), 2))
    assert len({id(c) for c in seen[::2]} | {id(main)}) == 5


def test_close_closes_the_callers_connection_and_the_next_get_opens_a_fresh_one(tmp_path: Path) -> None:
    conns = _connections(tmp_path / "t.sqlite")
    first = conns.get()
    conns.close()
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")
    second = conns.get()
    assert second is not first and second.execute("SELECT 1").fetchone() == (1,)
    conns.close()
    conns.close()  # closing twice is harmless
