"""Bridge access tokens: random bearer tokens, stored in the bridge config only as SHA-256 hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "bridge.json"
MIN_TOKEN_LENGTH = 20
# 32 random bytes: guessing is hopeless, so a plain SHA-256 (no slow KDF) is a sound way to store it.
_TOKEN_BYTES = 32


class TokenError(ValueError):
    """A token file that cannot be used (unreadable, empty, too short)."""


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenSetup:
    """What start-up does about tokens. `token` is known only when new or read from a file now;
    a new one becomes valid (and lands in the token file) only at `commit_token`."""

    token: str | None
    created: bool
    origin: str  # "new", "file" or "stored"
    replace_all: bool = False


class TokenStore:
    """The hashes of valid tokens, persisted in the bridge config file; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: list[dict[str, str]] = []
        self._config: dict[str, object] = {}
        if path.exists():
            try:
                config = json.loads(path.read_text(encoding="utf-8") or "{}")
            except json.JSONDecodeError as exc:
                raise TokenError(
                    f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); fix or delete the file "
                    "(deleting it revokes every token)"
                ) from None
            listed = config.get("tokens", []) if isinstance(config, dict) else None
            if not isinstance(listed, list):
                raise TokenError(f"{path}: field 'tokens' must be a list of token hashes")
            self._config = config
            self._entries = [e for e in listed if isinstance(e, dict)]

    @classmethod
    def in_dir(cls, data_dir: Path) -> TokenStore:
        return cls(data_dir / CONFIG_FILE)

    def __len__(self) -> int:
        return len(self._entries)

    def verify(self, token: str | None) -> bool:
        """True when `token` matches a stored hash; compares in constant time."""
        if not token:
            return False
        presented = hash_token(token)
        with self._lock:
            hashes = [e.get("hash", "") for e in self._entries]
        # Compare against every entry, without stopping early, so timing says nothing about which matched.
        return any([hmac.compare_digest(presented, h) for h in hashes])

    def add(self, token: str, label: str) -> None:
        entry = {
            "hash": hash_token(token),
            "label": label,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        with self._lock:
            if all(e.get("hash") != entry["hash"] for e in self._entries):
                self._entries.append(entry)
            self._save()

    def replace(self, token: str, label: str) -> None:
        """Revoke every token; `token` becomes the only valid one."""
        with self._lock:
            self._entries = []
        self.add(token, label)

    def create(self, label: str) -> str:
        """A new valid token; the caller shows it once, only its hash is kept."""
        token = new_token()
        self.add(token, label)
        return token

    def rotate(self, label: str = "rotated") -> str:
        """Revoke every token and return a single new one."""
        token = new_token()
        self.replace(token, label)
        return token

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        config = dict(self._config, tokens=self._entries)
        tmp = self.path.with_suffix(".tmp")
        # Written whole and renamed, owner-only, so a crash never leaves a half file of hashes.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(config, fh, indent=2)
        os.replace(tmp, self.path)


def read_token_file(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TokenError(f"cannot read token file {path}: {exc.strerror or exc}") from None
    if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise TokenError(f"token file {path} must hold one token of at least {MIN_TOKEN_LENGTH} characters")
    return token


def write_token_file(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")


def prepare_token(store: TokenStore, token_file: Path | None, renew: bool = False) -> TokenSetup:
    """Decide how clients will authenticate, the way a first start or a headless setup needs.

    A token file that exists supplies the token (valid at once: its owner already has it); one that
    does not exist gets a new token. Without a file, a token is made only when none is stored yet.
    `renew` makes a new token that replaces all others. New tokens wait for `commit_token`, so a
    start that fails never leaves behind a valid token nobody was shown.
    """
    if renew:
        return TokenSetup(new_token(), True, "file" if token_file else "new", replace_all=True)
    if token_file is not None:
        if token_file.exists():
            token = read_token_file(token_file)
            store.add(token, f"from {token_file.name}")
            return TokenSetup(token, False, "file")
        return TokenSetup(new_token(), True, "file")
    if len(store):
        return TokenSetup(None, False, "stored")
    return TokenSetup(new_token(), True, "new")


def commit_token(store: TokenStore, setup: TokenSetup, token_file: Path | None) -> None:
    """Make a new token valid (writing it to the token file, if any); nothing to do otherwise."""
    if not setup.created or not setup.token:
        return
    if token_file is not None:
        write_token_file(token_file, setup.token)
    label = f"written to {token_file.name}" if token_file is not None else "first start"
    if setup.replace_all:
        store.replace(setup.token, "renewed")
    else:
        store.add(setup.token, label)
