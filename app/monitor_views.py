"""What the monitor dock shows: its metric rows, state words and alert lines, built from the sampled monitor."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

from core.monitor.alerts import NoticeKind
from core.monitor.format import format_value
from core.monitor.notify import format_time
from core.monitor.service import Monitor
from widgets.monitor_panel import SECTIONS, AlertView, MetricView
from widgets.tr import QT_TRANSLATE_NOOP

RESOLVED_SHOWN = 50


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


def section_views(monitor: Monitor) -> dict[str, list[MetricView]]:
    """Each section's rows: formatted value, alert level and sparkline history."""
    store, engine = monitor.store, monitor.engine
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
    return by_section


def alert_views(monitor: Monitor, cleared: Collection[int]) -> list[AlertView]:
    """Active alerts first, then the latest resolved ones the user has not cleared."""
    views = []
    for alert in monitor.engine.active():
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
                _detail(alert.rule, alert.value),
                format_time(alert.since),
                state,
                True,
                alert.acknowledged,
            )
        )
    resolved = [n for n in monitor.history if n.kind is NoticeKind.RESOLVED and n.alert_id not in cleared]
    for notice in list(reversed(resolved))[:RESOLVED_SHOWN]:
        views.append(
            AlertView(
                notice.alert_id,
                notice.rule.severity.value,
                _word(notice.rule.severity.value),
                rule_title(notice.rule),
                _detail(notice.rule, notice.value),
                format_time(notice.fired_at),
                _tr("resolved {time}").format(time=format_time(notice.at)[11:]),
                False,
                True,
            )
        )
    return views


def _detail(rule: Any, value: float | None) -> str:
    shown = _word("n/a") if value is None else f"{value:g}"
    return _tr("{condition} · now {value}").format(condition=rule.describe(), value=shown)


def summary(monitor: Monitor, config_problem: str) -> tuple[str, str]:
    """The one-line summary above the tabs and its level (ok, warning, critical)."""
    active = monitor.engine.active()
    open_ = [a for a in active if not a.acknowledged]
    if config_problem:
        return _tr("Monitor settings refused, defaults apply: {reason}").format(reason=config_problem), "warning"
    if open_:
        level = "critical" if any(a.rule.severity.value == "critical" for a in open_) else "warning"
        titles = ", ".join(rule_title(a.rule) for a in open_[:3])
        return _tr("{count} alert(s) need attention: {titles}").format(count=len(open_), titles=titles), level
    if active:
        return _tr("{count} acknowledged alert(s) still active").format(count=len(active)), "warning"
    return _tr("All watched metrics are within their limits"), "ok"
