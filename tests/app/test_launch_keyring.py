"""The OS keyring stays off the launch: the audit log's signing key is fetched on a worker once the window is
up, and a screenshot run never asks for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.compat import properties
from PySide6.QtWidgets import QApplication

import app.desktop as desktop
from app.desktop import run_desktop
from core.trading.audit_anchor import AUDIT_KEY_SERVICE
from tests.app.desktop_driver import run_desktop_driven
from tests.fakes.memory_keyring import MemoryKeyring, keyring_in_use
from widgets.main_window import MainWindow


class _WatchedKeyring(MemoryKeyring):
    """Records, for each lookup, its thread and whether a main window was on screen then. Never viable, so
    keyring never picks it on its own for another test."""

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 (a class property)
        raise RuntimeError("set explicitly by the test only")

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[tuple[str, str, bool]] = []
        self.looked_up = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        shown = any(isinstance(w, MainWindow) and w.isVisible() for w in QApplication.topLevelWidgets())
        self.lookups.append((service, threading.current_thread().name, shown))
        self.looked_up.set()
        return super().get_password(service, username)


@pytest.fixture()
def watched_keyring() -> Iterator[_WatchedKeyring]:
    with keyring_in_use(_WatchedKeyring()) as backend:
        yield backend


def test_the_audit_key_is_fetched_on_a_worker_after_the_window_is_up(
    qapp: QApplication, tmp_path: Path, watched_keyring: _WatchedKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desktop, "_KEY_WARM_DELAY_S", 0.0)

    def close_once_the_key_was_asked_for(window: MainWindow) -> None:
        if watched_keyring.looked_up.is_set():
            window.close()

    assert run_desktop_driven(close_once_the_key_was_asked_for, tmp_path, True, interval_ms=20) == 0
    assert watched_keyring.lookups[0] == (AUDIT_KEY_SERVICE, "audit key", True)
    assert [s for s in watched_keyring.secrets if s[0] == AUDIT_KEY_SERVICE]  # made once, kept in the keyring


def test_a_screenshot_run_never_asks_the_keyring(
    qapp: QApplication, tmp_path: Path, watched_keyring: _WatchedKeyring
) -> None:
    assert run_desktop(tmp_path / "data", True, "en", tmp_path / "shot.png") == 0
    assert watched_keyring.lookups == []
    assert watched_keyring.secrets == {}  # no key left behind for a scratch store's log
