"""Models and trading: small source interfaces other parts of QDesk fill in; n/a until one exists."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.monitor.samples import Value


@dataclass(frozen=True, slots=True)
class ModelHealth:
    """The model behind today's signals, as its registry knows it."""

    name: str
    trained_at: dt.datetime
    test_ic: float | None = None  # IC on the run's own test segment
    live_ic: float | None = None  # IC of its predictions since deployment, once returns are known


@dataclass(frozen=True, slots=True)
class TradingHealth:
    """Account figures from a real broker or paper account; any figure the source lacks stays None."""

    pnl_today: float | None = None
    drawdown_pct: float | None = None
    exposure: float | None = None
    open_orders: int | None = None
    risk_refusals: int | None = None


ModelSource = Callable[[], ModelHealth | None]
TradingSource = Callable[[], TradingHealth | None]
MODEL_METRICS = ("model.name", "model.age_days", "model.test_ic", "model.live_ic")
TRADING_METRICS = (
    "trading.pnl_today",
    "trading.drawdown_pct",
    "trading.exposure",
    "trading.open_orders",
    "trading.risk_refusals",
)


class ModelCollector:
    def __init__(self, source: ModelSource | None, wall: Callable[[], float] = time.time) -> None:
        self._source, self._wall = source, wall

    def collect(self) -> dict[str, Value]:
        model = self._source() if self._source is not None else None
        if model is None:
            return dict.fromkeys(MODEL_METRICS)
        trained = model.trained_at if model.trained_at.tzinfo else model.trained_at.replace(tzinfo=dt.timezone.utc)
        return {
            "model.name": model.name,
            "model.age_days": max(0.0, (self._wall() - trained.timestamp()) / 86400.0),
            "model.test_ic": model.test_ic,
            "model.live_ic": model.live_ic,
        }


def registry_model_source(data_dir: Path) -> ModelSource:
    """The newest run in the data folder's run registry, with the IC of its own test segment.

    Live IC stays None: it needs predictions made after training and the returns that followed,
    which the registry does not hold; no number is better than a made-up one.
    """

    def newest() -> ModelHealth | None:
        from core.research.registry import RunRegistry  # lazily: the registry module is not needed to start

        runs = RunRegistry(data_dir).runs()
        if not runs:
            return None
        run = runs[0]
        ic = run.metrics.get("ic")
        return ModelHealth(
            f"{run.model} · {run.run_id}",
            dt.datetime.fromisoformat(run.created),
            float(ic) if ic is not None else None,
            None,
        )

    return newest


def broker_trading_source(broker: Any) -> TradingSource:
    """Account figures from an in-process broker (the paper broker, or any with `account()` and `orders()`).

    P&L today is equity against the ledger's start-of-day equity; drawdown is from the highest
    equity this source has seen since it started (or since the day began, if higher). Risk refusals
    stay None: the broker never sees the orders the pre-trade checks stopped.
    """
    peak: list[float] = []

    def read() -> TradingHealth:
        account = broker.account()
        equity = float(account.equity)
        start = getattr(getattr(broker, "ledger", None), "day_start_equity", None)
        top = max([equity, *peak, *([float(start)] if start is not None else [])])
        peak[:] = [top]
        return TradingHealth(
            pnl_today=equity - float(start) if start is not None else None,
            drawdown_pct=100.0 * (top - equity) / top if top > 0 else None,
            exposure=float(account.market_value),
            open_orders=sum(1 for order in broker.orders() if order.is_open),
        )

    return read


class TradingCollector:
    def __init__(self, source: TradingSource | None) -> None:
        self._source = source

    def collect(self) -> dict[str, Value]:
        health = self._source() if self._source is not None else None
        if health is None:
            return dict.fromkeys(TRADING_METRICS)
        return {
            "trading.pnl_today": health.pnl_today,
            "trading.drawdown_pct": health.drawdown_pct,
            "trading.exposure": health.exposure,
            "trading.open_orders": health.open_orders,
            "trading.risk_refusals": health.risk_refusals,
        }
