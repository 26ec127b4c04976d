"""Desktop /metrics on localhost, read back with prometheus_client's own text parser."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.metrics_server import HOST, MetricsServer
from core.monitor.alerts import AlertEngine, AlertRule, Severity
from core.monitor.exporter import metric_name, monitor_registry
from core.monitor.service import Monitor
from core.monitor.system import SystemCollector


class Bridge:
    def __init__(self) -> None:
        self.connected = 0

    def collect(self) -> dict:
        return {"bridge.connected": self.connected, "bridge.state": "reconnecting", "bridge.latency_p99_ms": None}


def test_metrics_endpoint_serves_monitor_values(tmp_path: Path) -> None:
    rule = AlertRule("bridge_down", "bridge.connected", "<", 1, 0, Severity.CRITICAL)
    now = [1_764_640_000.0]
    monitor = Monitor(AlertEngine([rule], lambda: now[0]), lambda: now[0])
    monitor.add("system", SystemCollector(tmp_path))
    bridge = Bridge()
    monitor.add("bridge", bridge)
    monitor.tick()
    server = MetricsServer(monitor_registry(monitor), 0)
    assert server.start() is None
    try:
        assert server.url.startswith(f"http://{HOST}:")
        text = httpx.get(server.url, timeout=5).text
        families = {f.name: f for f in text_string_to_metric_families(text)}
        memory = families[metric_name("system.memory_percent")]
        assert memory.type == "gauge" and 0 < memory.samples[0].value <= 100
        assert families[metric_name("bridge.connected")].samples[0].value == 0
        # Text and n/a metrics are left out, not reported as zero.
        assert metric_name("bridge.state") not in families and metric_name("bridge.latency_p99_ms") not in families
        firing = families["qdesk_desktop_alerts_firing"].samples
        assert [(s.labels, s.value) for s in firing] == [({"rule": "bridge_down", "severity": "critical"}, 1.0)]

        bridge.connected = 1
        now[0] += 1
        monitor.tick()
        families = {f.name: f for f in text_string_to_metric_families(httpx.get(server.url, timeout=5).text)}
        assert families[metric_name("bridge.connected")].samples[0].value == 1
        assert families["qdesk_desktop_alerts_firing"].samples == []
    finally:
        server.stop()
    assert server.port == 0


def test_port_in_use_is_reported_not_raised(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(monitor_registry(Monitor(AlertEngine([]))), port)
        reason = server.start()
        assert reason is not None and f"{HOST}:{port}" in reason and "\n" not in reason
        server.stop()
