"""The audit chain: every step recorded with who/what/when, and any edit of the file is found."""

from __future__ import annotations

import sqlite3

import pytest

from core.domain.orders import OrderRequest, Side
from core.trading.audit import AuditLog, verify
from tests.core.trading.conftest import feed


def test_order_flow_is_audited_and_verifies(make_service, clock, ticks_600103, tmp_path) -> None:
    service = make_service()
    feed(service.broker, clock, ticks_600103[:1])
    service.submit(OrderRequest("a1", "600103.SH", Side.BUY, 100, ticks_600103[0].ask1), actor="alice")
    service.submit(OrderRequest("a2", "600103.SH", Side.BUY, 150, 2.80), actor="alice")  # refused: lot
    service.kill(actor="bob")
    entries = service.audit.entries()
    actions = [(e.actor, e.action, e.subject) for e in entries]
    assert ("alice", "order_requested", "a1") in actions
    assert ("risk", "risk_checked", "a1") in actions and ("paper", "broker_replied", "a1") in actions
    assert ("paper", "OrderFilled", "a1") in actions
    assert ("bob", "disarmed", "") in actions
    refused = next(e for e in entries if e.action == "risk_checked" and e.subject == "a2")
    assert refused.data["ok"] is False and refused.data["refusals"][0]["rule"] == "lot"  # type: ignore[index]
    assert all(e.time for e in entries)
    result = verify(tmp_path / "audit.sqlite")
    assert result.ok and result.rows == len(entries)


def test_updates_and_deletes_are_refused_by_the_table(tmp_path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    log.append("alice", "armed")
    conn = sqlite3.connect(tmp_path / "audit.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit")
    conn.close()
    log.close()


def test_a_byte_edited_row_is_found(tmp_path) -> None:
    path = tmp_path / "audit.sqlite"
    log = AuditLog(path)
    for i in range(5):
        log.append("alice", "order_requested", f"c{i}", qty=100 + i, price=2.5)
    log.close()
    # Edit the file itself, below SQLite (which the triggers cannot see): 102 shares become 902.
    raw = path.read_bytes()
    assert raw.count(b'"qty":102') == 1
    path.write_bytes(raw.replace(b'"qty":102', b'"qty":902'))
    result = verify(path)
    assert not result.ok and result.first_bad == 3 and "edited" in result.problem


def test_a_deleted_row_is_found(tmp_path) -> None:
    path = tmp_path / "audit.sqlite"
    log = AuditLog(path)
    for i in range(4):
        log.append("alice", "order_requested", f"c{i}")
    log.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_no_delete")  # someone with the file can drop the guard: the chain still tells
    conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.commit()
    conn.close()
    result = verify(path)
    assert not result.ok and result.first_bad == 2 and "missing" in result.problem
