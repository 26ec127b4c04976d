"""MonitorPanel presenter: samples the monitor every second, shows sections and alerts, notifies, logs."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from app.job_runner import JobRunner
from app.metrics_server import MetricsServer
from core.monitor.alerts import AlertEngine, AlertNotice, NoticeKind
from core.monitor.app_metrics import AppCollector, JobInfo, LoopLagProbe
from core.monitor.bridge_health import BridgeHealth
from core.monitor.config import CONFIG_FILE, ConfigError, MonitorConfig, load_config
from core.monitor.format import format_value
from core.monitor.freshness import FreshnessCollector
from core.monitor.logs import LOG_DIR, LogEntry, MemoryLogHandler
from core.monitor.notify import WebhookNotifier, format_time
from core.monitor.service import Monitor
from core.monitor.sources import (
    ModelCollector,
    ModelSource,
    TradingCollector,
    TradingSource,
    broker_trading_source,
    registry_model_source,
)
from core.monitor.system import SystemCollector
from core.quotes.hub import QuoteHub
from core.quotes.session import beijing_now
from core.storage.market_store import MarketStore
from widgets.log_panel import CAPACITY as LOG_CAPACITY
from widgets.log_panel import LogRow
from widgets.monitor_panel import SECTIONS, AlertView, MetricView, MonitorPanel
from widgets.tr import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)
_LOG_FLUSH_MS = 250  # batch log records: one table insert per quarter second, however chatty the app
_RESOLVED_SHOWN = 50


def _tr(text: str) -> str:
    return QCoreApplication.translate("Monitor", text)


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    key: str
    label: str
    kind: str
    spark: bool = False
    level_from: str = ""  # the metric whose alerts colour this row (a state text takes its number's colour)


ROWS: tuple[Row, ...] = (
    Row("system", "system.cpu_percent", QT_TRANSLATE_NOOP("Monitor", "CPU (machine)"), "pct", True),
    Row("system", "system.process_cpu_percent", QT_TRANSLATE_NOOP("Monitor", "CPU (QDesk)"), "pct", True),
    Row("system", "system.memory_percent", QT_TRANSLATE_NOOP("Monitor", "Memory (machine)"), "pct", True),
    Row("system", "system.process_rss_bytes", QT_TRANSLATE_NOOP("Monitor", "Memory (QDesk)"), "bytes", True),
    Row(
        "system",
        "system.disk_free_bytes",
        QT_TRANSLATE_NOOP("Monitor", "Data disk free"),
        "bytes",
        level_from="system.disk_free_percent",
    ),
    Row("system", "system.gpu_memory_bytes", QT_TRANSLATE_NOOP("Monitor", "GPU memory"), "bytes", True),
    Row("app", "app.loop_lag_ms", QT_TRANSLATE_NOOP("Monitor", "Event-loop lag"), "ms", True),
    Row(
        "app",
        "app.ticks_per_s",
        QT_TRANSLATE_NOOP("Monitor", "Ticks in"),
        "rate",
        True,
        level_from="app.session_ticks_per_s",
    ),
    Row("app", "app.repaints_per_s", QT_TRANSLATE_NOOP("Monitor", "Quote board repaints"), "rate", True),
    Row("app", "app.jobs_running", QT_TRANSLATE_NOOP("Monitor", "Background jobs"), "count"),
    Row("app", "app.jobs", QT_TRANSLATE_NOOP("Monitor", "Running"), "text"),
    Row("bridge", "bridge.state", QT_TRANSLATE_NOOP("Monitor", "Connection"), "state", level_from="bridge.connected"),
    Row("bridge", "bridge.qmt_connected", QT_TRANSLATE_NOOP("Monitor", "QMT"), "yesno"),
    Row("bridge", "bridge.latency_p50_ms", QT_TRANSLATE_NOOP("Monitor", "Latency p50 (1 min)"), "ms", True),
    Row("bridge", "bridge.latency_p99_ms", QT_TRANSLATE_NOOP("Monitor", "Latency p99 (1 min)"), "ms", True),
    Row("bridge", "bridge.reconnects", QT_TRANSLATE_NOOP("Monitor", "Reconnects"), "count"),
    Row("bridge", "bridge.dropped", QT_TRANSLATE_NOOP("Monitor", "Dropped messages"), "count"),
    Row(
        "data",
        "data.1d.last",
        QT_TRANSLATE_NOOP("Monitor", "Daily bars up to"),
        "text",
        level_from="data.1d.behind_days",
    ),
    Row("data", "data.1d.behind_days", QT_TRANSLATE_NOOP("Monitor", "Daily: trading days behind"), "days"),
    Row(
        "data",
        "data.1m.last",
        QT_TRANSLATE_NOOP("Monitor", "Minute bars up to"),
        "text",
        level_from="data.1m.behind_days",
    ),
    Row("data", "data.1m.behind_days", QT_TRANSLATE_NOOP("Monitor", "Minute: trading days behind"), "days"),
    Row("data", "data.gaps", QT_TRANSLATE_NOOP("Monitor", "Series with gaps"), "count"),
    Row("models", "model.name", QT_TRANSLATE_NOOP("Monitor", "Model in use"), "text", level_from="model.age_days"),
    Row("models", "model.age_days", QT_TRANSLATE_NOOP("Monitor", "Model age (days)"), "days"),
    Row("models", "model.test_ic", QT_TRANSLATE_NOOP("Monitor", "Test IC"), "ic"),
    Row("models", "model.live_ic", QT_TRANSLATE_NOOP("Monitor", "Live IC"), "ic"),
    Row("trading", "trading.pnl_today", QT_TRANSLATE_NOOP("Monitor", "P&L today"), "money"),
    Row("trading", "trading.drawdown_pct", QT_TRANSLATE_NOOP("Monitor", "Drawdown"), "pct", True),
    Row("trading", "trading.exposure", QT_TRANSLATE_NOOP("Monitor", "Exposure"), "money"),
    Row("trading", "trading.open_orders", QT_TRANSLATE_NOOP("Monitor", "Open orders"), "count"),
    Row("trading", "trading.risk_refusals", QT_TRANSLATE_NOOP("Monitor", "Risk refusals"), "count"),
)
_WORDS = {
    "idle": QT_TRANSLATE_NOOP("Monitor", "idle"),
    "connecting": QT_TRANSLATE_NOOP("Monitor", "connecting"),
    "connected": QT_TRANSLATE_NOOP("Monitor", "connected"),
    "reconnecting": QT_TRANSLATE_NOOP("Monitor", "reconnecting"),
    "auth_failed": QT_TRANSLATE_NOOP("Monitor", "token refused"),
    "incompatible": QT_TRANSLATE_NOOP("Monitor", "incompatible bridge"),
    "closed": QT_TRANSLATE_NOOP("Monitor", "closed"),
    "info": QT_TRANSLATE_NOOP("Monitor", "info"),
    "warning": QT_TRANSLATE_NOOP("Monitor", "warning"),
    "critical": QT_TRANSLATE_NOOP("Monitor", "critical"),
    "n/a": QT_TRANSLATE_NOOP("Monitor", "n/a"),
}
# Titles of the default rules (core/monitor/config.py), listed so they are translated.
RULE_TITLES = (
    QT_TRANSLATE_NOOP("Monitor", "Bridge disconnected"),
    QT_TRANSLATE_NOOP("Monitor", "QMT not connected to the bridge"),
    QT_TRANSLATE_NOOP("Monitor", "No ticks during market hours"),
    QT_TRANSLATE_NOOP("Monitor", "Bridge latency high"),
    QT_TRANSLATE_NOOP("Monitor", "Daily bars stale"),
    QT_TRANSLATE_NOOP("Monitor", "Minute bars stale"),
    QT_TRANSLATE_NOOP("Monitor", "Drawdown beyond limit"),
    QT_TRANSLATE_NOOP("Monitor", "Model stale"),
    QT_TRANSLATE_NOOP("Monitor", "Window unresponsive"),
    QT_TRANSLATE_NOOP("Monitor", "Memory nearly full"),
    QT_TRANSLATE_NOOP("Monitor", "Data folder disk nearly full"),
)


def _word(text: str) -> str:
    return QCoreApplication.translate("Monitor", _WORDS.get(text, text))


def rule_title(notice_rule: Any) -> str:
    return QCoreApplication.translate("Monitor", notice_rule.title or notice_rule.key)


@dataclass
class MonitorSources:
    """What the monitor watches; everything but the data folder is optional and shows n/a when absent."""

    data_dir: Path
    store: MarketStore | None = None
    hub: QuoteHub | None = None
    demo: bool = False
    live_feed: bool = False  # a live or replay source is expected to deliver ticks
    bridge: Any | None = None  # a BridgeClient (add_listener, state)
    repaints: Callable[[], int] | None = None
    job_owners: Mapping[str, QObject] | None = None  # presenters whose JobRunners are listed
    model: ModelSource | None = None
    trading: TradingSource | None = None


class MonitorPresenter(QObject):
    """One per window. `config` None reads `<data>/monitor.json` (defaults when missing or refused)."""

    def __init__(
        self,
        panel: MonitorPanel,
        sources: MonitorSources,
        config: MonitorConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        start: bool = True,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._sources = sources
        self.config_problem = ""
        if config is None:
            try:
                config = load_config(sources.data_dir / CONFIG_FILE)
            except ConfigError as exc:
                self.config_problem = str(exc)
                log.warning("monitor settings refused, defaults apply: %s", exc)
                config = MonitorConfig()
        self.config = config.for_demo() if sources.demo else config
        self.monitor = Monitor(
            AlertEngine(list(self.config.rules), clock, self.config.cooldown_s, self.config.max_per_minute), clock
        )
        self.probe = LoopLagProbe()
        self.bridge_health = BridgeHealth()
        self._detach_bridge = self.bridge_health.attach(sources.bridge) if sources.bridge is not None else None
        self._job_progress: dict[int, Any] = {}
        self._add_collectors()
        self.webhooks = WebhookNotifier(self.config.webhooks) if self.config.webhooks else None
        self._webhook_backlog: list[AlertNotice] = []
        self.notices: list[AlertNotice] = []  # every notice of this session, for the tray and tests
        self._cleared: set[int] = set()
        self._tray: QSystemTrayIcon | None = None
        self.log_handler = MemoryLogHandler()
        self._pending_logs: deque[LogEntry] = deque(maxlen=LOG_CAPACITY)  # bounded if never drained
        self.log_handler.add_listener(self._pending_logs.append)  # any thread; drained on the GUI thread
        logging.getLogger().addHandler(self.log_handler)
        self.metrics_server: MetricsServer | None = None
        if self.config.metrics_port and start:
            self._start_metrics_server()
        panel.sig_acknowledge_requested.connect(self._on_panel_sig_acknowledge_requested)
        panel.sig_clear_resolved_requested.connect(self._on_panel_sig_clear_resolved_requested)
        panel.log_panel.sig_open_folder_requested.connect(self._on_log_panel_sig_open_folder_requested)
        panel.tabs.currentChanged.connect(self._on_panel_tab_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(int(self.config.sample_interval_s * 1000))
        self._timer.timeout.connect(self._on_timer_timeout)
        self._log_timer = QTimer(self)
        self._log_timer.setInterval(_LOG_FLUSH_MS)
        self._log_timer.timeout.connect(self.flush_logs)
        # Closing over plain objects, not self: by the time the panel is destroyed, this QObject may be too.
        panel.destroyed.connect(
            _shutdown_callback(self.log_handler, self.probe, self.metrics_server, self._detach_bridge)
        )
        if start:
            self._timer.start()
            self._log_timer.start()
            QTimer.singleShot(0, self, self._on_started)  # dropped if the panel is gone by then
        self.refresh()

    def _add_collectors(self) -> None:
        s = self._sources
        self.monitor.add("system", SystemCollector(s.data_dir), every_s=2.0)
        jobs = self._jobs if s.job_owners is not None else None
        self.monitor.add(
            "app",
            AppCollector(s.hub, self.probe, s.repaints, jobs, live_source=lambda: s.live_feed or s.bridge is not None),
        )
        self.monitor.add("bridge", self.bridge_health)
        if s.store is not None:
            self.monitor.add("data", FreshnessCollector(s.store, beijing_now), every_s=60.0)
        self.monitor.add("models", ModelCollector(s.model), every_s=30.0)
        self.monitor.add("trading", TradingCollector(s.trading), every_s=2.0)

    def _start_metrics_server(self) -> None:
        from core.monitor.exporter import monitor_registry

        server = MetricsServer(monitor_registry(self.monitor), self.config.metrics_port)
        if server.start() is None:
            self.metrics_server = server

    # -- sampling ------------------------------------------------------------------------------
    def refresh(self) -> list[AlertNotice]:
        """Sample what is due, announce new notices, redraw; the timer calls this every second."""
        self._start_probe()
        self._send_webhooks()
        notices = self.monitor.tick()
        for notice in notices:
            self._announce(notice)
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

    def _start_probe(self) -> None:
        if self.probe.running:
            return
        try:
            loop = asyncio.get_running_loop()  # qasync's loop while the window runs; none in plain Qt
        except RuntimeError:
            return
        self.probe.start(loop)

    def _jobs(self) -> list[JobInfo]:
        jobs = []
        for owner in list((self._sources.job_owners or {}).values()):
            for runner in owner.findChildren(JobRunner):
                if id(runner) not in self._job_progress:
                    self._job_progress[id(runner)] = None
                    runner.sig_reported.connect(functools.partial(self._job_progress.__setitem__, id(runner)))
                report = self._job_progress.get(id(runner))
                fraction = getattr(report, "fraction", None) if runner.busy else None
                jobs.append(
                    JobInfo(
                        runner.name or owner.objectName(),
                        runner.busy,
                        float(fraction) if isinstance(fraction, (int, float)) else None,
                        str(getattr(report, "message", "") or ""),
                    )
                )
        return jobs

    # -- notifying -----------------------------------------------------------------------------
    def _announce(self, notice: AlertNotice) -> None:
        self.notices.append(notice)
        fired = notice.kind is NoticeKind.FIRED
        title = rule_title(notice.rule)
        log.log(
            logging.WARNING if fired else logging.INFO,
            "alert %s %s: %s (value %s)",
            notice.rule.key,
            notice.kind.value,
            notice.rule.describe(),
            notice.value,
        )
        if self.config.tray:
            self._show_tray(notice, title)
        if self.config.sound and fired:
            QApplication.beep()
        if self.webhooks is not None:
            self._webhook_backlog.append(notice)
            self._send_webhooks()

    def _send_webhooks(self) -> None:
        # Notices from before the loop runs (the first sample is taken while the window is built) wait here.
        if self.webhooks is None or not self._webhook_backlog:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        while self._webhook_backlog:
            self.webhooks.submit(self._webhook_backlog.pop(0))

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
        self._tray.showMessage(heading, notice.rule.describe(), icon_kind, 8000)

    # -- rendering -----------------------------------------------------------------------------
    def render(self) -> None:
        self._panel.set_alerts(self.alert_views())
        self._render_summary()
        if self._panel.health_shown:
            self._render_sections()

    def _render_sections(self) -> None:
        store, engine = self.monitor.store, self.monitor.engine
        by_section: dict[str, list[MetricView]] = {key: [] for key, _ in SECTIONS}
        for row in ROWS:
            value = store.get(row.key)
            level = "n/a" if value is None else engine.level_of(row.level_from or row.key).value
            if row.kind == "state" and isinstance(value, str):
                text = _word(value)
            elif row.kind == "yesno" and value is not None:
                text = _tr("connected") if value else _tr("not connected")
            else:
                text = format_value(value, row.kind)
            if text == "n/a":
                text = _word("n/a")
            by_section[row.section].append(
                MetricView(
                    row.key, _tr(row.label), text, level, tuple(store.history(row.key)) if row.spark else (), row.spark
                )
            )
        for section, views in by_section.items():
            self._panel.set_section(section, views)

    def alert_views(self) -> list[AlertView]:
        views = []
        for alert in self.monitor.engine.active():
            state = (
                _tr("acknowledged")
                if alert.acknowledged
                else _tr("firing")
                if alert.announced
                else _tr("firing (not announced: repeat within cooldown)")
            )
            views.append(
                AlertView(
                    alert.alert_id,
                    alert.rule.severity.value,
                    _word(alert.rule.severity.value),
                    rule_title(alert.rule),
                    self._detail(alert.rule, alert.value),
                    format_time(alert.since),
                    state,
                    True,
                    alert.acknowledged,
                )
            )
        resolved = [
            n for n in self.monitor.history if n.kind is NoticeKind.RESOLVED and n.alert_id not in self._cleared
        ]
        for notice in list(reversed(resolved))[:_RESOLVED_SHOWN]:
            views.append(
                AlertView(
                    notice.alert_id,
                    notice.rule.severity.value,
                    _word(notice.rule.severity.value),
                    rule_title(notice.rule),
                    self._detail(notice.rule, notice.value),
                    format_time(notice.fired_at),
                    _tr("resolved {time}").format(time=format_time(notice.at)[11:]),
                    False,
                    True,
                )
            )
        return views

    @staticmethod
    def _detail(rule: Any, value: float | None) -> str:
        shown = _word("n/a") if value is None else f"{value:g}"
        return _tr("{condition} · now {value}").format(condition=rule.describe(), value=shown)

    def _render_summary(self) -> None:
        active = self.monitor.engine.active()
        open_ = [a for a in active if not a.acknowledged]
        if self.config_problem:
            self._panel.set_summary(
                _tr("Monitor settings refused, defaults apply: {reason}").format(reason=self.config_problem), "warning"
            )
        elif open_:
            level = "critical" if any(a.rule.severity.value == "critical" for a in open_) else "warning"
            self._panel.set_summary(
                _tr("{count} alert(s) need attention: {titles}").format(
                    count=len(open_), titles=", ".join(rule_title(a.rule) for a in open_[:3])
                ),
                level,
            )
        elif active:
            self._panel.set_summary(
                _tr("{count} acknowledged alert(s) still active").format(count=len(active)), "warning"
            )
        else:
            self._panel.set_summary(_tr("All watched metrics are within their limits"), "ok")

    # -- logs ------------------------------------------------------------------------------------
    def flush_logs(self) -> None:
        rows = []
        while self._pending_logs:
            entry = self._pending_logs.popleft()
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.time)) + f".{int(entry.time * 1000) % 1000:03d}"
            rows.append(LogRow(stamp, entry.level, entry.levelno, entry.logger, entry.message, entry.details))
        self._panel.log_panel.append(rows)

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

    def _on_log_panel_sig_open_folder_requested(self) -> None:
        folder = self._sources.data_dir / LOG_DIR
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def shutdown(self) -> None:
        """Stop sampling and serving; the panel's destruction does the same."""
        self._timer.stop()
        self._log_timer.stop()
        _shutdown_callback(self.log_handler, self.probe, self.metrics_server, self._detach_bridge)()
        self.metrics_server = None
        self._detach_bridge = None
        if self.webhooks is not None:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().create_task(self.webhooks.aclose(), name="webhooks-close")


def _shutdown_callback(
    handler: logging.Handler, probe: LoopLagProbe, server: MetricsServer | None, detach: Callable[[], None] | None
) -> Callable[..., None]:
    def shut(*_args: object) -> None:
        logging.getLogger().removeHandler(handler)
        probe.stop()
        if server is not None:
            server.stop()
        if detach is not None:
            detach()

    return shut


def _trading_source(services: Any) -> TradingSource | None:
    """Account figures when the session trades through an in-process broker (paper); else n/a."""
    trading = getattr(services, "trading", None)
    broker = getattr(trading, "broker", None)
    return broker_trading_source(broker) if broker is not None and hasattr(broker, "account") else None


def add_monitor_panel(panels: Any, services: Any) -> MonitorPresenter:
    """Build the monitor dock into `panels` (widgets and presenters by dock key) for the session's services.

    The bridge client and a model registry are picked up when the session has them; the quote
    board's repaint counter and the other presenters' job runners are found in `panels`.
    """
    panel = MonitorPanel()
    board_model: Any = getattr(panels.widgets.get("quote_board"), "model", None)  # a QuoteBoardModel or None
    sources = MonitorSources(
        data_dir=services.data_dir,
        store=services.store,
        hub=services.hub,
        demo=services.demo,
        live_feed=services.feed is not None,
        bridge=getattr(services, "bridge", None),
        repaints=(lambda: int(board_model.flushes)) if hasattr(board_model, "flushes") else None,
        job_owners=panels.presenters,  # the live dict: presenters added later are listed too
        model=registry_model_source(services.data_dir),
        trading=_trading_source(services),
    )
    presenter = MonitorPresenter(panel, sources)
    panels.widgets["monitor"] = panel
    panels.presenters["monitor"] = presenter
    return presenter
