"""Alert rules against a fake clock: fire once after the duration, resolve, cooldown and storm limits."""

from __future__ import annotations

import pytest

from core.monitor.alerts import AlertEngine, AlertRule, NoticeKind, Severity
from core.monitor.samples import Level


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


DOWN = AlertRule("bridge_down", "bridge.connected", "<", 1, 10, Severity.CRITICAL, "Bridge disconnected")


def run(engine: AlertEngine, clock: FakeClock, value: float | None, seconds: int, step: float = 1.0) -> list:
    notices = []
    for _ in range(seconds):
        notices += engine.evaluate({"bridge.connected": value})
        clock.advance(step)
    return notices


def test_fires_once_after_duration_then_resolves() -> None:
    clock = FakeClock()
    engine = AlertEngine([DOWN], clock)
    assert run(engine, clock, 1, 5) == []
    # Down for 10 s: nothing yet at 0..9 s, one notice at 10 s, none while it stays down.
    assert run(engine, clock, 0, 10) == []
    notices = run(engine, clock, 0, 30)
    assert [n.kind for n in notices] == [NoticeKind.FIRED]
    assert notices[0].value == 0 and notices[0].rule.key == "bridge_down"
    assert [a.rule.key for a in engine.active()] == ["bridge_down"]
    assert engine.level_of("bridge.connected") is Level.CRITICAL

    resolved = run(engine, clock, 1, 3)
    assert [n.kind for n in resolved] == [NoticeKind.RESOLVED]
    assert resolved[0].alert_id == notices[0].alert_id
    assert resolved[0].at - resolved[0].fired_at == pytest.approx(30.0)
    assert engine.active() == []
    assert engine.level_of("bridge.connected") is Level.OK


def test_short_blip_below_duration_never_fires() -> None:
    clock = FakeClock()
    engine = AlertEngine([DOWN], clock)
    for _ in range(20):  # 9 s down, 1 s up, repeatedly
        assert run(engine, clock, 0, 9) == []
        assert run(engine, clock, 1, 1) == []
    assert engine.active() == []


def test_unavailable_metric_never_breaches() -> None:
    clock = FakeClock()
    engine = AlertEngine([DOWN], clock)
    assert run(engine, clock, None, 60) == []
    assert engine.evaluate({}) == []


def test_flapping_rule_is_listed_but_not_announced_within_cooldown() -> None:
    clock = FakeClock()
    engine = AlertEngine([DOWN], clock, cooldown_s=300)
    kinds = []
    for _ in range(5):  # down 15 s, up 5 s: each cycle fires and resolves
        kinds += [n.kind for n in run(engine, clock, 0, 15)]
        kinds += [n.kind for n in run(engine, clock, 1, 5)]
    assert kinds == [NoticeKind.FIRED, NoticeKind.RESOLVED]
    assert engine.suppressed == 4
    run(engine, clock, 0, 15)
    assert engine.active() and not engine.active()[0].announced  # still shown in the list, silently
    clock.advance(300)
    run(engine, clock, 1, 1)
    assert [n.kind for n in run(engine, clock, 0, 12)] == [NoticeKind.FIRED]


def test_storm_limit_caps_announcements_across_rules() -> None:
    clock = FakeClock()
    rules = [AlertRule(f"r{i}", f"m{i}", ">", 0) for i in range(10)]
    engine = AlertEngine(rules, clock, max_per_minute=3)
    notices = engine.evaluate({f"m{i}": 1.0 for i in range(10)})
    assert len(notices) == 3
    assert len(engine.active()) == 10
    assert engine.suppressed == 7
    # Resolving everything announces only the three that were announced.
    clock.advance(5)
    resolved = engine.evaluate({f"m{i}": 0.0 for i in range(10)})
    assert sorted(n.rule.key for n in resolved) == sorted(n.rule.key for n in notices)
    assert all(n.kind is NoticeKind.RESOLVED for n in resolved)


def test_acknowledge_and_severity_order() -> None:
    clock = FakeClock()
    warn = AlertRule("lag", "lag", ">", 100, 0, Severity.WARNING)
    crit = AlertRule("dd", "dd", ">", 10, 0, Severity.CRITICAL)
    engine = AlertEngine([warn, crit], clock)
    engine.evaluate({"lag": 500, "dd": 1})
    clock.advance(1)
    engine.evaluate({"lag": 500, "dd": 20})
    assert [a.rule.key for a in engine.active()] == ["dd", "lag"]
    lag_id = engine.active()[1].alert_id
    assert engine.acknowledge(lag_id)
    assert engine.active()[1].acknowledged
    assert not engine.acknowledge(9999)


def test_changed_rule_resolves_its_alert() -> None:
    clock = FakeClock()
    engine = AlertEngine([DOWN], clock)
    run(engine, clock, 0, 11)
    assert engine.active()
    notices = engine.set_rules([AlertRule("bridge_down", "bridge.connected", "<", 1, 60, Severity.CRITICAL)])
    assert [n.kind for n in notices] == [NoticeKind.RESOLVED]
    assert engine.active() == []


def test_bad_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="operator '=>'"):
        AlertRule("x", "m", "=>", 1)
