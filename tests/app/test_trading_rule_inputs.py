"""The desktop's trading service takes the backtest's rule inputs from the market store: ST names, listing
dates and the exchange calendar (a holiday is no trading day for paper fills or overnight orders)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.orders_presenter import open_trading_service
from core.domain.orders import OrderRequest, OrderStatus, Side
from core.storage.market_store import MarketStore
from core.trading.risk import RiskLimits
from core.trading.rule_inputs import store_holidays
from core.trading.service import TradingService
from tests.core.trading.conftest import continuous, load_ticks

SYM = "600103.SH"  # previous close 2.72 on 2021-12-01: 2.99 / 2.45 at 10%, 2.86 / 2.58 at 5%
STAR = "688981.SH"
# The National Day week of 2021: the exchanges closed from Friday 1 October to Thursday 7 October.
OPEN_DAYS = ["2021-09-28", "2021-09-29", "2021-09-30", "2021-10-08", "2021-10-11", "2021-11-30", "2021-12-01"]


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[MarketStore]:
    s = MarketStore.open(tmp_path / "market.sqlite")
    with s.transaction():
        s.update_instruments([(SYM, "*ST青纸", None, None), (STAR, "中芯国际", "2021-12-01", None)])
        s.add_trading_days("index", OPEN_DAYS)
    yield s
    s.close()


def _service(store: MarketStore, tmp_path: Path) -> TradingService:
    """open_trading_service as the desktop calls it, on a session with this store and no bridge."""
    services = SimpleNamespace(
        store=store, bridge=None, demo=False, hub=None, data_dir=tmp_path / "data", session_dir=tmp_path / "data"
    )
    (tmp_path / "data").mkdir(exist_ok=True)
    settings = SimpleNamespace(risk_limits={"max_position_weight": 1.0}, trading_mode="paper")
    service = open_trading_service(services, settings)  # type: ignore[arg-type]
    assert service.risk.limits == RiskLimits(max_position_weight=1.0)
    return service


def test_an_st_name_in_the_store_gives_the_five_percent_band(store: MarketStore, tmp_path: Path) -> None:
    service = _service(store, tmp_path)
    tick = continuous(load_ticks(SYM))[0]
    service.broker.clock = lambda: tick.time  # type: ignore[misc]
    service.broker.on_ticks([tick])  # type: ignore[attr-defined]
    refused = service.submit(OrderRequest("st1", SYM, Side.BUY, 100, 2.96))  # inside 10%, outside 5%
    assert not refused.accepted and "above the limit up 2.86" in refused.verdict.reason
    assert service.submit(OrderRequest("st2", SYM, Side.BUY, 100, 2.85)).accepted


def test_a_listing_date_in_the_store_gives_a_new_listing_its_free_days(store: MarketStore, tmp_path: Path) -> None:
    service = _service(store, tmp_path)
    first = continuous(load_ticks(SYM))[0]
    # The feed's figures computed without the listing date (±20%); on its first day the stock has no limit.
    ipo = dataclasses.replace(
        first, symbol=STAR, pre_close=20.0, last=50.0, open=48.0, limit_up=24.0, limit_down=16.0,
        ask_prices=(50.01,), ask_volumes=(1e5,), bid_prices=(49.99,), bid_volumes=(1e5,),
    )  # fmt: skip
    service.broker.clock = lambda: ipo.time  # type: ignore[misc]
    service.broker.on_ticks([ipo])  # type: ignore[attr-defined]
    assert service.submit(OrderRequest("ipo1", STAR, Side.BUY, 200, 50.0)).accepted
    later = dataclasses.replace(ipo, time=dt.datetime(2021, 12, 8, 10, 0))  # day 6: the 20% band applies
    service.broker.clock = lambda: later.time  # type: ignore[misc]
    service.broker.on_ticks([later])  # type: ignore[attr-defined]
    refused = service.submit(OrderRequest("ipo2", STAR, Side.BUY, 200, 50.0))
    assert not refused.accepted and "above the limit up 24.00" in refused.verdict.reason


def test_the_store_calendar_knows_the_national_day_holidays(store: MarketStore) -> None:
    holidays = store_holidays(store)
    assert {dt.date(2021, 10, d) for d in range(1, 8) if dt.date(2021, 10, d).weekday() < 5} <= holidays
    assert dt.date(2021, 9, 30) not in holidays and dt.date(2021, 10, 8) not in holidays


def test_an_evening_order_waits_through_the_holiday_for_the_next_session(store: MarketStore, tmp_path: Path) -> None:
    service = _service(store, tmp_path)
    broker = service.broker
    tick = continuous(load_ticks(SYM))[0]
    evening = dt.datetime(2021, 9, 30, 16, 0)
    broker.clock = lambda: evening  # type: ignore[misc]
    placed = service.submit(OrderRequest("eve", SYM, Side.BUY, 100, tick.ask1))
    assert placed.accepted and placed.order is not None and placed.order.is_open
    holiday = dataclasses.replace(tick, time=dt.datetime(2021, 10, 1, 10, 0))  # a quote stamped on the holiday
    broker.clock = lambda: holiday.time  # type: ignore[misc]
    broker.on_ticks([holiday])  # type: ignore[attr-defined]
    waiting = broker.order("eve")
    assert waiting is not None and waiting.is_open and waiting.filled_qty == 0  # not a session: no fill
    reopen = dataclasses.replace(tick, time=dt.datetime(2021, 10, 8, 10, 0))
    broker.clock = lambda: reopen.time  # type: ignore[misc]
    broker.on_ticks([reopen])  # type: ignore[attr-defined]
    filled = broker.order("eve")
    assert filled is not None and filled.status is OrderStatus.FILLED  # it was kept for 8 October and filled
