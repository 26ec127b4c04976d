"""Prometheus export of the desktop's metrics: one gauge per numeric metric, plus the firing alerts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core.monitor.service import Monitor

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

PREFIX = "qdesk_desktop_"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(key: str) -> str:
    """`bridge.latency_p99_ms` -> `qdesk_desktop_bridge_latency_p99_ms` (Prometheus' name alphabet)."""
    return PREFIX + _UNSAFE.sub("_", key)


class MonitorCollector:
    """A prometheus_client custom collector reading the Monitor's current values at scrape time.

    Values are read, never computed, at scrape time, so a scrape costs microseconds and sees what
    the panel shows. n/a metrics are left out rather than reported as zero.
    """

    def __init__(self, monitor: Monitor) -> None:
        self._monitor = monitor

    def describe(self) -> list[Any]:
        return []  # unknown up front: the metric set grows as sources attach

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        seen = self._monitor.published  # one immutable snapshot: scrapes run on the server's thread
        for key, value in sorted(seen.numbers.items()):
            yield GaugeMetricFamily(metric_name(key), f"QDesk desktop metric {key}", value=value)
        firing = GaugeMetricFamily(
            PREFIX + "alerts_firing", "active alerts by rule and severity", labels=["rule", "severity"]
        )
        for rule, severity in seen.firing:
            firing.add_metric([rule, severity], 1.0)
        yield firing
        yield GaugeMetricFamily(
            PREFIX + "alerts_suppressed", "firings not announced (cooldown or storm limit)", value=seen.suppressed
        )


def monitor_registry(monitor: Monitor) -> CollectorRegistry:
    """A registry of its own (not the process-wide default) holding the monitor's metrics."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(monitor))
    return registry
