"""The desktop's live account against a real bridge: the daily-loss stop sees the day's loss (start equity from
the bridge's session start, holdings marked to live quotes); an unreachable bridge is a typed unknown outcome."""

from __future__ import annotations

import asyncio
import datetime as dt

from core.bridge.client.http import BridgeHttp
from core.bridge.client.live_broker import LiveBroker
from core.domain.orders import OrderRequest, OrderStatus, Side
from core.trading.audit import AuditLog
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.service import TradingService
from tests.core.bridge_trading.conftest import SYMBOL, serve_bridge
from tests.core.trading.conftest import continuous, load_ticks
from tests.fakes.xttrader_fake import FakeQmt, XtPosition, rest


def test_desktop_daily_loss_stop_sees_a_loss_marked_to_live_quotes(tmp_path, replay_dir) -> None:
    qmt = FakeQmt(cash=50_000.0, matcher=rest)
    qmt.positions[SYMBOL] = XtPosition(2, qmt.account_id, SYMBOL, 100_000, 100_000, 3.0, 300_000.0)
    live_tick = continuous(load_ticks(SYMBOL))[0]  # a real snapshot at the open: 2.74
    assert live_tick.last < 2.9

    async def run(url: str, token: str) -> None:
        broker = LiveBroker(BridgeHttp(url, token), quote=lambda s: live_tick if s == SYMBOL else None)
        audit = AuditLog(tmp_path / "desk.sqlite")
        limits = RiskLimits(max_position_weight=1.0, max_daily_loss=1_000.0)
        service = TradingService(broker, RiskEngine(limits), audit, armed=True)
        await broker.refresh()
        assert broker.day_start_equity == 350_000.0  # the bridge's session-start figure
        buy = service.submit(OrderRequest("d1", SYMBOL, Side.BUY, 100, 2.70))
        assert not buy.accepted and buy.verdict.refusals[-1].rule == "daily_loss"
        sell = service.preview(OrderRequest("d2", SYMBOL, Side.SELL, 100, 2.70))
        assert "daily_loss" not in [r.rule for r in sell.refusals]
        await broker.aclose()
        audit.close()

    with serve_bridge(qmt, tmp_path / "b", replay_dir, RiskLimits(max_position_weight=1.0)) as bridge:
        asyncio.run(run(bridge.url, bridge.trade_token))


def test_an_unreachable_bridge_leaves_the_order_unknown_by_its_type(tmp_path) -> None:
    async def run() -> None:
        # Nothing listens on this port: the request may or may not have arrived, so the order is unknown.
        broker = LiveBroker(BridgeHttp("http://127.0.0.1:9", "t" * 32, timeout=2.0))
        broker.clock = lambda: dt.datetime(2021, 12, 1, 10, 0)
        broker.submit(OrderRequest("u1", SYMBOL, Side.BUY, 100, 2.70))
        while broker.order("u1").status is OrderStatus.PENDING:  # type: ignore[union-attr]
            await asyncio.gather(*broker._tasks)
        assert broker.order("u1").status is OrderStatus.UNKNOWN  # type: ignore[union-attr]
        await broker.aclose()

    asyncio.run(run())


def test_a_bridge_that_cannot_reach_qmt_refuses_and_the_order_is_rejected_not_unknown(tmp_path, replay_dir) -> None:
    # The bridge answered (503, QMT unreachable): the order was never sent, whatever the message says.
    qmt = FakeQmt(connected=False)

    async def run(url: str, token: str) -> None:
        broker = LiveBroker(BridgeHttp(url, token))
        broker.submit(OrderRequest("r1", SYMBOL, Side.BUY, 100, 2.70))
        while broker.order("r1").status is OrderStatus.PENDING:  # type: ignore[union-attr]
            await asyncio.gather(*broker._tasks)
        order = broker.order("r1")
        assert order is not None and order.status is OrderStatus.REJECTED and "cannot reach QMT" in order.reason
        await broker.aclose()

    with serve_bridge(qmt, tmp_path / "b", replay_dir) as bridge:
        asyncio.run(run(bridge.url, bridge.trade_token))
