"""Settings dialog: token to the keyring (never the file), validation, live colours, keyring missing."""

from __future__ import annotations

import json
from pathlib import Path

from keyring.backends import fail
from pytestqt.qtbot import QtBot

from app.settings_presenter import SettingsPresenter
from core.secrets import SecretStore
from core.settings import AppSettings, load_settings
from tests.fakes.memory_keyring import MemoryKeyring


def make(qtbot: QtBot, tmp_path: Path, backend: object) -> tuple[SettingsPresenter, list[AppSettings]]:
    from PySide6.QtCore import QObject

    parent = QObject()
    applied: list[AppSettings] = []
    presenter = SettingsPresenter(
        parent, AppSettings(), tmp_path / "settings.json", SecretStore("QDesk Bridge", backend), applied.append
    )
    presenter._test_parent = parent  # type: ignore[attr-defined]  (keep the parent alive)
    dialog = presenter.open()
    qtbot.addWidget(dialog)
    return presenter, applied


def test_token_goes_to_the_keyring_and_never_into_the_settings_file(qtbot: QtBot, tmp_path: Path) -> None:
    backend = MemoryKeyring()
    presenter, applied = make(qtbot, tmp_path, backend)
    dialog = presenter.dialog
    assert dialog is not None
    dialog.url_edit.setText("https://192.168.1.20:8765")
    dialog.token_edit.setText("s3cret-token")
    dialog.colour_box.setCurrentIndex(1)
    dialog.sig_save_requested.emit(dialog.form())
    assert backend.secrets == {("QDesk Bridge", "https://192.168.1.20:8765"): "s3cret-token"}
    text = (tmp_path / "settings.json").read_text()
    assert "s3cret-token" not in text and json.loads(text)["bridge_url"] == "https://192.168.1.20:8765"
    assert applied[-1].red_up is False and load_settings(tmp_path / "settings.json").red_up is False
    assert not dialog.isVisible()  # Save closes the dialog ...
    notice = presenter.notice
    assert notice is not None and "next start" in notice.text()  # ... and says a new bridge applies on restart
    notice.close()


def test_bad_url_and_missing_keyring_are_explained_and_nothing_is_saved(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, applied = make(qtbot, tmp_path, fail.Keyring())
    dialog = presenter.dialog
    assert dialog is not None
    assert "No OS keyring" in dialog.message.text()
    dialog.url_edit.setText("192.168.1.20:8765")
    dialog.sig_save_requested.emit(dialog.form())
    assert "http://" in dialog.message.text()
    dialog.url_edit.setText("https://192.168.1.20:8765")
    dialog.token_edit.setText("tok")
    dialog.sig_save_requested.emit(dialog.form())
    assert "never writes tokens to plain files" in dialog.message.text()
    assert applied == [] and not (tmp_path / "settings.json").exists()


def test_colour_change_alone_applies_and_closes(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, applied = make(qtbot, tmp_path, MemoryKeyring())
    dialog = presenter.dialog
    assert dialog is not None
    dialog.theme_box.setCurrentIndex(1)
    dialog.sig_save_requested.emit(dialog.form())
    assert applied[-1].theme == "dark" and dialog.result() == dialog.DialogCode.Accepted
