"""The Grafana dashboard and Prometheus example name only metrics the bridge and the desktop really export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.monitor_views import ROWS
from core.bridge.metrics import BridgeMetrics
from core.monitor.config import DEFAULT_RULES
from core.monitor.exporter import PREFIX, metric_name

FOLDER = Path(__file__).resolve().parents[2] / "resources" / "monitoring"
_NAME = re.compile(r"\bqdesk_[a-z0-9_]+")


def _bridge_names() -> set[str]:
    metrics = BridgeMetrics()
    metrics.requests.labels("GET", "/v1/health", "200").inc()
    metrics.auth_failures.labels("missing").inc()
    metrics.latency.labels("/v1/health").observe(0.01)
    text = metrics.render()[0].decode()
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def _desktop_names() -> set[str]:
    keys = {row.key for row in ROWS} | {rule.metric for rule in DEFAULT_RULES}
    return {metric_name(k) for k in keys} | {PREFIX + "alerts_firing", PREFIX + "alerts_suppressed"}


def test_dashboard_queries_use_exported_metrics() -> None:
    dashboard = json.loads((FOLDER / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) > 20
    known = _bridge_names() | _desktop_names()
    used = {name for expr in exprs for name in _NAME.findall(expr)}
    unknown = sorted(used - known)  # sample names: counters end in _total, histograms in _bucket
    assert not unknown, f"dashboard queries metrics nobody exports: {unknown}"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"


def test_prometheus_example_scrapes_bridge_with_token_and_desktop_on_localhost() -> None:
    config = yaml.safe_load((FOLDER / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["qdesk-bridge"]["authorization"]["type"] == "Bearer"
    assert jobs["qdesk-desktop"]["static_configs"][0]["targets"] == ["127.0.0.1:9464"]
