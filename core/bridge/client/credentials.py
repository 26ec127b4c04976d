"""Bridge tokens in the OS keyring: service "QDesk Bridge", one entry per bridge URL, as the settings keep them."""

from __future__ import annotations

import logging
from typing import Any

from core.bridge import KEYRING_SERVICE
from core.secrets import SecretStore, SecretStoreUnavailable

log = logging.getLogger(__name__)


def _accounts(url: str) -> list[str]:
    # The settings dialog stores the URL as typed; a trailing slash must not hide the token.
    bare = url.rstrip("/")
    return [url] + [u for u in (bare, bare + "/") if u != url]


def load_token(url: str, backend: Any | None = None) -> str | None:
    """The stored token of the bridge at `url`, or None when none is stored or no keyring is usable."""
    store = SecretStore(KEYRING_SERVICE, backend)
    for account in _accounts(url):
        try:
            token = store.get(account)
        except SecretStoreUnavailable as exc:
            log.warning("%s", exc)
            return None
        if token:
            return token
    return None


def save_token(url: str, token: str, backend: Any | None = None) -> None:
    """Keep `token` for `url`; raises SecretStoreUnavailable when there is no usable keyring."""
    SecretStore(KEYRING_SERVICE, backend).set(url.rstrip("/"), token)


def delete_token(url: str, backend: Any | None = None) -> None:
    store = SecretStore(KEYRING_SERVICE, backend)
    for account in _accounts(url):
        store.delete(account)
