"""The audit log's external anchor: tail truncation, a wiped table, a dropped trigger with an edit and a full
re-hash, a missing or forged head all fail `verify`; the key lives in the OS keyring, else a 0600 key file."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from keyring.backends import fail

from app.cli import main
from core.secrets import SecretStore
from core.trading.audit import GENESIS, AuditLog, row_hash, verify
from core.trading.audit_anchor import AUDIT_KEY_SERVICE, anchor_key, head_path, key_file
from core.trading.store import TradingStore
from tests.fakes.memory_keyring import MemoryKeyring

REPO = Path(__file__).resolve().parents[3]


def _log(path: Path, store: SecretStore | None = None, rows: int = 5) -> None:
    log = AuditLog(path, store)
    for i in range(rows):
        log.append("alice", "order_requested", f"c{i}", qty=100 + i, price=2.5)
    log.close()


def _tamper(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_removing_the_last_rows_is_found(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    _log(path)
    assert verify(path).ok
    _tamper(path, "DELETE FROM audit WHERE seq >= 4")
    result = verify(path)
    assert not result.ok and "2 row(s) were removed from the end" in result.problem


def test_wiping_the_table_is_found(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    _log(path)
    _tamper(path, "DELETE FROM audit")
    result = verify(path)
    assert not result.ok and "5 row(s) were removed" in result.problem


def test_an_edit_with_the_whole_chain_rehashed_is_found(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    _log(path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_no_update")
    rows = conn.execute("SELECT seq, time, actor, action, subject, data FROM audit ORDER BY seq").fetchall()
    prev = GENESIS
    for seq, time, actor, action, subject, data in rows:
        if seq == 2:
            data = data.replace('"qty":101', '"qty":901')
        digest = row_hash(prev, seq, time, actor, action, subject, data)
        conn.execute("UPDATE audit SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?", (data, prev, digest, seq))
        prev = digest
    conn.commit()
    conn.close()
    result = verify(path)
    assert not result.ok and "chain was rebuilt" in result.problem


def test_a_missing_or_forged_head_is_found(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    _log(path)
    head = json.loads(head_path(path).read_text())
    _tamper(path, "DELETE FROM audit WHERE seq = 5")
    forged = {"rows": 4, "last_hash": head["last_hash"], "mac": "0" * 64}
    head_path(path).write_text(json.dumps(forged))
    assert "valid signature" in verify(path).problem
    head_path(path).unlink()
    assert "signed head audit.sqlite.head is missing" in verify(path).problem


def test_the_key_lives_in_the_os_keyring_when_there_is_one(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = SecretStore(AUDIT_KEY_SERVICE, backend)
    path = tmp_path / "audit.sqlite"
    _log(path, store)
    assert not key_file(path).exists() and len(backend.secrets) == 1
    result = verify(path, store)
    assert result.ok and result.anchor == "OS keyring"
    assert not verify(path, SecretStore(AUDIT_KEY_SERVICE, MemoryKeyring())).ok  # another machine's keyring


def test_without_a_keyring_the_key_file_and_every_state_file_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    no_keyring = SecretStore(AUDIT_KEY_SERVICE, fail.Keyring())
    _log(path, no_keyring)
    store = TradingStore(tmp_path / "trading.sqlite")
    store.close()
    for f in (path, key_file(path), head_path(path), tmp_path / "trading.sqlite"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    result = verify(path, no_keyring)
    assert result.ok and "no OS keyring" in result.anchor


def test_audit_verify_finds_the_demo_log_and_reports_a_cut_tail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _log(tmp_path / "demo" / "audit.sqlite", rows=3)
    assert main(["--data-dir", str(tmp_path), "audit", "verify"]) == 0
    assert "OK: 3 row(s)" in capsys.readouterr().out
    _tamper(tmp_path / "demo" / "audit.sqlite", "DELETE FROM audit WHERE seq = 3")
    assert main(["--data-dir", str(tmp_path), "audit", "verify"]) == 1
    assert "removed from the end" in capsys.readouterr().out


class _CountingKeyring:
    """Counts lookups and holds each until released: a slow OS keyring (D-Bus, a Keychain prompt). Not a
    KeyringBackend subclass, which keyring would register as a backend for every later test."""

    def __init__(self) -> None:
        self.memory = MemoryKeyring()
        self.secrets = self.memory.secrets
        self.lookups = 0
        self.release = threading.Event()
        self.entered = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.lookups += 1
        self.entered.set()
        assert self.release.wait(10), "the test never released the keyring"
        return self.memory.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.memory.set_password(service, username, password)


def test_opening_the_log_leaves_the_keyring_alone_until_the_first_write(tmp_path: Path) -> None:
    backend = _CountingKeyring()
    log = AuditLog(tmp_path / "audit.sqlite", SecretStore(AUDIT_KEY_SERVICE, backend))
    assert backend.lookups == 0 and log.entries() == [] and not key_file(tmp_path / "audit.sqlite").exists()
    backend.release.set()
    log.append("alice", "armed")
    assert backend.lookups == 1 and len(backend.secrets) == 1
    log.close()


def test_parallel_first_writes_ask_the_keyring_once_and_chain_in_order(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    backend = _CountingKeyring()
    store = SecretStore(AUDIT_KEY_SERVICE, backend)
    log = AuditLog(path, store)
    writers = [
        threading.Thread(target=log.append, args=("alice", "order_requested", f"c{i}"), kwargs={"qty": 100})
        for i in range(8)
    ]
    for writer in writers:
        writer.start()
    assert backend.entered.wait(10)
    backend.release.set()  # every writer is now waiting on the one lookup in flight, or on the log
    for writer in writers:
        writer.join(10)
    assert backend.lookups == 1
    assert sorted(e.subject for e in log.entries()) == [f"c{i}" for i in range(8)]
    log.close()
    result = verify(path, store)
    assert result.ok and result.rows == 8 and result.anchor == "OS keyring"


def test_a_log_written_before_heads_were_signed_gets_its_head_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    store = SecretStore(AUDIT_KEY_SERVICE, MemoryKeyring())
    _log(path, store, rows=2)
    head_path(path).unlink()
    AuditLog(path, store).close()
    assert verify(path, store).ok


def test_a_process_killed_while_making_the_key_file_leaves_no_key_behind(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    child = (
        "import os, secrets, sys\n"
        "from pathlib import Path\n"
        "from keyring.backends import fail\n"
        "from core.secrets import SecretStore\n"
        "from core.trading.audit_anchor import AUDIT_KEY_SERVICE, anchor_key\n"
        "secrets.token_hex = lambda n: os._exit(9)  # killed while the key is being made\n"
        "anchor_key(Path(sys.argv[1]), SecretStore(AUDIT_KEY_SERVICE, fail.Keyring()))\n"
    )
    done = subprocess.run([sys.executable, "-c", child, str(path)], cwd=REPO, capture_output=True, timeout=60)
    assert done.returncode == 9, done.stderr
    assert not key_file(path).exists()  # never an empty key that later heads would be signed with
    no_keyring = SecretStore(AUDIT_KEY_SERVICE, fail.Keyring())
    _log(path, no_keyring, rows=2)
    assert len(key_file(path).read_text(encoding="ascii")) == 64 and verify(path, no_keyring).ok


def test_writers_making_the_key_file_at_once_all_sign_with_one_key(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    no_keyring = SecretStore(AUDIT_KEY_SERVICE, fail.Keyring())
    start = threading.Barrier(8)
    keys: list[bytes] = []

    def make() -> None:
        start.wait(10)
        found = anchor_key(path, no_keyring)
        assert found is not None
        keys.append(found.key)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [key_file(path).name]  # no scratch files left
