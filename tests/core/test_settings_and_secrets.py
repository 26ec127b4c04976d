"""Settings file handling and secrets in the keyring (never in a file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail

from core.paths import resolve_data_dir
from core.secrets import SecretStore, SecretStoreUnavailable
from core.settings import AppSettings, config_dir, load_settings, save_settings
from tests.fakes.memory_keyring import MemoryKeyring


def test_settings_round_trip_and_bad_files_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert load_settings(path) == AppSettings()
    saved = AppSettings(bridge_url="https://10.0.0.5:8765", red_up=False, theme="dark", language="zh_CN")
    save_settings(path, saved)
    assert load_settings(path) == saved
    path.write_text('{"theme": "neon", "language": "fr", "bridge_url": "ftp://x", "red_up": "yes", "extra": 1}')
    assert load_settings(path) == AppSettings()
    path.write_text("[1, 2")
    assert load_settings(path) == AppSettings()


def test_config_dir_per_os_and_override() -> None:
    assert config_dir({"HOME": "/h"}, "linux") == Path("/h/.config/QDesk")
    assert config_dir({"HOME": "/h"}, "darwin") == Path("/h/Library/Preferences/QDesk")
    assert config_dir({"QDESK_CONFIG_DIR": "/c"}, "linux") == Path("/c")


def test_configured_data_dir_sits_between_environment_and_default(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert resolve_data_dir(None, env, configured=str(tmp_path / "cfg")) == tmp_path / "cfg"
    env["QDESK_DATA_DIR"] = str(tmp_path / "env")
    assert resolve_data_dir(None, env, configured=str(tmp_path / "cfg")) == tmp_path / "env"


def test_secret_store_uses_the_keyring() -> None:
    backend = MemoryKeyring()
    secrets = SecretStore("QDesk Bridge", backend)
    secrets.set("https://10.0.0.5:8765", "tok-123")
    assert backend.secrets == {("QDesk Bridge", "https://10.0.0.5:8765"): "tok-123"}
    assert secrets.get("https://10.0.0.5:8765") == "tok-123"
    secrets.delete("https://10.0.0.5:8765")
    secrets.delete("https://10.0.0.5:8765")  # deleting twice is fine
    assert secrets.get("https://10.0.0.5:8765") is None


def test_no_keyring_backend_gives_a_clear_refusal(tmp_path: Path) -> None:
    secrets = SecretStore("QDesk Bridge", fail.Keyring())
    with pytest.raises(SecretStoreUnavailable, match="never writes tokens to plain files"):
        secrets.set("https://10.0.0.5:8765", "tok")
    assert not secrets.available() and secrets.get("https://10.0.0.5:8765") is None
    assert list(tmp_path.iterdir()) == []
