"""Alert rules on metrics (threshold, duration, severity) and their evaluation against an injected clock.

A rule fires once when its condition has held for `for_seconds`, stays active until the condition
clears, then resolves. Notices are rate-limited twice over: a rule that fires again within its
cooldown is listed but not announced (a flapping feed must not page anyone every second), and
all rules together announce at most `max_per_minute` firings; resolved notices always follow an
announced firing, so nobody is left believing a cleared problem persists.
"""

from __future__ import annotations

import operator
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from core.monitor.samples import Level

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def level(self) -> Level:
        return Level.CRITICAL if self is Severity.CRITICAL else Level.WARNING


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True, slots=True)
class AlertRule:
    """`metric op threshold` held for `for_seconds` raises an alert of `severity`.

    A metric that is not available (None) never breaches: a bridge that is not configured is not down.
    """

    key: str
    metric: str
    op: str
    threshold: float
    for_seconds: float = 0.0
    severity: Severity = Severity.WARNING
    title: str = ""
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"rule {self.key!r}: operator {self.op!r} is not one of {' '.join(OPERATORS)}")
        if self.for_seconds < 0:
            raise ValueError(f"rule {self.key!r}: for_seconds must be >= 0")

    def breached(self, value: float | None) -> bool:
        return value is not None and OPERATORS[self.op](float(value), self.threshold)

    def describe(self) -> str:
        held = f" for {self.for_seconds:g} s" if self.for_seconds else ""
        return f"{self.metric} {self.op} {self.threshold:g}{held}"


class NoticeKind(str, Enum):
    FIRED = "fired"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class AlertNotice:
    """A fact worth telling the user: alert `alert_id` of `rule` fired or resolved at `at`."""

    kind: NoticeKind
    alert_id: int
    rule: AlertRule
    value: float | None
    at: float
    fired_at: float


@dataclass
class ActiveAlert:
    alert_id: int
    rule: AlertRule
    since: float
    value: float | None
    announced: bool
    acknowledged: bool = False


@dataclass
class _RuleState:
    pending_since: float | None = None
    active: ActiveAlert | None = None
    last_announced: float | None = None


@dataclass
class AlertEngine:
    """Evaluates rules against the latest metric values; call `evaluate` once per sampling tick."""

    rules: list[AlertRule]
    clock: Callable[[], float] = time.time
    cooldown_s: float = 300.0
    max_per_minute: int = 6
    suppressed: int = 0
    _states: dict[str, _RuleState] = field(default_factory=dict)
    _announced: deque[float] = field(default_factory=deque)
    _next_id: int = 1

    def set_rules(self, rules: Iterable[AlertRule]) -> list[AlertNotice]:
        """Replace the rules; alerts of rules that disappear or change resolve now."""
        rules = list(rules)
        keep = {r.key: r for r in rules}
        notices = []
        for old in self.rules:
            if keep.get(old.key) != old:
                state = self._states.pop(old.key, None)
                if state is not None and state.active is not None:
                    notice = self._resolve(state, old, state.active.value, self.clock())
                    if notice is not None:
                        notices.append(notice)
        self.rules = rules
        return notices

    def evaluate(self, values: Mapping[str, float | None]) -> list[AlertNotice]:
        now = self.clock()
        notices: list[AlertNotice] = []
        for rule in self.rules:
            if not rule.enabled:
                continue
            state = self._states.setdefault(rule.key, _RuleState())
            value = values.get(rule.metric)
            if rule.breached(value):
                if state.pending_since is None:
                    state.pending_since = now
                if state.active is None and now - state.pending_since >= rule.for_seconds:
                    notice = self._fire(state, rule, value, now)
                    if notice is not None:
                        notices.append(notice)
                elif state.active is not None:
                    state.active.value = value
            else:
                state.pending_since = None
                if state.active is not None:
                    notice = self._resolve(state, rule, value, now)
                    if notice is not None:
                        notices.append(notice)
        return notices

    def active(self) -> list[ActiveAlert]:
        """Active alerts, most severe first, then oldest first."""
        found = [s.active for s in self._states.values() if s.active is not None]
        return sorted(found, key=lambda a: (-a.rule.severity.rank, a.since, a.alert_id))

    def acknowledge(self, alert_id: int) -> bool:
        for alert in self.active():
            if alert.alert_id == alert_id:
                alert.acknowledged = True
                return True
        return False

    def level_of(self, metric: str) -> Level:
        """The colour a metric deserves: the worst active alert on it, else ok."""
        ranks = [a.rule.severity for a in self.active() if a.rule.metric == metric]
        return max(ranks, key=lambda s: s.rank).level if ranks else Level.OK

    def _fire(self, state: _RuleState, rule: AlertRule, value: float | None, now: float) -> AlertNotice | None:
        announce = self._may_announce(state, now)
        state.active = ActiveAlert(self._next_id, rule, now, value, announce)
        self._next_id += 1
        if not announce:
            self.suppressed += 1
            return None
        state.last_announced = now
        self._announced.append(now)
        return AlertNotice(NoticeKind.FIRED, state.active.alert_id, rule, value, now, now)

    def _resolve(self, state: _RuleState, rule: AlertRule, value: float | None, now: float) -> AlertNotice | None:
        alert, state.active = state.active, None
        if alert is None or not alert.announced:
            return None
        return AlertNotice(NoticeKind.RESOLVED, alert.alert_id, rule, value, now, alert.since)

    def _may_announce(self, state: _RuleState, now: float) -> bool:
        if state.last_announced is not None and now - state.last_announced < self.cooldown_s:
            return False
        while self._announced and self._announced[0] <= now - 60.0:
            self._announced.popleft()
        return len(self._announced) < self.max_per_minute
