"""Secrets (bridge tokens) in the OS keyring — never in a plain file, and a clear message when there is none."""

from __future__ import annotations

import contextlib
from typing import Any

# Keyring service under which bridge tokens are kept, one entry per bridge URL.
BRIDGE_TOKEN_SERVICE = "QDesk Bridge"
NO_KEYRING = (
    "no OS keyring is available to keep the bridge token safe (macOS Keychain, Windows Credential Manager, "
    "or on Linux a Secret Service such as GNOME Keyring or KWallet, unlocked); QDesk never writes tokens "
    "to plain files, so the token was not saved"
)


class SecretStoreUnavailable(RuntimeError):
    """The OS keyring is missing or locked; the message says what the user can do."""


class SecretStore:
    """Named secrets under one keyring service, e.g. ("QDesk Bridge", "http://10.0.0.5:8765")."""

    def __init__(self, service: str, backend: Any | None = None) -> None:
        self.service = service
        self._backend = backend

    def _keyring(self) -> Any:
        import keyring
        from keyring.backends import fail

        backend = self._backend if self._backend is not None else keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            raise SecretStoreUnavailable(NO_KEYRING)
        return backend

    def available(self) -> bool:
        try:
            self._keyring()
        except SecretStoreUnavailable:
            return False
        return True

    def get(self, account: str) -> str | None:
        try:
            return self._keyring().get_password(self.service, account)
        except SecretStoreUnavailable:
            return None
        except Exception as exc:  # locked keyring, denied access
            raise SecretStoreUnavailable(f"{NO_KEYRING} ({exc})") from exc

    def set(self, account: str, secret: str) -> None:
        try:
            self._keyring().set_password(self.service, account, secret)
        except SecretStoreUnavailable:
            raise
        except Exception as exc:
            raise SecretStoreUnavailable(f"{NO_KEYRING} ({exc})") from exc

    def delete(self, account: str) -> None:
        with contextlib.suppress(Exception):  # nothing stored is the same outcome as deleted
            self._keyring().delete_password(self.service, account)
