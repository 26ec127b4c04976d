"""Pre-trade checks refuse with their reason; the kill switch cancels, disarms and blocks until re-armed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core.domain.orders import OrderRequest, OrderStatus, OrderType, Side
from core.trading.risk import RiskLimits
from tests.core.trading.conftest import continuous, feed, load_ticks


def _req(
    cid: str,
    qty: int = 100,
    price: float | None = None,
    side: Side = Side.BUY,
    symbol: str = "600103.SH",
    kind: OrderType = OrderType.LIMIT,
) -> OrderRequest:
    return OrderRequest(cid, symbol, side, qty, 2.80 if price is None else price, kind)


@pytest.fixture()
def svc(make_service, clock, ticks_600103):
    def make(**limits: object):
        service = make_service(RiskLimits(**limits))  # type: ignore[arg-type]
        feed(service.broker, clock, continuous(load_ticks("688218.SH"))[:1])  # type: ignore[arg-type]
        feed(service.broker, clock, ticks_600103[:1])  # type: ignore[arg-type]
        return service

    return make


@pytest.mark.parametrize(
    ("limits", "request_", "rule", "words"),
    [
        ({}, _req("a", price=3.10), "price", "above the limit up 2.99"),  # pre-close 2.72 -> 2.99 / 2.45
        ({}, _req("a", price=2.40), "price", "below the limit down 2.45"),
        ({}, _req("a", price=2.805), "price", "not on the 0.01 tick"),
        ({}, _req("a", qty=150), "lot", "lots of 100"),
        ({}, _req("a", qty=200, symbol="688218.SH", price=0, kind=OrderType.MARKET), None, None),
        ({}, _req("a", qty=150, symbol="688218.SH", price=0, kind=OrderType.MARKET), "lot", "at least 200"),
        ({}, _req("a", side=Side.SELL), "sellable", "only 0 shares are sellable"),
        ({"max_order_value": 1000.0}, _req("a", qty=1000), "max_order", "exceeds the limit of 1,000.00"),
        ({"max_order_qty": 500}, _req("a", qty=1000), "max_order", "exceed the limit of 500 per order"),
        ({"max_position_weight": 0.01}, _req("a", qty=10_000), "position_weight", "above the limit of 1%"),
        ({"restricted": ("600103.SH",)}, _req("a"), "restricted", "restricted list"),
        ({}, _req("a", qty=1_000_000, price=2.80), "cash", "available"),
    ],
)
def test_each_rule_refuses_with_its_reason(svc, limits, request_, rule, words) -> None:
    service = svc(**limits)
    result = service.submit(request_)
    if rule is None:
        assert result.verdict.ok, result.verdict.reason
        return
    assert not result.verdict.ok and result.order is None
    refusal = next(r for r in result.verdict.refusals if r.rule == rule)
    assert words in refusal.reason
    assert service.broker.orders() == []  # a refused order never reaches the broker


def test_duplicate_rate_and_daily_count(svc, clock) -> None:
    service = svc(max_orders_per_window=3, rate_window_s=60.0, max_orders_per_day=4, duplicate_window_s=5.0)
    assert service.submit(_req("a1", price=2.50)).accepted
    dup = service.submit(_req("a2", price=2.50))
    assert [r.rule for r in dup.verdict.refusals] == ["duplicate"] and "a1" in dup.verdict.reason
    clock.now += dt.timedelta(seconds=6)
    assert service.submit(_req("a2", price=2.50)).accepted  # the window has passed
    assert service.submit(_req("a3", price=2.51)).accepted
    rate = service.submit(_req("a4", price=2.52))
    assert [r.rule for r in rate.verdict.refusals] == ["order_rate"]
    clock.now += dt.timedelta(seconds=61)
    assert service.submit(_req("a4", price=2.52)).accepted
    count = service.submit(_req("a5", price=2.53))
    assert [r.rule for r in count.verdict.refusals] == ["daily_count"] and "daily limit of 4" in count.verdict.reason


def test_daily_loss_stop_allows_only_sells(svc, clock, ticks_600103) -> None:
    service = svc(max_daily_loss=10.0, max_position_weight=1.0)
    broker = service.broker
    assert service.submit(_req("b1", qty=10_000, price=ticks_600103[0].ask1)).accepted
    tomorrow = dataclasses.replace(ticks_600103[1], time=ticks_600103[1].time + dt.timedelta(days=1))
    feed(broker, clock, [tomorrow])
    # The price falls the next day: the loss against the day's starting equity reaches the stop.
    worse = dataclasses.replace(
        tomorrow, last=round(tomorrow.last - 0.10, 2), time=tomorrow.time + dt.timedelta(seconds=3)
    )
    feed(broker, clock, [worse])
    buy = service.submit(_req("b2", price=worse.bid1))
    assert [r.rule for r in buy.verdict.refusals] == ["daily_loss"]
    assert service.submit(_req("s1", qty=10_000, side=Side.SELL, price=worse.bid1)).verdict.ok


def test_kill_switch_cancels_disarms_and_blocks(svc) -> None:
    service = svc()
    service.submit(_req("a1", price=2.50))
    service.submit(_req("a2", price=2.51))
    cancelled = service.kill(actor="alice", reason="test")
    assert {o.client_id for o in cancelled} == {"a1", "a2"}
    assert all(o.status is OrderStatus.CANCELLED for o in service.broker.orders())
    assert not service.armed
    blocked = service.submit(_req("a3", price=2.52))
    assert blocked.order is None and blocked.verdict.refusals[0].rule == "armed"
    assert service.preview(_req("a3", price=2.52)).refusals[0].rule == "armed"
    service.arm(actor="alice")
    assert service.submit(_req("a3", price=2.52)).accepted
    actions = [e.action for e in service.audit.entries()]
    assert "disarmed" in actions and actions.index("armed") > actions.index("disarmed")


def test_the_users_log_tells_orders_refusals_fills_and_the_kill_switch(
    svc, clock, ticks_600103, caplog: pytest.LogCaptureFixture
) -> None:
    service = svc()
    caplog.set_level("INFO", logger="core.trading.service")
    service.submit(_req("r1", price=3.10))
    service.submit(_req("b1", price=2.99))  # at the limit up: marketable, fills on the next tick
    feed(service.broker, clock, ticks_600103[1:40])  # type: ignore[arg-type]
    service.kill(actor="alice", reason="end of test")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    refused = [m for _, m in lines if m.startswith("order r1 buy 600103.SH 100 @ 3.100 refused: ")]
    assert len(refused) == 1 and "above the limit up 2.99" in refused[0], lines
    assert any(m.startswith("order b1 buy 600103.SH 100 @ 2.990 sent to paper") for _, m in lines), lines
    assert any(level == "INFO" and m.startswith("filled buy 600103.SH 100 @ ") for level, m in lines), lines
    assert ("WARNING", "kill switch (end of test) by alice on paper") in lines
    assert any(m == "paper disarmed by alice: end of test" for _, m in lines), lines
