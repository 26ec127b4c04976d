"""Monitor sampling with real collectors: intervals, n/a on failure, alerts from sampled values."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

import pytest

from core.domain.ticks import Tick
from core.monitor.alerts import AlertEngine, AlertRule, NoticeKind
from core.monitor.app_metrics import AppCollector, JobInfo, LoopLagProbe
from core.monitor.service import Monitor
from core.monitor.sources import ModelCollector, ModelHealth, TradingCollector, TradingHealth
from core.monitor.system import SystemCollector
from core.quotes.hub import QuoteHub
from core.quotes.session import BEIJING


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_640_000.0

    def __call__(self) -> float:
        return self.now


class Broken:
    def __init__(self) -> None:
        self.fail = True

    def collect(self) -> dict:
        if self.fail:
            raise OSError("sensor gone")
        return {"x.value": 1.0}


def _tick(symbol: str) -> Tick:
    # The collector only counts ticks; their prices do not matter here.
    return Tick(
        symbol, dt.datetime(2021, 12, 1, 9, 25, tzinfo=BEIJING), 8.71, 8.71, 8.71, 8.71, 8.72, 1_145_300, 9_975_563.0
    )


def test_collectors_sampled_on_their_intervals(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    monitor = Monitor(AlertEngine([AlertRule("x", "x.value", ">", 0)], clock), clock)
    monitor.add("system", SystemCollector(tmp_path))
    broken = Broken()
    monitor.add("broken", broken, every_s=5)
    with caplog.at_level(logging.ERROR, logger="core.monitor.service"):
        for _ in range(12):
            monitor.tick()
            clock.now += 1
    assert len([r for r in caplog.records if "broken" in r.getMessage()]) == 1  # once per outage
    assert monitor.store.get("x.value") is None
    assert len(monitor.store.history("system.memory_percent")) == 12
    assert 0 < monitor.store.number("system.memory_percent") <= 100
    assert monitor.store.number("system.disk_free_bytes") > 0
    assert monitor.store.get("system.gpu_memory_bytes") is None or "torch" in __import__("sys").modules

    broken.fail = False
    clock.now += 5
    notices = monitor.tick()
    assert [n.kind for n in notices] == [NoticeKind.FIRED] and list(monitor.history) == notices
    broken.fail = True
    clock.now += 5
    notices = monitor.tick()  # the metric went n/a: not a breach any more
    assert [n.kind for n in notices] == [NoticeKind.RESOLVED]


def test_app_collector_with_a_real_hub_and_loop_probe() -> None:
    hub = QuoteHub()
    repaints = [0]
    mono = [100.0]
    trading_time = dt.datetime(2025, 12, 1, 10, 0, tzinfo=BEIJING)  # a Monday, continuous session
    collector = AppCollector(
        hub,
        LoopLagProbe(interval=0.01),
        repaints=lambda: repaints[0],
        jobs=lambda: [JobInfo("import", True, 0.25), JobInfo("export", False)],
        live_source=lambda: True,
        now=lambda: trading_time,
        clock=lambda: mono[0],
    )
    first = collector.collect()
    assert first["app.loop_lag_ms"] is None  # probe not started
    assert first["app.session_ticks_per_s"] == 0.0
    assert first["app.repaints_per_s"] is None  # needs two readings
    hub.publish([_tick("600000.SH"), _tick("600004.SH")])
    repaints[0], mono[0] = 30, 101.0
    values = collector.collect()
    assert values["app.ticks_total"] == 2 and values["app.ticks_per_s"] > 0
    assert values["app.repaints_per_s"] == 30.0
    assert values["app.jobs_running"] == 1 and values["app.jobs"] == "import 25%"

    closed = AppCollector(hub, live_source=lambda: True, now=lambda: trading_time.replace(hour=16))
    assert closed.collect()["app.session_ticks_per_s"] is None  # no tick expected after the close


def test_loop_lag_probe_sees_a_blocked_loop() -> None:
    async def go() -> tuple[float | None, float | None]:
        probe = LoopLagProbe(interval=0.01, window=5)
        probe.start(asyncio.get_running_loop())
        await asyncio.sleep(0.1)
        calm = probe.lag_ms()
        time.sleep(0.2)  # the loop is blocked: the next tick comes ~200 ms late
        await asyncio.sleep(0.02)
        blocked = probe.lag_ms()
        probe.stop()
        return calm, blocked

    calm, blocked = asyncio.run(go())
    assert calm is not None and calm < 150
    assert blocked is not None and blocked >= 150


def test_models_and_trading_report_na_without_sources() -> None:
    assert set(ModelCollector(None).collect().values()) == {None}
    assert set(TradingCollector(None).collect().values()) == {None}
    trained = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    model = ModelCollector(
        lambda: ModelHealth("lgb-alpha158", trained, 0.052, 0.031), wall=lambda: trained.timestamp() + 45 * 86400
    ).collect()
    assert model["model.age_days"] == pytest.approx(45) and model["model.live_ic"] == 0.031
    trading = TradingCollector(lambda: TradingHealth(drawdown_pct=3.5, open_orders=2)).collect()
    assert trading["trading.drawdown_pct"] == 3.5 and trading["trading.pnl_today"] is None
