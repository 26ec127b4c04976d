"""Paper trading and the desktop's trading service under edge states: sealed limit boards, per-order minimum
commission, resting buys in the weight check, odd lots, sessions that follow the market, concurrency, batches."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.domain.orders import OrderRequest, OrderStatus, OrderType, Side
from core.domain.ticks import Tick
from core.rules.fees import stamp_duty_rate
from core.trading.risk import RiskLimits
from tests.core.trading.conftest import feed

SYM = "600103.SH"  # pre-close 2.72: limits 2.99 / 2.45


def _sealed_up(tick: Tick) -> Tick:
    """The real snapshot as a sealed limit-up board: last at 2.99, buyers queued there, no sellers."""
    return dataclasses.replace(
        tick, last=2.99, high=2.99, ask_prices=(), ask_volumes=(), bid_prices=(2.99, 2.98), bid_volumes=(9e6, 1e5)
    )


def _sealed_down(tick: Tick) -> Tick:
    return dataclasses.replace(
        tick, last=2.45, low=2.45, bid_prices=(), bid_volumes=(), ask_prices=(2.45, 2.46), ask_volumes=(9e6, 1e5)
    )


def test_paper_never_buys_at_a_sealed_limit_up(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, [_sealed_up(ticks_600103[10])])
    market = broker.submit(OrderRequest("m1", SYM, Side.BUY, 10_000, 0.0, OrderType.MARKET))
    limit = broker.submit(OrderRequest("l1", SYM, Side.BUY, 10_000, 2.99))
    feed(broker, clock, [_sealed_up(t) for t in ticks_600103[11:40]])
    assert market.status is OrderStatus.CANCELLED and market.filled_qty == 0
    assert broker.order("l1").filled_qty == 0 and limit.status is OrderStatus.SUBMITTED  # type: ignore[union-attr]
    assert broker.fills() == []


def test_paper_never_sells_at_a_sealed_limit_down(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, [ticks_600103[0]])
    broker.submit(OrderRequest("b1", SYM, Side.BUY, 1000, 2.80))
    clock.now = dt.datetime(2021, 12, 2, 9, 30)
    next_day = [dataclasses.replace(t, time=t.time + dt.timedelta(days=1)) for t in ticks_600103[:20]]
    feed(broker, clock, [_sealed_down(t) for t in next_day])
    order = broker.submit(OrderRequest("s1", SYM, Side.SELL, 1000, 0.0, OrderType.MARKET))
    assert order.status is OrderStatus.CANCELLED and order.filled_qty == 0
    assert broker.positions()[0].total == 1000


def test_paper_refuses_a_one_price_limit_up_day_without_depth(make_broker, clock, ticks_600103) -> None:
    # A daily replay has no book: a day that opened, traded and closed at the limit up cannot be bought.
    bar = dataclasses.replace(
        ticks_600103[0],
        last=2.99,
        open=2.99,
        high=2.99,
        low=2.99,
        bid_prices=(),
        bid_volumes=(),
        ask_prices=(),
        ask_volumes=(),
    )
    broker = make_broker()
    feed(broker, clock, [bar])
    order = broker.submit(OrderRequest("d1", SYM, Side.BUY, 10_000, 0.0, OrderType.MARKET))
    assert order.filled_qty == 0 and broker.fills() == []
    below = dataclasses.replace(bar, last=2.90, high=2.90, low=2.90, open=2.90)
    feed(broker, clock, [below])
    assert broker.submit(OrderRequest("d2", SYM, Side.BUY, 1000, 0.0, OrderType.MARKET)).filled_qty == 1000


def test_minimum_commission_is_charged_once_per_order_and_cash_never_goes_negative(
    make_broker, clock, ticks_600103
) -> None:
    broker = make_broker(cash=2_725.06)  # 1,000 @2.72 with fees: 2,725.0544
    thin = [dataclasses.replace(t, ask_prices=(2.72,), ask_volumes=(100.0,), last=2.73) for t in ticks_600103[:10]]
    feed(broker, clock, thin[:1])
    order = broker.submit(OrderRequest("p1", SYM, Side.BUY, 1000, 2.72))
    feed(broker, clock, thin[1:])
    done = broker.order("p1")
    assert done is not None and done.status is OrderStatus.FILLED and order.client_id == "p1"
    fills = broker.fills()
    assert len(fills) == 10
    assert sum(f.fees.commission for f in fills) == pytest.approx(5.0)  # the minimum, once
    assert broker.account().cash >= 0.0 and broker.account().frozen == pytest.approx(0.0)


def test_position_weight_counts_resting_buys(make_service, clock, ticks_600103) -> None:
    service = make_service(RiskLimits(max_position_weight=0.3, duplicate_window_s=0.0))
    feed(service.broker, clock, [ticks_600103[0]])
    results = [service.submit(OrderRequest(f"w{i}", SYM, Side.BUY, 90_000 + i * 100, 2.70)) for i in range(3)]
    assert results[0].accepted  # ~24% of equity
    assert not results[1].accepted and results[1].verdict.refusals[0].rule == "position_weight"


def test_market_order_value_is_checked_at_the_protection_price(make_service, clock, ticks_600103) -> None:
    tick = ticks_600103[0]  # best ask 2.75: protection 2.81
    service = make_service(RiskLimits(max_order_value=10_000.0, max_position_weight=1.0))
    feed(service.broker, clock, [tick])
    result = service.submit(OrderRequest("v1", SYM, Side.BUY, 3600, 0.0, OrderType.MARKET))  # 9,900 at the ask
    assert not result.accepted and result.verdict.refusals[0].rule == "max_order"
    assert "10,116.00" in result.verdict.reason


def test_the_odd_part_alone_can_be_sold(make_service, clock, ticks_600103) -> None:
    service = make_service(RiskLimits(max_position_weight=1.0))
    broker = service.broker
    feed(broker, clock, [ticks_600103[0]])
    broker.ledger.positions[SYM] = dataclasses.replace(
        broker.ledger.positions.get(SYM) or _position(1050), total=1050, sellable=1050
    )
    assert service.submit(OrderRequest("o1", SYM, Side.SELL, 50, 2.74)).accepted
    assert service.submit(OrderRequest("o2", SYM, Side.SELL, 120, 2.74)).verdict.refusals[0].rule == "lot"
    assert service.submit(OrderRequest("o3", SYM, Side.SELL, 1000, 2.73)).accepted


def _position(total: int):  # type: ignore[no-untyped-def]
    from core.domain.orders import Position

    return Position(SYM, total, total, 2.7, 2.74)


def test_an_order_sent_after_the_close_waits_for_the_next_session(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:1])
    clock.now = dt.datetime(2021, 12, 1, 20, 0)
    sent = broker.submit(OrderRequest("n1", SYM, Side.BUY, 1000, 2.80))
    assert sent.status is OrderStatus.SUBMITTED  # the morning's quote does not fill an evening order
    next_day = [dataclasses.replace(t, time=t.time + dt.timedelta(days=1)) for t in ticks_600103[:50]]
    feed(broker, clock, next_day)
    done = broker.order("n1")
    assert done is not None and done.status is OrderStatus.FILLED
    assert broker.fills()[0].time.date() == dt.date(2021, 12, 2)


def test_a_looping_replay_frees_t_plus_1_shares(make_broker, clock, ticks_600103) -> None:
    broker = make_broker()
    feed(broker, clock, ticks_600103[:2])
    broker.submit(OrderRequest("t1", SYM, Side.BUY, 1000, 2.80))
    assert broker.positions()[0].sellable == 0
    feed(broker, clock, [dataclasses.replace(ticks_600103[0], time=dt.datetime(2021, 12, 1, 15, 0, 3))])
    feed(broker, clock, ticks_600103[:2])  # the replay starts the same day over: a new session
    assert broker.positions()[0].sellable == 1000


def test_same_client_id_from_eight_threads_places_one_order(make_service, clock, ticks_600103) -> None:
    service = make_service(RiskLimits(max_position_weight=1.0))
    feed(service.broker, clock, [ticks_600103[0]])
    gate = threading.Barrier(8)

    def send(_: int):  # type: ignore[no-untyped-def]
        gate.wait()
        return service.submit(OrderRequest("same", SYM, Side.BUY, 1000, 2.74))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, range(8)))
    assert all(r.accepted for r in results)
    assert len(service.broker.orders()) == 1 and service.broker.order("same").status is not OrderStatus.REJECTED  # type: ignore[union-attr]
    clash = service.submit(OrderRequest("same", SYM, Side.BUY, 2000, 2.74))
    assert not clash.accepted and clash.verdict.refusals[0].rule == "client_id"


def test_parallel_buys_never_overspend_while_ticks_stream(make_service, make_broker, clock, ticks_600103) -> None:
    limits = RiskLimits(max_position_weight=1.0, duplicate_window_s=0.0, max_orders_per_window=1000)
    service = make_service(limits, make_broker(cash=30_000.0))
    broker = service.broker
    feed(broker, clock, [ticks_600103[0]])
    gate = threading.Barrier(9)

    def buy(i: int):  # type: ignore[no-untyped-def]
        gate.wait()
        return service.submit(OrderRequest(f"pb{i}", SYM, Side.BUY, 3600, round(2.70 - 0.01 * i, 2)))  # ~9,500 each

    def ticks() -> None:
        gate.wait()
        for t in ticks_600103[1:300]:
            broker.on_ticks([t])

    with ThreadPoolExecutor(9) as pool:
        feeder = pool.submit(ticks)
        results = list(pool.map(buy, range(8)))
        feeder.result()
    assert sum(r.accepted for r in results) == 3, [r.verdict.reason for r in results]
    assert broker.account().cash >= 0 and broker.account().available >= -1e-6


def test_a_confirmed_fifty_name_batch_passes_the_rate_rule(make_service, clock, ticks_600103) -> None:
    service = make_service(RiskLimits(max_position_weight=1.0))
    feed(service.broker, clock, [ticks_600103[0]])
    requests = [OrderRequest(f"bt{i}", SYM, Side.BUY, 100, round(2.50 + 0.01 * i, 2)) for i in range(50)]
    results = service.submit_batch(requests)
    assert [r.verdict.reason for r in results if not r.accepted] == []
    one_by_one = [
        service.submit(OrderRequest(f"x{i}", SYM, Side.BUY, 200, round(2.50 + 0.01 * i, 2))) for i in range(11)
    ]
    assert not one_by_one[-1].accepted and one_by_one[-1].verdict.refusals[0].rule == "order_rate"


def test_stamp_duty_before_2005_follows_the_history() -> None:
    assert stamp_duty_rate(dt.date(1997, 5, 12), sell=True) == 0.005
    assert stamp_duty_rate(dt.date(1997, 5, 12), sell=False) == 0.005
    assert stamp_duty_rate(dt.date(1998, 6, 12), sell=False) == 0.004
    assert stamp_duty_rate(dt.date(2001, 11, 16), sell=True) == 0.002
    assert stamp_duty_rate(dt.date(2005, 1, 21), sell=True) == 0.002
    assert stamp_duty_rate(dt.date(1995, 3, 1), sell=False) == 0.003
    assert stamp_duty_rate(dt.date(2008, 9, 19), sell=False) == 0.0
