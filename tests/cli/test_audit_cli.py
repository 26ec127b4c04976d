"""`python main.py audit verify` in a real process: OK on an intact log, exit 1 naming the edited row."""

from __future__ import annotations

from pathlib import Path

from keyring.backends import fail

from core.secrets import SecretStore
from core.trading.audit import AuditLog
from core.trading.audit_anchor import AUDIT_KEY_SERVICE
from tests.cli.test_data_cli import qdesk


def _log(data: Path, rows: int) -> Path:
    # The child process sees no OS keyring here: the log is signed with the 0600 key file it will find too.
    log = AuditLog(data / "audit.sqlite", SecretStore(AUDIT_KEY_SERVICE, fail.Keyring()))
    for i in range(rows):
        log.append("alice", "order_requested", f"c{i}", qty=100 + i)
    log.close()
    return data / "audit.sqlite"


def test_verify_ok_then_broken(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    ok = qdesk(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 3 row(s)"), ok.stderr
    path.write_bytes(path.read_bytes().replace(b'"qty":101', b'"qty":909'))
    broken = qdesk(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "BROKEN: row 2" in broken.stdout


def test_verify_without_a_log_is_one_line_error(tmp_path: Path) -> None:
    result = qdesk(tmp_path, "audit", "verify")
    assert result.returncode == 2 and "no audit log at" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help(tmp_path: Path) -> None:
    assert "usage:" in qdesk(tmp_path, "audit", "verify", "--help").stdout
