"""Alert notification: each new notice goes to the log, the tray, the speaker and the configured webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from app.monitor_views import rule_title
from core.monitor.alerts import AlertNotice, NoticeKind
from core.monitor.config import MonitorConfig
from core.monitor.notify import WebhookNotifier

log = logging.getLogger("app.monitor_presenter")  # the name alert lines have always been logged under
_TRAY_MS = 8000


def _tr(text: str) -> str:
    return QCoreApplication.translate("Monitor", text)


class AlertNotifier(QObject):
    """Announces notices as the monitor settings ask; keeps every notice of the session in `notices`."""

    def __init__(self, config: MonitorConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray_wanted, self._sound = config.tray, config.sound
        self.webhooks = WebhookNotifier(config.webhooks) if config.webhooks else None
        self._backlog: list[AlertNotice] = []
        self.notices: list[AlertNotice] = []
        self._tray: QSystemTrayIcon | None = None

    def announce(self, notice: AlertNotice) -> None:
        self.notices.append(notice)
        fired = notice.kind is NoticeKind.FIRED
        log.log(
            logging.WARNING if fired else logging.INFO,
            "alert %s %s: %s (value %s)",
            notice.rule.key,
            notice.kind.value,
            notice.rule.describe(),
            notice.value,
        )
        if self._tray_wanted:
            self._show_tray(notice, rule_title(notice.rule))
        if self._sound and fired:
            QApplication.beep()
        if self.webhooks is not None:
            self._backlog.append(notice)
            self.send_webhooks()

    def send_webhooks(self) -> None:
        """Post what waits; notices from before the loop runs (the first sample) wait for it here."""
        if self.webhooks is None or not self._backlog:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        while self._backlog:
            self.webhooks.submit(self._backlog.pop(0))

    def close(self) -> None:
        if self.webhooks is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing left to close on
                asyncio.get_running_loop().create_task(self.webhooks.aclose(), name="webhooks-close")

    def _show_tray(self, notice: AlertNotice, title: str) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self._tray is None:
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else None
            self._tray = QSystemTrayIcon(icon, self) if icon is not None else QSystemTrayIcon(self)
            self._tray.show()
        fired = notice.kind is NoticeKind.FIRED
        heading = title if fired else _tr("Resolved: {title}").format(title=title)
        icon_kind = (
            QSystemTrayIcon.MessageIcon.Critical
            if fired and notice.rule.severity.value == "critical"
            else QSystemTrayIcon.MessageIcon.Warning
            if fired
            else QSystemTrayIcon.MessageIcon.Information
        )
        self._tray.showMessage(heading, notice.rule.describe(), icon_kind, _TRAY_MS)
