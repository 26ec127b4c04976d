"""The audit log's external anchor: an HMAC key kept outside the log and a signed head (row count + last hash).

The hash chain alone cannot show rows cut from the end, a wiped table, or a chain re-hashed after an edit:
whoever can write the file can rebuild it. The head, signed with a key from the OS keyring (or, where no
keyring exists, a 0600 key file — a weaker home, and `audit verify` says so), pins how long the log was and
how it ended, so those changes no longer verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from core.secrets import SecretStore, SecretStoreUnavailable

AUDIT_KEY_SERVICE = "QDesk Audit"


@dataclass(frozen=True, slots=True)
class AnchorKey:
    key: bytes
    where: str  # said to the user by `audit verify`


def head_path(log: Path) -> Path:
    return log.with_name(log.name + ".head")


def key_file(log: Path) -> Path:
    return log.with_name(log.name + ".key")


def private_file(path: Path) -> None:
    """Create `path` readable by its owner only (0600), or narrow an existing file to that."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def anchor_key(log: Path, store: SecretStore | None = None, create: bool = True) -> AnchorKey | None:
    """The log's key: from the OS keyring when there is one, else from a 0600 key file beside it."""
    store = store or SecretStore(AUDIT_KEY_SERVICE)
    account = str(log.resolve())
    if store.available():
        try:
            found = store.get(account)
            if found is None and create:
                found = secrets.token_hex(32)
                store.set(account, found)
            if found is not None:
                return AnchorKey(bytes.fromhex(found), "OS keyring")
        except SecretStoreUnavailable:
            pass
    path = key_file(log)
    if not path.exists():
        if not create:
            return None
        _create_key_file(path)
    return AnchorKey(
        bytes.fromhex(path.read_text(encoding="ascii").strip()),
        f"key file {path} (no OS keyring on this machine: anyone who can read that file can re-sign the log)",
    )


def _create_key_file(path: Path) -> None:
    """Make the key file whole or not at all: a process killed while writing it must not leave an empty or
    half key that later heads would be signed with. The key a concurrent writer put there first is kept."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    private_file(tmp)
    try:
        with open(tmp, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)  # fails if the file exists: never replaces a key already in use
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _mac(key: bytes, rows: int, last_hash: str) -> str:
    return hmac.new(key, f"{rows}:{last_hash}".encode(), hashlib.sha256).hexdigest()


def write_head(log: Path, key: bytes, rows: int, last_hash: str) -> None:
    """Replace the signed head atomically (a crash leaves the old head or the new one, never half of one)."""
    path = head_path(log)
    tmp = path.with_name(path.name + ".tmp")
    private_file(tmp)
    tmp.write_text(json.dumps({"rows": rows, "last_hash": last_hash, "mac": _mac(key, rows, last_hash)}))
    os.replace(tmp, path)


def check_head(log: Path, key: bytes, rows: int, last_hash: str) -> str:
    """Why the log does not match its signed head, or "" when it does."""
    path = head_path(log)
    if not path.exists():
        return "" if rows == 0 else f"its signed head {path.name} is missing"
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
        signed_rows, signed_hash, mac = int(head["rows"]), str(head["last_hash"]), str(head["mac"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"its signed head {path.name} cannot be read"
    if not hmac.compare_digest(mac, _mac(key, signed_rows, signed_hash)):
        return "its signed head does not carry a valid signature (forged, or signed with another key)"
    if rows < signed_rows:
        return f"{signed_rows - rows} row(s) were removed from the end (the signed head counts {signed_rows})"
    if rows > signed_rows:
        return f"{rows - signed_rows} row(s) were added without being signed"
    if last_hash != signed_hash:
        return "the chain was rebuilt: its last hash differs from the signed head (rows edited and re-hashed)"
    return ""
