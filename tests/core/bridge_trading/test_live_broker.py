"""The desktop's live mirror against a real bridge: the trading service and its checks work as on paper."""

from __future__ import annotations

import asyncio

from core.bridge.client.http import BridgeHttp
from core.bridge.client.live_broker import LiveBroker
from core.domain.orders import Order, OrderFilled, OrderRequest, OrderStatus, Side
from core.trading.audit import AuditLog
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.service import TradingService
from tests.core.bridge_trading.conftest import SYMBOL
from tests.fakes.xttrader_fake import STOCK_BUY, rest


async def _until(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_live_mirror_orders_fills_and_kill(bridge, qmt, tmp_path) -> None:
    async def run() -> None:
        broker = LiveBroker(BridgeHttp(bridge.url, bridge.trade_token))
        audit = AuditLog(tmp_path / "desk-audit.sqlite")
        service = TradingService(broker, RiskEngine(RiskLimits(max_position_weight=1.0)), audit, armed=False)
        events: list[object] = []
        broker.add_listener(events.append)
        await broker.start()
        assert broker.account().cash == 1_000_000.0
        service.arm(actor="alice")  # arms the bridge too
        await _until(lambda: bridge.trading.armed)
        result = service.submit(OrderRequest("lv1", SYMBOL, Side.BUY, 300, 2.80), actor="alice")
        assert result.accepted and result.order.status is OrderStatus.PENDING  # type: ignore[union-attr]
        await _until(lambda: (o := broker.order("lv1")) is not None and o.status is OrderStatus.FILLED)
        await _until(lambda: broker.positions() and broker.positions()[0].total == 300)
        assert broker.positions()[0].sellable == 0 and broker.fills()[0].qty == 300
        assert any(isinstance(e, OrderFilled) for e in events)
        # The same pre-trade checks run on the desktop before anything is sent.
        refused = service.submit(OrderRequest("lv2", SYMBOL, Side.SELL, 300, 2.80), actor="alice")
        assert not refused.accepted and refused.verdict.refusals[0].rule == "sellable"
        # Kill: the bridge's own switch, which also cancels orders typed into QMT by hand.
        qmt.matcher = rest
        service.submit(OrderRequest("lv3", SYMBOL, Side.BUY, 100, 2.50), actor="alice")
        manual = qmt.place_manual(SYMBOL, STOCK_BUY, 100, 2.40)
        await _until(
            lambda: (
                broker.order(f"QMT{manual.order_id}") is not None
                and (broker.order("lv3") or broker.order("lv1")).broker_id
            )
        )  # type: ignore[union-attr]
        await _until(lambda: broker.order("lv3") is not None and broker.order("lv3").broker_id)  # type: ignore[union-attr]
        service.kill(actor="alice")
        await _until(lambda: not bridge.trading.armed)
        await _until(lambda: all(not o.is_open for o in broker.orders()))
        assert not service.armed
        assert qmt.placed == [(SYMBOL, 300, "lv1"), (SYMBOL, 100, "lv3")]
        await broker.aclose()
        audit.close()

    asyncio.run(run())


def test_a_reply_written_before_qmts_acknowledgement_never_takes_the_mirror_back(bridge, tmp_path) -> None:
    """The submit reply and the event stream race; here the acknowledgement event arrives first."""

    class LateReply(BridgeHttp):
        async def submit(self, request: OrderRequest) -> Order:
            reply = await super().submit(request)
            await _until(lambda: (o := broker.order(request.client_id)) is not None and bool(o.broker_id))
            # As written before QMT numbered it: pending, nothing filled.
            return reply.evolve(status=OrderStatus.PENDING, broker_id="", filled_qty=0, avg_price=0.0)

    async def run() -> None:
        nonlocal broker
        broker = LiveBroker(LateReply(bridge.url, bridge.trade_token))
        audit = AuditLog(tmp_path / "desk-audit.sqlite")
        service = TradingService(broker, RiskEngine(RiskLimits(max_position_weight=1.0)), audit, armed=False)
        await broker.start()
        service.arm(actor="alice")
        await _until(lambda: bridge.trading.armed)
        done = asyncio.Event()
        service.submit(OrderRequest("late1", SYMBOL, Side.BUY, 100, 2.50), actor="alice")
        task = next(t for t in broker._tasks if t.get_name() == "live-submit-late1")
        task.add_done_callback(lambda _t: done.set())
        await asyncio.wait_for(done.wait(), 30)  # the reply has been applied, or not
        order = broker.order("late1")
        assert order is not None and order.broker_id and order.status is not OrderStatus.PENDING, order
        await broker.aclose()
        audit.close()

    broker: LiveBroker
    asyncio.run(run())
