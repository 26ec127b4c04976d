"""Bridge access tokens: random bearer tokens, stored in the bridge config only as SHA-256 hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
CONFIG_FILE = "bridge.json"
MIN_TOKEN_LENGTH = 32
MIN_DISTINCT_CHARS = 12  # a token of few distinct characters ("aaaa...", "12121212...") is guessable
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
        self._stamp = self._file_stamp()
        self._load()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _reload_if_changed(self) -> None:
        """Take in a revocation made by `bridge tokens revoke` while this bridge runs."""
        stamp = self._file_stamp()
        if stamp != self._stamp and stamp is not None:
            with self._lock:
                try:
                    self._load()
                except TokenError as exc:  # keep what was valid rather than lock everyone out
                    log.warning("%s; keeping the tokens read before", exc)
                self._stamp = stamp

    def _load(self) -> None:
        path = self.path
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
        self._reload_if_changed()
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

    def entries(self) -> list[dict[str, str]]:
        """Each token as `id` (the start of its hash, enough to name it), `label` and `created`."""
        with self._lock:
            return [
                {"id": e.get("hash", "").removeprefix("sha256:")[:12], "label": e.get("label", ""), **_created(e)}
                for e in self._entries
            ]

    def revoke(self, token_id: str) -> str:
        """Revoke the one token whose id starts with `token_id`; its label, or TokenError saying why not."""
        wanted = token_id.strip().lower()
        with self._lock:
            found = [
                e for e in self._entries if wanted and e.get("hash", "").removeprefix("sha256:").startswith(wanted)
            ]
            if len(found) != 1:
                why = "no token has" if not found else f"{len(found)} tokens have"
                raise TokenError(f"{why} the id {token_id!r}; `bridge tokens list` shows the ids")
            self._entries.remove(found[0])
            self._save()
        return found[0].get("label", "")

    def replace_labelled(self, token: str, label: str) -> None:
        """Make `token` the one valid token with `label`, revoking the others of that label (an edited token
        file revokes the token it held before)."""
        with self._lock:
            self._entries = [e for e in self._entries if e.get("label") != label or e.get("hash") == hash_token(token)]
        self.add(token, label)

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
        self._stamp = self._file_stamp()


def _created(entry: dict[str, str]) -> dict[str, str]:
    return {"created": entry.get("created", "")}


def file_label(path: Path) -> str:
    """The label of the token a token file supplies: one per file, so a new token there revokes the old."""
    return f"file {path}"


def read_token_file(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
        mode = path.stat().st_mode
    except OSError as exc:
        raise TokenError(f"cannot read token file {path}: {exc.strerror or exc}") from None
    if os.name != "nt" and mode & 0o077:
        raise TokenError(
            f"token file {path} can be read by other users (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )
    if len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
        raise TokenError(f"token file {path} must hold one token of at least {MIN_TOKEN_LENGTH} characters")
    if len(set(token)) < MIN_DISTINCT_CHARS:
        raise TokenError(
            f"token in {path} is too easy to guess ({len(set(token))} distinct characters); delete the file and the "
            "bridge writes a random one there"
        )
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
            store.replace_labelled(token, file_label(token_file))  # a replaced file's old token stops working
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
    if setup.replace_all:
        store.replace(setup.token, file_label(token_file) if token_file is not None else "renewed")
    elif token_file is not None:
        store.replace_labelled(setup.token, file_label(token_file))
    else:
        store.add(setup.token, "first start")
