"""Real Level-1 snapshots (SSE, 2021-12-01) and a paper broker on a temp SQLite file with a settable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from core.bridge.sources.replay_files import discover, session_events
from core.domain.ticks import Tick
from core.trading.audit import AuditLog
from core.trading.paper import PaperBroker
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.service import TradingService
from core.trading.store import TradingStore
from tests.realdata import shared_data_dir

DAY = dt.date(2021, 12, 1)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def load_ticks(symbol: str) -> list[Tick]:
    root = shared_data_dir() / "cn" / "tick" / "snapshot"
    if not root.exists():
        pytest.fail(f"real snapshots not found at {root}")
    files = [f for f in discover(root)[DAY] if f.symbol == symbol]
    return [e.tick for e in session_events(files, DAY)]


def continuous(ticks: list[Tick]) -> list[Tick]:
    return [t for t in ticks if dt.time(9, 30) <= t.time.time() < dt.time(11, 30) and t.ask1 > 0 and t.bid1 > 0]


@pytest.fixture(scope="session")
def ticks_600103() -> list[Tick]:
    return continuous(load_ticks("600103.SH"))


@pytest.fixture()
def clock() -> Clock:
    return Clock(dt.datetime(2021, 12, 1, 9, 30, 0))


@pytest.fixture()
def make_broker(tmp_path: Path, clock: Clock) -> Callable[..., PaperBroker]:
    opened: list[TradingStore] = []

    def make(cash: float = 1_000_000.0) -> PaperBroker:
        store = TradingStore(tmp_path / "trading.sqlite")
        opened.append(store)
        return PaperBroker(store, cash=cash, clock=clock)

    yield make
    for s in opened:
        s.close()


@pytest.fixture()
def make_service(tmp_path: Path, make_broker: Callable[..., PaperBroker]) -> Callable[..., TradingService]:
    logs: list[AuditLog] = []

    def make(limits: RiskLimits | None = None, broker: PaperBroker | None = None) -> TradingService:
        audit = AuditLog(tmp_path / "audit.sqlite")
        logs.append(audit)
        return TradingService(broker or make_broker(), RiskEngine(limits or RiskLimits()), audit)

    yield make
    for a in logs:
        a.close()


def feed(broker: PaperBroker, clock: Clock, ticks: list[Tick]) -> None:
    for t in ticks:
        clock.now = t.time
        broker.on_ticks([t])
