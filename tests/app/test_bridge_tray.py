"""The bridge tray offscreen, over a real running bridge: every menu action does what it says."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication

from app.bridge_tray import BridgeTray, LoginItem, login_command, status_text
from app.i18n import installed_language
from core.bridge.auth import TokenStore
from core.bridge.server.runner import ServeOptions, ServerThread
from core.bridge.service import BridgeService
from core.bridge.sources.sim import SimSource


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[ServerThread, str]]:
    tokens = TokenStore.in_dir(tmp_path)
    token = tokens.create("test")
    thread = ServerThread(BridgeService(SimSource(10, interval=0.5), tokens), ServeOptions(port=0))
    thread.start()
    yield thread, token
    thread.stop()


def _health(thread: ServerThread, token: str) -> httpx.Response:
    assert thread.address is not None
    return httpx.get(thread.address.http_url + "/v1/health", headers={"Authorization": f"Bearer {token}"})


def _tray(server: tuple[ServerThread, str], tmp_path: Path, opened: list[QUrl], quits: list[bool]) -> BridgeTray:
    thread, token = server
    return BridgeTray(
        thread,
        token,
        tmp_path / "logs" / "bridge.log",
        LoginItem("qdesk bridge --tray"),
        open_url=opened.append,
        on_quit=lambda: quits.append(True),
    )


def test_menu_has_every_action_and_shows_status(qtbot, server, tmp_path: Path) -> None:  # noqa: ANN001
    tray = _tray(server, tmp_path, [], [])
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts[1:] == [
        "Copy access token",
        "Replace access token and copy it",
        "Open log",
        "Pause streaming",
        "Start on login",
        "Quit QDesk Bridge",
    ]
    assert texts[0].startswith("Source: sim") and "client(s)" in texts[0] and "ticks/s" in texts[0]
    assert not tray.status_action.isEnabled()
    assert "127.0.0.1" in tray.icon.toolTip() and not tray.icon.icon().isNull()
    assert tray.login_action.isEnabled() is (sys.platform == "win32")


def test_copy_and_replace_token(qtbot, server, tmp_path: Path) -> None:  # noqa: ANN001
    thread, token = server
    tray = _tray(server, tmp_path, [], [])
    tray.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == token
    tray.new_token_action.trigger()
    new = QGuiApplication.clipboard().text()
    assert new != token and len(new) >= 40
    assert _health(thread, token).status_code == 401 and _health(thread, new).status_code == 200


def test_copy_is_disabled_when_only_a_hash_is_known(qtbot, server, tmp_path: Path) -> None:  # noqa: ANN001
    thread, _ = server
    tray = BridgeTray(thread, None, tmp_path / "bridge.log", LoginItem("x"), open_url=lambda url: None)
    assert not tray.copy_action.isEnabled()
    tray.new_token_action.trigger()
    assert tray.copy_action.isEnabled()
    assert _health(thread, QGuiApplication.clipboard().text()).status_code == 200


def test_open_log_pause_resume_and_quit(qtbot, server, tmp_path: Path) -> None:  # noqa: ANN001
    thread, token = server
    opened: list[QUrl] = []
    quits: list[bool] = []
    tray = _tray(server, tmp_path, opened, quits)
    tray.log_action.trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [tmp_path / "logs" / "bridge.log"]

    tray.pause_action.setChecked(True)  # the server keeps answering while the GUI drives it
    qtbot.waitUntil(lambda: _health(thread, token).json()["paused"] is True, timeout=5000)
    assert tray.pause_action.text() == "Resume streaming"
    tray.refresh()
    assert tray.status_action.text().endswith("paused")  # health refreshed the status the tray reads
    tray.pause_action.setChecked(False)
    qtbot.waitUntil(lambda: _health(thread, token).json()["paused"] is False, timeout=5000)

    tray.quit_action.trigger()
    assert quits == [True] and not thread.running
    with pytest.raises(httpx.TransportError):
        _health(thread, token)


def test_tray_speaks_chinese(qtbot, server, tmp_path: Path) -> None:  # noqa: ANN001
    app = QGuiApplication.instance()
    with installed_language(app, "zh_CN"):
        tray = _tray(server, tmp_path, [], [])
        assert tray.copy_action.text() == "复制访问令牌" and tray.quit_action.text() == "退出 QDesk Bridge"
        assert status_text(server[0].service.last_status).startswith("数据源：sim")


def test_a_clear_text_bridge_warns_in_the_menu_the_tooltip_and_a_balloon(qtbot, server, tmp_path: Path) -> None:  # noqa: ANN001
    thread, token = server
    plain = _tray(server, tmp_path, [], [])
    plain.show_started()
    assert plain.warning_action not in plain.menu.actions() and plain.last_message is None
    assert "TLS" not in plain.icon.toolTip()

    tray = BridgeTray(thread, token, tmp_path / "bridge.log", LoginItem("x"), clear_text_host="0.0.0.0")
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts[1].startswith("Not encrypted: serving 0.0.0.0 without TLS") and "--tls-cert" in texts[1]
    assert not tray.warning_action.isEnabled() and texts[1] in tray.icon.toolTip()
    tray.show_started()
    assert tray.last_message == texts[1]
    tray.refresh()  # the status timer keeps the warning in the tooltip
    assert texts[1] in tray.icon.toolTip()
    with installed_language(QGuiApplication.instance(), "zh_CN"):
        zh = BridgeTray(thread, token, tmp_path / "bridge.log", LoginItem("x"), clear_text_host="0.0.0.0")
        assert zh.warning_action.text().startswith("未加密：在 0.0.0.0 上未启用 TLS")


def test_login_command_starts_the_same_bridge_with_its_tray() -> None:
    command = login_command(["C:/QDesk Bridge/main.py", "bridge", "--source", "xtquant"], "C:/Python/python.exe")
    assert command == 'C:/Python/python.exe "C:/QDesk Bridge/main.py" bridge --source xtquant --tray'
    assert login_command(["main.py", "bridge", "--tray"], "py").count("--tray") == 1
    if sys.platform != "win32":
        with pytest.raises(OSError, match="Windows only"):
            LoginItem(command).set(True)
