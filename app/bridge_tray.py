"""The bridge's tray icon: status, token, log, pause/resume, start on login, quit; the server runs on its own thread."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl
from PySide6.QtGui import QAction, QColor, QDesktopServices, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from core.bridge.auth import TokenSetup, commit_token, write_token_file
from core.bridge.server.runner import BridgeAddress, ServeOptions, ServerThread
from core.bridge.service import BridgeService, BridgeStatus

log = logging.getLogger(__name__)
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "QDesk Bridge"
_REFRESH_MS = 1000


def _tr(text: str) -> str:
    return QCoreApplication.translate("BridgeTray", text)


def login_command(argv: Sequence[str], executable: str = sys.executable) -> str:
    """The command line the Windows Run key starts at login: this bridge, as started now, with --tray."""
    args = [a for a in argv if a]
    if "--tray" not in args:
        args.append("--tray")
    return " ".join(f'"{a}"' if " " in a else a for a in [executable, *args])


class LoginItem:
    """Start-on-login through HKCU's Run key: on Windows only, where the bridge lives beside QMT."""

    def __init__(self, command: str) -> None:
        self.command = command

    @property
    def supported(self) -> bool:
        return sys.platform == "win32"

    def enabled(self) -> bool:
        # sys.platform spelled out (not self.supported) so mypy checks winreg only for Windows.
        if sys.platform != "win32":
            return False
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _ = winreg.QueryValueEx(key, RUN_VALUE)
        except OSError:
            return False
        return bool(value)

    def set(self, on: bool) -> None:
        if sys.platform != "win32":
            raise OSError("start on login is available on Windows only")
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            if on:
                winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, self.command)
            else:
                with contextlib.suppress(FileNotFoundError):  # already off
                    winreg.DeleteValue(key, RUN_VALUE)


def status_icon(colour: str) -> QIcon:
    pixmap = QPixmap(32, 32)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(QColor("#202020"))
    painter.drawEllipse(3, 3, 26, 26)
    painter.end()
    return QIcon(pixmap)


def status_text(status: BridgeStatus) -> str:
    if status.qmt_connected is None:
        link = _tr("Source: {source}").format(source=status.source)
    elif status.qmt_connected:
        link = _tr("QMT connected")
    else:
        link = _tr("QMT disconnected; reconnecting")
    parts = [
        link,
        _tr("{n} client(s)").format(n=status.clients),
        _tr("{rate} ticks/s").format(rate=f"{status.ticks_per_s:,.0f}"),
    ]
    if status.paused:
        parts.append(_tr("paused"))
    return " · ".join(parts)


def clear_text_warning(host: str) -> str:
    return _tr(
        "Not encrypted: serving {host} without TLS, so the token and market data cross the network in clear "
        "text. Restart with --tls-cert and --tls-key."
    ).format(host=host)


class BridgeTray(QObject):
    """The tray icon and its menu over a running ServerThread; reads status, never blocks on the server."""

    def __init__(
        self,
        server: ServerThread,
        token: str | None,
        log_path: Path,
        login: LoginItem,
        token_file: Path | None = None,
        open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl,
        on_quit: Callable[[], None] | None = None,
        clear_text_host: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.server = server
        self.service: BridgeService = server.service
        self._token = token
        self._token_file = token_file
        self.log_path = log_path
        self.login = login
        self._open_url = open_url
        self._on_quit = on_quit or QCoreApplication.quit
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.last_message: str | None = None
        self.status_action = QAction(self)
        self.status_action.setEnabled(False)
        # Serving a network without TLS stays in view as long as the bridge runs, not only in the log.
        self.clear_text_warning = clear_text_warning(clear_text_host) if clear_text_host else None
        self.warning_action = QAction(self.clear_text_warning or "", self)
        self.warning_action.setEnabled(False)
        self.copy_action = QAction(_tr("Copy access token"), self)
        self.copy_action.triggered.connect(self._on_copy_triggered)
        self.new_token_action = QAction(_tr("Replace access token and copy it"), self)
        self.new_token_action.triggered.connect(self._on_new_token_triggered)
        self.log_action = QAction(_tr("Open log"), self)
        self.log_action.triggered.connect(self._on_log_triggered)
        self.pause_action = QAction(_tr("Pause streaming"), self)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self._on_pause_toggled)
        self.login_action = QAction(_tr("Start on login"), self)
        self.login_action.setCheckable(True)
        self.login_action.setEnabled(login.supported)
        if not login.supported:
            self.login_action.setToolTip(_tr("Available on Windows only"))
        else:
            self.login_action.setChecked(login.enabled())
        self.login_action.toggled.connect(self._on_login_toggled)
        self.quit_action = QAction(_tr("Quit QDesk Bridge"), self)
        self.quit_action.triggered.connect(self._on_quit_triggered)
        for item in (
            self.status_action,
            self.warning_action,
            None,
            self.copy_action,
            self.new_token_action,
            self.log_action,
            None,
            self.pause_action,
            self.login_action,
            None,
            self.quit_action,
        ):
            if item is self.warning_action and self.clear_text_warning is None:
                continue
            if item is None:
                self.menu.addSeparator()
            else:
                self.menu.addAction(item)
        self.icon.setContextMenu(self.menu)
        self._timer = QTimer(self)
        self._timer.setInterval(_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    # -- status ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the service's last status (an immutable value the bridge thread replaces every second)."""
        status = self.service.last_status
        text = status_text(status)
        self.status_action.setText(text)
        address = self.server.address.http_url if self.server.address else ""
        warning = f"\n{self.clear_text_warning}" if self.clear_text_warning else ""
        self.icon.setToolTip(f"QDesk Bridge {address}\n{text}{warning}")
        colour = "#9e9e9e" if status.paused else ("#2e7d32" if status.source_connected else "#c62828")
        self.icon.setIcon(status_icon(colour))
        self.copy_action.setEnabled(self._token is not None)
        if self._token is None:
            self.copy_action.setToolTip(_tr("Only the hash of the stored token is kept; replace it to copy a new one"))

    def show_started(self) -> None:
        """Once the icon is visible: a clear-text bridge says so in a warning balloon."""
        if self.clear_text_warning:
            self._notify(self.clear_text_warning, QSystemTrayIcon.MessageIcon.Warning)

    def _notify(self, text: str, kind: QSystemTrayIcon.MessageIcon = QSystemTrayIcon.MessageIcon.Information) -> None:
        self.last_message = text
        self.icon.showMessage("QDesk Bridge", text, kind)

    # -- menu actions --------------------------------------------------------------------------
    def _on_copy_triggered(self) -> None:
        if self._token is not None:
            QGuiApplication.clipboard().setText(self._token)
            self._notify(_tr("Access token copied to the clipboard"))

    def _on_new_token_triggered(self) -> None:
        token = self.service.tokens.rotate("replaced from the tray")  # thread-safe; old tokens stop working
        if self._token_file is not None:
            write_token_file(self._token_file, token)
        self._token = token
        QGuiApplication.clipboard().setText(token)
        self._notify(_tr("New access token copied; connected clients need it now"))
        self.refresh()

    def _on_log_triggered(self) -> None:
        self._open_url(QUrl.fromLocalFile(str(self.log_path)))

    def _on_pause_toggled(self, paused: bool) -> None:
        # The service belongs to the bridge's loop thread: hand the call over, never call it from here.
        self.server.call(self.service.pause if paused else self.service.resume)
        self.pause_action.setText(_tr("Resume streaming") if paused else _tr("Pause streaming"))

    def _on_login_toggled(self, on: bool) -> None:
        try:
            self.login.set(on)
        except OSError as exc:
            log.warning("start on login: %s", exc)
            self._notify(_tr("Could not change start on login: {error}").format(error=exc))

    def _on_quit_triggered(self) -> None:
        self._timer.stop()
        self.server.stop()
        self.icon.hide()
        self._on_quit()


def run_tray(
    service: BridgeService,
    options: ServeOptions,
    setup: TokenSetup,
    token_file: Path | None,
    log_path: Path,
    lang: str = "en",
    argv: Sequence[str] = (),
    clear_text_host: str | None = None,
) -> int:
    """Start the bridge on its own thread, then show the tray icon until Quit (or Ctrl+C)."""
    from app.i18n import installed_language
    from core.util.memory import favour_throughput_gc

    app = QApplication.instance() or QApplication(["qdesk-bridge"])
    QApplication.setQuitOnLastWindowClosed(False)  # static; instance() is typed as the core application

    def ready(address: BridgeAddress) -> None:
        favour_throughput_gc()  # serving from here on: start-up objects are done with
        commit_token(service.tokens, setup, token_file)
        print(f"QDesk Bridge: {service.source.name} source on {address.http_url} (tray; Quit stops)", flush=True)
        if setup.created and token_file is None:
            print(f"New access token (shown once; also under the tray's Copy): {setup.token}", flush=True)

    server = ServerThread(service, options, on_ready=ready)
    server.start()  # raises BridgeStartError / SourceUnavailable: the caller turns them into one line
    with installed_language(app, lang):
        login = LoginItem(login_command(argv))
        tray = BridgeTray(server, setup.token, log_path, login, token_file, clear_text_host=clear_text_host)
        if QSystemTrayIcon.isSystemTrayAvailable():
            tray.icon.show()
            tray.show_started()
        else:
            print("No system tray on this desktop: the bridge runs without its icon (Ctrl+C stops)", file=sys.stderr)
        signal.signal(signal.SIGINT, lambda *_: app.quit())
        wake = QTimer()  # lets Python see Ctrl+C while Qt's loop runs
        wake.timeout.connect(lambda: None)
        wake.start(250)
        code = app.exec()
    server.stop()
    return int(code)
