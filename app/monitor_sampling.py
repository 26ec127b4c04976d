"""Monitor sampling: what the monitor watches and the collectors that sample it on the GUI timer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.jobs import JobRegistry
from core.monitor.alerts import AlertEngine, AlertNotice
from core.monitor.app_metrics import AppCollector, JobInfo, LoopLagProbe
from core.monitor.bridge_health import BridgeHealth
from core.monitor.config import MonitorConfig
from core.monitor.freshness import FreshnessCollector
from core.monitor.service import Monitor
from core.monitor.sources import ModelCollector, ModelSource, TradingCollector, TradingSource, broker_trading_source
from core.monitor.system import SystemCollector
from core.quotes.hub import QuoteHub
from core.quotes.session import beijing_now
from core.storage.market_store import MarketStore
from core.trading.service import TradingService


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
    jobs: JobRegistry | None = None  # the session's background jobs
    model: ModelSource | None = None
    trading: TradingService | None = None  # the account the orders dock trades (paper or live)


def trading_source(service: TradingService) -> TradingSource:
    """The account's P&L today, drawdown, exposure and open orders, read from the service's broker."""
    return broker_trading_source(service.broker)


def running_jobs(jobs: JobRegistry) -> Callable[[], list[JobInfo]]:
    def read() -> list[JobInfo]:
        return [JobInfo(s.name, True, s.fraction, s.message) for s in jobs.running()]

    return read


class MonitorSampler:
    """The monitor's collectors and alert engine; `tick` samples what is due and returns new notices."""

    def __init__(self, sources: MonitorSources, config: MonitorConfig, clock: Callable[[], float] = time.time) -> None:
        engine = AlertEngine(list(config.rules), clock, config.cooldown_s, config.max_per_minute)
        self.monitor = Monitor(engine, clock)
        self.probe = LoopLagProbe()
        self.bridge_health = BridgeHealth()
        self.detach_bridge = self.bridge_health.attach(sources.bridge) if sources.bridge is not None else None
        s = sources
        self.monitor.add("system", SystemCollector(s.data_dir), every_s=2.0)
        jobs = running_jobs(s.jobs) if s.jobs is not None else None
        live = s.live_feed or s.bridge is not None
        self.monitor.add("app", AppCollector(s.hub, self.probe, s.repaints, jobs, live_source=lambda: live))
        self.monitor.add("bridge", self.bridge_health)
        if s.store is not None:
            self.monitor.add("data", FreshnessCollector(s.store, beijing_now), every_s=60.0)
        self.monitor.add("models", ModelCollector(s.model), every_s=30.0)
        trading = trading_source(s.trading) if s.trading is not None else None
        self.monitor.add("trading", TradingCollector(trading), every_s=2.0)

    def tick(self) -> list[AlertNotice]:
        self._start_probe()
        return self.monitor.tick()

    def _start_probe(self) -> None:
        if self.probe.running:
            return
        try:
            loop = asyncio.get_running_loop()  # qasync's loop while the window runs; none in plain Qt
        except RuntimeError:
            return
        self.probe.start(loop)

    def stop(self) -> None:
        self.probe.stop()
        if self.detach_bridge is not None:
            self.detach_bridge()
            self.detach_bridge = None
