"""Token scopes for trading: a bridge token reads by default; only tokens granted the trade scope may trade.

The grants are kept apart from the token list (trade_tokens.json beside bridge.json), as SHA-256 hashes,
so a leaked read-only token, or a copy of the bridge config, can never place an order.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
from pathlib import Path

from core.bridge.auth import TokenStore, hash_token

SCOPES_FILE = "trade_tokens.json"
TRADE = "trade"


class TradeScopes:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._hashes: list[str] = []
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8") or "{}")
            self._hashes = [h for h in data.get(TRADE, []) if isinstance(h, str)]

    @classmethod
    def in_dir(cls, data_dir: Path) -> TradeScopes:
        return cls(data_dir / SCOPES_FILE)

    def allows_trade(self, token: str | None) -> bool:
        if not token:
            return False
        presented = hash_token(token)
        with self._lock:
            hashes = list(self._hashes)
        return any([hmac.compare_digest(presented, h) for h in hashes])

    def grant(self, token: str) -> None:
        with self._lock:
            digest = hash_token(token)
            if digest not in self._hashes:
                self._hashes.append(digest)
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({TRADE: self._hashes}, fh, indent=2)
        os.replace(tmp, self.path)


def create_trade_token(tokens: TokenStore, scopes: TradeScopes, label: str = "trading") -> str:
    """A new bridge token that may also trade; shown once, only hashes are kept."""
    token = tokens.create(label)
    scopes.grant(token)
    return token
