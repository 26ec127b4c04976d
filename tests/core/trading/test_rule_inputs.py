"""Paper and the pre-trade checks use the backtest's rule inputs: ST periods, listing dates, suspension; the live
mapping prices market orders per exchange and keeps the broker's commission."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

from core.bridge.trading.xt_trade_records import trade_to_fill, xt_price_type
from core.domain.orders import OrderRequest, OrderType, Side
from core.trading.audit import AuditLog
from core.trading.paper import PaperBroker
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.rulebook import RuleBook
from core.trading.service import TradingService
from core.trading.store import TradingStore
from tests.core.trading.conftest import feed

SYM = "600103.SH"


def _service(tmp_path: Path, clock, rules: RuleBook) -> TradingService:  # type: ignore[no-untyped-def]
    broker = PaperBroker(TradingStore(tmp_path / "t.sqlite"), rules=rules, clock=clock)
    return TradingService(broker, RiskEngine(RiskLimits(max_position_weight=1.0)), AuditLog(tmp_path / "a.sqlite"))


def test_an_st_stock_trades_inside_its_narrower_band(tmp_path, clock, ticks_600103) -> None:
    service = _service(tmp_path, clock, RuleBook(st_periods={SYM: [("2021-06-01", "9999-12-31")]}))
    feed(service.broker, clock, [ticks_600103[0]])
    refused = service.submit(OrderRequest("st1", SYM, Side.BUY, 100, 2.96))  # +8.8%: inside 10%, outside 5%
    assert not refused.accepted and "above the limit up 2.86" in refused.verdict.reason
    assert service.submit(OrderRequest("st2", SYM, Side.BUY, 100, 2.85)).accepted


def test_a_star_listing_on_its_first_day_has_no_limit(tmp_path, clock, ticks_600103) -> None:
    day = dt.date(2021, 12, 1)
    # The feed's limits as a replay computes them, without the listing date: ±20% of the previous close.
    ipo = dataclasses.replace(
        ticks_600103[0], symbol="688981.SH", pre_close=20.0, last=50.0, open=48.0, limit_up=24.0, limit_down=16.0
    )
    ipo = dataclasses.replace(ipo, ask_prices=(50.01,), ask_volumes=(1e5,), bid_prices=(49.99,), bid_volumes=(1e5,))
    service = _service(tmp_path, clock, RuleBook(list_dates={"688981.SH": day}))
    feed(service.broker, clock, [ipo])
    assert service.submit(OrderRequest("ipo1", "688981.SH", Side.BUY, 200, 50.0)).accepted
    later = _service(tmp_path / "b", clock, RuleBook(list_dates={"688981.SH": day - dt.timedelta(days=14)}))
    feed(later.broker, clock, [ipo])
    assert (
        "above the limit up 24.00"
        in later.submit(OrderRequest("ipo2", "688981.SH", Side.BUY, 200, 50.0)).verdict.reason
    )


def test_orders_on_a_suspended_stock_are_refused(tmp_path, clock, ticks_600103) -> None:
    service = _service(tmp_path, clock, RuleBook())
    feed(service.broker, clock, [dataclasses.replace(ticks_600103[0], suspended=True)])
    result = service.submit(OrderRequest("sus", SYM, Side.BUY, 100, 2.74))
    assert not result.accepted and "suspended" in result.verdict.reason


def test_market_orders_on_beijing_use_the_shanghai_beijing_price_type() -> None:
    assert xt_price_type("830799.BJ", OrderType.MARKET) == 42
    assert xt_price_type("600000.SH", OrderType.MARKET) == 42
    assert xt_price_type("000001.SZ", OrderType.MARKET) == 47


def test_a_trade_keeps_the_commission_the_broker_charged() -> None:
    trade = SimpleNamespace(
        traded_id="T1", stock_code=SYM, order_type=23, traded_volume=1000, traded_price=2.8, traded_time=0,
        order_id=1, commission=5.0,
    )  # fmt: skip
    assert trade_to_fill(trade, "c1").fees.commission == 5.0
    del trade.commission  # older xtquant releases have no such field
    assert trade_to_fill(trade, "c1").fees.commission == 0.0
