"""monitor.json: defaults, overrides, new rules, and one-line refusals naming file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.monitor.alerts import Severity
from core.monitor.config import DEFAULT_RULES, ConfigError, MonitorConfig, load_config


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "monitor.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "monitor.json")
    assert config == MonitorConfig()
    keys = {r.key for r in config.rules}
    assert {"bridge_down", "no_ticks", "data_stale_1d", "drawdown", "model_stale"} <= keys
    down = next(r for r in config.rules if r.key == "bridge_down")
    assert (down.metric, down.op, down.threshold, down.for_seconds) == ("bridge.connected", "<", 1, 10)
    assert config.metrics_port == 0  # /metrics is opt-in
    assert not {r.key for r in config.for_demo().rules} & {"data_stale_1d", "data_stale_1m"}


def test_overrides_and_new_rules(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            {
                "rules": {
                    "bridge_down": {"for_seconds": 30},
                    "model_stale": {"enabled": False},
                    "ticks_slow": {"metric": "app.ticks_per_s", "op": "<", "threshold": 100, "severity": "info"},
                },
                "webhooks": [
                    {
                        "kind": "dingtalk",
                        "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
                        "secret": "s",
                        "min_severity": "critical",
                    }
                ],
                "metrics_port": 9464,
                "sound": True,
            },
        )
    )
    rules = {r.key: r for r in config.rules}
    assert rules["bridge_down"].for_seconds == 30 and rules["bridge_down"].severity is Severity.CRITICAL
    assert not rules["model_stale"].enabled
    assert rules["ticks_slow"].severity is Severity.INFO and rules["ticks_slow"].op == "<"
    assert len(config.rules) == len(DEFAULT_RULES) + 1
    assert config.webhooks[0].kind == "dingtalk" and config.webhooks[0].min_severity is Severity.CRITICAL
    assert config.metrics_port == 9464 and config.sound


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"sound": true,\n "rules": [}', r"monitor\.json:2: not valid JSON"),
        ({"rules": {"bridge_down": {"threshold": "ten"}}}, r"field 'rules\.bridge_down\.threshold': expected a number"),
        ({"rules": {"x": {"metric": "m"}}}, r"field 'rules\.x': a new rule needs 'metric', 'op' and 'threshold'"),
        ({"rules": {"bridge_down": {"op": "=>"}}}, r"field 'rules\.bridge_down\.op': '=>' is not one of"),
        ({"rules": {"bridge_down": {"severity": "page"}}}, r"field 'rules\.bridge_down\.severity': 'page'"),
        ({"webhooks": [{"kind": "slack", "url": "https://x"}]}, r"field 'webhooks\[0\]\.kind': 'slack'"),
        ({"webhooks": [{"kind": "wecom", "url": "ftp://x"}]}, r"field 'webhooks\[0\]\.url': expected an http"),
        ({"metrics_port": 70000}, r"field 'metrics_port': 70000 is not a port"),
        ({"metrics_port": 9464.5}, r"field 'metrics_port': expected an integer"),
        ({"colour": "red"}, r"field 'colour': unknown"),
    ],
)
def test_bad_files_are_refused_with_file_and_field(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, data))
    assert str(info.value).startswith(str(tmp_path / "monitor.json"))
    assert "\n" not in str(info.value)
