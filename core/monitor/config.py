"""Monitoring settings: alert rules (defaults plus the user's overrides), webhooks, sound, /metrics port.

They live in `monitor.json` in the data folder. A bad file is refused with one line naming the file
and the field; the defaults then apply, so a typo never leaves the user unwatched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.monitor.alerts import OPERATORS, AlertRule, Severity

CONFIG_FILE = "monitor.json"
WEBHOOK_KINDS = ("wecom", "feishu", "dingtalk", "generic")

DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule("bridge_down", "bridge.connected", "<", 1, 10, Severity.CRITICAL, "Bridge disconnected"),
    AlertRule("qmt_down", "bridge.qmt_connected", "<", 1, 30, Severity.CRITICAL, "QMT not connected to the bridge"),
    AlertRule("no_ticks", "app.session_ticks_per_s", "<=", 0, 60, Severity.WARNING, "No ticks during market hours"),
    AlertRule("bridge_latency", "bridge.latency_p99_ms", ">", 2000, 30, Severity.WARNING, "Bridge latency high"),
    AlertRule("data_stale_1d", "data.1d.behind_days", ">", 2, 0, Severity.WARNING, "Daily bars stale"),
    AlertRule("data_stale_1m", "data.1m.behind_days", ">", 2, 0, Severity.WARNING, "Minute bars stale"),
    AlertRule("drawdown", "trading.drawdown_pct", ">", 10, 0, Severity.CRITICAL, "Drawdown beyond limit"),
    AlertRule("model_stale", "model.age_days", ">", 30, 0, Severity.WARNING, "Model stale"),
    AlertRule("loop_lag", "app.loop_lag_ms", ">", 500, 10, Severity.WARNING, "Window unresponsive"),
    AlertRule("memory_high", "system.memory_percent", ">", 92, 30, Severity.WARNING, "Memory nearly full"),
    AlertRule("disk_low", "system.disk_free_percent", "<", 5, 0, Severity.WARNING, "Data folder disk nearly full"),
)
# Demo data ends years ago by design; staleness alerts about it would only teach users to ignore alerts.
DEMO_MUTED = frozenset({"data_stale_1d", "data_stale_1m"})


class ConfigError(ValueError):
    """The one-line reason a monitor.json was refused."""


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    kind: str  # one of WEBHOOK_KINDS
    url: str
    secret: str = ""  # DingTalk / Feishu signing secret, when the robot requires one
    min_severity: Severity = Severity.WARNING


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    rules: tuple[AlertRule, ...] = DEFAULT_RULES
    webhooks: tuple[WebhookTarget, ...] = ()
    sound: bool = False
    tray: bool = True
    metrics_port: int = 0  # 0: no desktop /metrics (opt-in)
    cooldown_s: float = 300.0
    max_per_minute: int = 6
    sample_interval_s: float = 1.0

    def for_demo(self) -> MonitorConfig:
        return replace(self, rules=tuple(r for r in self.rules if r.key not in DEMO_MUTED))


def load_config(path: Path) -> MonitorConfig:
    """The settings in `path`; defaults when it does not exist. Raises ConfigError on a bad file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return MonitorConfig()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level")
    try:
        return parse_config(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def parse_config(raw: Mapping[str, Any]) -> MonitorConfig:
    known = {"rules", "webhooks", "sound", "tray", "metrics_port", "cooldown_s", "max_per_minute", "sample_interval_s"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"field {unknown[0]!r}: unknown (known: {', '.join(sorted(known))})")
    port = _number(raw, "metrics_port", 0, integer=True)
    if not 0 <= port <= 65535:
        raise ConfigError(f"field 'metrics_port': {port:g} is not a port number (0 turns /metrics off)")
    interval = _number(raw, "sample_interval_s", 1.0)
    if not 0.1 <= interval <= 60:
        raise ConfigError("field 'sample_interval_s': must be between 0.1 and 60")
    return MonitorConfig(
        rules=_rules(raw.get("rules", {})),
        webhooks=tuple(_webhook(w, i) for i, w in enumerate(_list(raw, "webhooks"))),
        sound=_bool(raw, "sound", False),
        tray=_bool(raw, "tray", True),
        metrics_port=int(port),
        cooldown_s=max(0.0, _number(raw, "cooldown_s", 300.0)),
        max_per_minute=max(1, int(_number(raw, "max_per_minute", 6, integer=True))),
        sample_interval_s=interval,
    )


def _rules(raw: Any) -> tuple[AlertRule, ...]:
    """Defaults with per-key overrides; a key not among the defaults defines a new rule."""
    if not isinstance(raw, dict):
        raise ConfigError("field 'rules': expected an object of rule key -> settings")
    rules = {r.key: r for r in DEFAULT_RULES}
    for key, spec in raw.items():
        where = f"rules.{key}"
        if not isinstance(spec, dict):
            raise ConfigError(f"field {where!r}: expected an object")
        base = rules.get(key)
        if base is None and not {"metric", "op", "threshold"} <= set(spec):
            raise ConfigError(f"field {where!r}: a new rule needs 'metric', 'op' and 'threshold'")
        allowed = {"metric", "op", "threshold", "for_seconds", "severity", "title", "enabled"}
        extra = sorted(set(spec) - allowed)
        if extra:
            raise ConfigError(f"field '{where}.{extra[0]}': unknown (known: {', '.join(sorted(allowed))})")
        op = spec.get("op", base.op if base else ">")
        if op not in OPERATORS:
            raise ConfigError(f"field '{where}.op': {op!r} is not one of {' '.join(OPERATORS)}")
        rules[key] = AlertRule(
            key=key,
            metric=_text(spec, "metric", base.metric if base else "", where),
            op=op,
            threshold=_number(spec, "threshold", base.threshold if base else 0.0, where=where),
            for_seconds=max(0.0, _number(spec, "for_seconds", base.for_seconds if base else 0.0, where=where)),
            severity=_severity(spec, base.severity if base else Severity.WARNING, where),
            title=_text(spec, "title", base.title if base else key, where),
            enabled=_bool(spec, "enabled", True, where),
        )
    return tuple(rules.values())


def _webhook(raw: Any, index: int) -> WebhookTarget:
    where = f"webhooks[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"field {where!r}: expected an object with 'kind' and 'url'")
    kind = _text(raw, "kind", "generic", where)
    if kind not in WEBHOOK_KINDS:
        raise ConfigError(f"field '{where}.kind': {kind!r} is not one of {', '.join(WEBHOOK_KINDS)}")
    url = _text(raw, "url", "", where)
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"field '{where}.url': expected an http(s) URL")
    return WebhookTarget(
        kind, url, _text(raw, "secret", "", where), _severity(raw, Severity.WARNING, where, key="min_severity")
    )


def _field(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _number(raw: Mapping[str, Any], key: str, default: float, *, integer: bool = False, where: str = "") -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"field {_field(where, key)!r}: expected {kind}, got {value!r}")
    return float(value)


def _bool(raw: Mapping[str, Any], key: str, default: bool, where: str = "") -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"field {_field(where, key)!r}: expected true or false, got {value!r}")
    return value


def _text(raw: Mapping[str, Any], key: str, default: str, where: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"field {_field(where, key)!r}: expected a string, got {value!r}")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"field {key!r}: expected a list")
    return value


def _severity(raw: Mapping[str, Any], default: Severity, where: str, key: str = "severity") -> Severity:
    value = raw.get(key, default.value)
    try:
        return Severity(value)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise ConfigError(f"field '{where}.{key}': {value!r} is not one of {names}") from None
