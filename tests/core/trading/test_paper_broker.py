"""Paper broker on real SSE snapshots: lifecycle, market orders, T+1, costs, restart persistence, idempotency."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.domain.orders import (
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRequest,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    Side,
)
from core.rules.fees import CostModel
from tests.core.trading.conftest import feed


def test_limit_buy_rests_then_fills_when_the_price_crosses(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    top = max(range(len(ticks_600103)), key=lambda i: ticks_600103[i].ask1)
    first, later = ticks_600103[top], ticks_600103[top + 1 :]
    limit = round(min(t.last for t in later) + 0.01, 2)  # below the ask now, reached later in the morning
    assert limit < first.bid1
    events: list[object] = []
    broker.add_listener(events.append)
    feed(broker, clock, [first])
    order = broker.submit(OrderRequest("c1", "600103.SH", Side.BUY, 1000, limit))
    assert order.status is OrderStatus.SUBMITTED and order.broker_id
    feed(broker, clock, later)
    done = broker.order("c1")
    assert done is not None and done.status is OrderStatus.FILLED
    assert done.filled_qty == 1000 and done.avg_price <= limit + 1e-9
    kinds = [type(e) for e in events]
    assert kinds[:2] == [OrderSubmitted, OrderAccepted] and OrderFilled in kinds
    pos = broker.positions()[0]
    assert (pos.symbol, pos.total, pos.sellable) == ("600103.SH", 1000, 0)  # T+1: bought today
    fill = broker.fills()[0]
    fees = CostModel().fees("600103.SH", fill.time.date(), False, fill.price, fill.qty)
    assert fill.fees.total == pytest.approx(fees.total)
    assert fill.fees.stamp_duty == 0.0  # no stamp duty on buys since 2008-09-19
    account = broker.account()
    assert account.cash == pytest.approx(1_000_000 - fill.value - fill.fees.total)
    assert account.frozen == pytest.approx(0.0)


def test_market_buy_walks_the_book_up_to_the_protection_price(make_broker, clock, ticks_600103) -> None:
    broker = make_broker(cash=10_000_000.0)
    tick = ticks_600103[50]
    feed(broker, clock, [tick])
    depth = int(tick.ask_volumes[0] + tick.ask_volumes[1])
    order = broker.submit(
        OrderRequest("m1", "600103.SH", Side.BUY, depth, round(tick.ask_prices[1], 2), OrderType.MARKET)
    )
    assert order.status is OrderStatus.FILLED
    prices = sorted({f.price for f in broker.fills()})
    assert prices == [tick.ask_prices[0], tick.ask_prices[1]]
    # More than the book holds within the protection price: the rest is cancelled, never left resting.
    big = broker.submit(
        OrderRequest("m2", "600103.SH", Side.BUY, depth * 3, round(tick.ask_prices[1], 2), OrderType.MARKET)
    )
    assert big.status is OrderStatus.CANCELLED and 0 < big.filled_qty < big.qty
    assert "market order" in big.reason
    assert broker.account().frozen == pytest.approx(0.0)


def test_cancel_releases_frozen_cash(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:1])
    broker.submit(OrderRequest("c1", "600103.SH", Side.BUY, 10_000, 2.50))
    fees = CostModel().fees("600103.SH", ticks_600103[0].time.date(), False, 2.50, 10_000)
    assert broker.account().frozen == pytest.approx(25_000 + fees.total)
    cancelled = broker.cancel("c1")
    assert cancelled.status is OrderStatus.CANCELLED and broker.account().frozen == 0.0


def test_bought_today_is_sellable_only_tomorrow(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:1])
    broker.submit(OrderRequest("b1", "600103.SH", Side.BUY, 500, ticks_600103[0].ask1))
    assert broker.positions()[0].sellable == 0
    sell = broker.submit(OrderRequest("s1", "600103.SH", Side.SELL, 500, ticks_600103[0].bid1))
    assert sell.status is OrderStatus.REJECTED and "sellable" in sell.reason
    # Next trading day (the same real snapshot, dated a day later): every share is sellable.
    tomorrow = dataclasses.replace(ticks_600103[1], time=ticks_600103[1].time + dt.timedelta(days=1))
    feed(broker, clock, [tomorrow])
    pos = broker.positions()[0]
    assert (pos.total, pos.sellable) == (500, 500)
    sold = broker.submit(OrderRequest("s2", "600103.SH", Side.SELL, 500, tomorrow.bid1))
    assert sold.status is OrderStatus.FILLED
    assert broker.positions() == []
    fill = broker.fills()[-1]
    assert fill.fees.stamp_duty == pytest.approx(fill.value * 0.001)  # 0.1% on sells in 2021


def test_open_orders_expire_at_the_day_change(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:1])
    broker.submit(OrderRequest("c1", "600103.SH", Side.BUY, 100, 2.00))
    events: list[object] = []
    broker.add_listener(events.append)
    feed(broker, clock, [dataclasses.replace(ticks_600103[1], time=ticks_600103[1].time + dt.timedelta(days=1))])
    assert broker.order("c1").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert any(isinstance(e, OrderCancelled) for e in events)


def test_restart_restores_the_same_state(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:1])
    broker.submit(OrderRequest("b1", "600103.SH", Side.BUY, 1000, ticks_600103[0].ask1))
    broker.submit(OrderRequest("b2", "600103.SH", Side.BUY, 2000, 2.50))  # rests, freezes cash
    feed(broker, clock, ticks_600103[1:20])
    before = (broker.orders(), broker.fills(), broker.positions(), broker.account(), broker.ledger.day)
    broker.store.close()
    again = make_broker()
    after = (again.orders(), again.fills(), again.positions(), again.account(), again.ledger.day)
    assert after == before
    # The restored broker carries on: the resting order is still open and cancellable.
    assert again.cancel("b2").status is OrderStatus.CANCELLED
    assert again.account().frozen == 0.0


def test_same_client_id_never_places_two_orders(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:1])
    req = OrderRequest("dup", "600103.SH", Side.BUY, 100, ticks_600103[0].ask1)
    first = broker.submit(req)
    second = broker.submit(req)
    assert first == second and len(broker.orders()) == 1 and len(broker.fills()) == 1
    broker.store.close()
    again = make_broker()
    assert again.submit(req) == first and len(again.fills()) == 1


def test_no_fill_outside_continuous_trading(make_broker, clock) -> None:
    from tests.core.trading.conftest import load_ticks

    auction = [t for t in load_ticks("600103.SH") if t.time.time() < dt.time(9, 25) and t.ask1 > 0]
    broker = make_broker()
    feed(broker, clock, auction[:1])
    order = broker.submit(OrderRequest("c1", "600103.SH", Side.BUY, 100, round(auction[0].ask1 + 0.05, 2)))
    feed(broker, clock, auction[1:])
    assert broker.order(order.client_id).status is OrderStatus.SUBMITTED  # type: ignore[union-attr]
