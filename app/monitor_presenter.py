"""MonitorPresenter: samples the monitor every second, shows sections and alerts, notifies, tails the log.

Sampling (app/monitor_sampling.py), notification (app/monitor_notify.py), the log tail
(app/monitor_logs.py) and the dock's texts (app/monitor_views.py) live in their own modules;
this one owns the timers, the metrics server and the dock's intents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from app.metrics_server import MetricsServer
from app.monitor_logs import LogTail
from app.monitor_notify import AlertNotifier
from app.monitor_sampling import MonitorSampler, MonitorSources
from app.monitor_views import alert_views, section_views, summary
from core.events import AccountChanged, RunRegistered
from core.monitor.alerts import AlertNotice, NoticeKind
from core.monitor.config import CONFIG_FILE, ConfigError, MonitorConfig, load_config
from core.monitor.logs import LOG_DIR, MemoryLogHandler
from core.monitor.service import Monitor
from widgets.monitor_panel import AlertView, MonitorPanel

if TYPE_CHECKING:
    from app.events import GuiEvents

log = logging.getLogger(__name__)
_LOG_FLUSH_MS = 250  # batch log records: one table insert per quarter second, however chatty the app


class MonitorPresenter(QObject):
    """One per window. `config` None reads `<data>/monitor.json` (defaults when missing or refused).

    With `events`, a change of the trading account or a newly registered run is sampled on the next tick.
    """

    def __init__(
        self,
        panel: MonitorPanel,
        sources: MonitorSources,
        config: MonitorConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        start: bool = True,
        events: GuiEvents | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._data_dir = sources.data_dir
        self.config_problem = ""
        if config is None:
            try:
                config = load_config(sources.data_dir / CONFIG_FILE)
            except ConfigError as exc:
                self.config_problem = str(exc)
                log.warning("monitor settings refused, defaults apply: %s", exc)
                config = MonitorConfig()
        self.config = config.for_demo() if sources.demo else config
        self.sampler = MonitorSampler(sources, self.config, clock)
        self.notifier = AlertNotifier(self.config, self)
        self._cleared: set[int] = set()
        self.logs = LogTail(panel.log_panel)
        self.metrics_server: MetricsServer | None = None
        if self.config.metrics_port and start:
            self._start_metrics_server()
        panel.sig_acknowledge_requested.connect(self._on_panel_sig_acknowledge_requested)
        panel.sig_clear_resolved_requested.connect(self._on_panel_sig_clear_resolved_requested)
        panel.log_panel.sig_open_folder_requested.connect(self._on_log_panel_sig_open_folder_requested)
        panel.tabs.currentChanged.connect(self._on_panel_tab_changed)
        if events is not None:
            events.on(AccountChanged, self._on_events_account_changed)
            events.on(RunRegistered, self._on_events_run_registered)
        self._timer = QTimer(self)
        self._timer.setInterval(int(self.config.sample_interval_s * 1000))
        self._timer.timeout.connect(self._on_timer_timeout)
        self._log_timer = QTimer(self)
        self._log_timer.setInterval(_LOG_FLUSH_MS)
        self._log_timer.timeout.connect(self.flush_logs)
        # Closing over plain objects, not self: by the time the panel is destroyed, this QObject may be too.
        panel.destroyed.connect(_shutdown_callback(self.logs, self.sampler, self.metrics_server))
        if start:
            self._timer.start()
            self._log_timer.start()
            QTimer.singleShot(0, self, self._on_started)  # dropped if the panel is gone by then
        self.refresh()

    @property
    def monitor(self) -> Monitor:
        return self.sampler.monitor

    @property
    def notices(self) -> list[AlertNotice]:
        """Every notice of this session, in order."""
        return self.notifier.notices

    @property
    def log_handler(self) -> MemoryLogHandler:
        return self.logs.handler

    def _start_metrics_server(self) -> None:
        from core.monitor.exporter import monitor_registry

        server = MetricsServer(monitor_registry(self.monitor), self.config.metrics_port)
        if server.start() is None:
            self.metrics_server = server

    def refresh(self) -> list[AlertNotice]:
        """Sample what is due, announce new notices, redraw; the timer calls this every second."""
        self.notifier.send_webhooks()
        notices = self.sampler.tick()
        for notice in notices:
            self.notifier.announce(notice)
        self.render()
        return notices

    def _on_timer_timeout(self) -> None:
        # Sample while the window is up (minimised counts, a hidden dock counts): a window that was
        # closed or never shown has nobody to alert, and its leftover timer must not keep working.
        if self._top_level().isVisible():
            self.refresh()

    def _top_level(self) -> QWidget:
        # Not window(): a floating dock is a window of its own, but its parent is still the main window.
        widget: QWidget = self._panel
        while (parent := widget.parentWidget()) is not None:
            widget = parent
        return widget

    def _on_started(self) -> None:
        # By the first turn of the loop the panel sits in the main window: stop with it, not at exit.
        closed = getattr(self._top_level(), "sig_closed", None)
        if closed is not None:
            closed.connect(self.shutdown)

    def render(self) -> None:
        self._panel.set_alerts(self.alert_views())
        self._panel.set_summary(*summary(self.monitor, self.config_problem))
        if self._panel.health_shown:
            for section, views in section_views(self.monitor).items():
                self._panel.set_section(section, views)

    def alert_views(self) -> list[AlertView]:
        return alert_views(self.monitor, self._cleared)

    def flush_logs(self) -> None:
        self.logs.flush()

    # -- intents ---------------------------------------------------------------------------------
    def _on_panel_sig_acknowledge_requested(self, ids: list[int]) -> None:
        for alert_id in ids:
            self.monitor.engine.acknowledge(alert_id)
        self.render()

    def _on_panel_sig_clear_resolved_requested(self) -> None:
        self._cleared.update(n.alert_id for n in self.monitor.history if n.kind is NoticeKind.RESOLVED)
        self.render()

    def _on_panel_tab_changed(self, _index: int) -> None:
        self.render()

    def _on_events_account_changed(self, _event: AccountChanged) -> None:
        self.monitor.sample_soon("trading")

    def _on_events_run_registered(self, _event: RunRegistered) -> None:
        self.monitor.sample_soon("models")

    def _on_log_panel_sig_open_folder_requested(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._data_dir / LOG_DIR)))

    def shutdown(self) -> None:
        """Stop sampling and serving; the panel's destruction does the same."""
        self._timer.stop()
        self._log_timer.stop()
        _shutdown_callback(self.logs, self.sampler, self.metrics_server)()
        self.metrics_server = None
        self.notifier.close()


def _shutdown_callback(logs: LogTail, sampler: MonitorSampler, server: MetricsServer | None) -> Callable[..., None]:
    def shut(*_args: object) -> None:
        logs.detach()
        sampler.stop()
        if server is not None:
            server.stop()

    return shut
