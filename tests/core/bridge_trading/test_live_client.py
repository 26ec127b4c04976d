"""The desktop's trading client against a real bridge: typed results, typed refusals, events back."""

from __future__ import annotations

import asyncio

import pytest

from core.bridge.client.events import TradingRequestRefused
from core.bridge.client.http import BridgeHttp
from core.domain.orders import OrderRequest, OrderStatus, Side
from tests.core.bridge_trading.conftest import SYMBOL


def test_client_round_trip_and_refusals(bridge) -> None:
    async def run() -> None:
        trader = BridgeHttp(bridge.url, bridge.trade_token)
        reader = BridgeHttp(bridge.url, bridge.read_token)
        try:
            with pytest.raises(TradingRequestRefused) as refused:
                await reader.arm()
            assert refused.value.status == 403
            await trader.arm("test")
            events = trader.events()
            assert (await anext(events))["type"] == "hello"
            order = await trader.submit(OrderRequest("cl1", SYMBOL, Side.BUY, 200, 2.80))
            assert order.client_id == "cl1"
            while (event := await anext(events))["type"] != "trade":
                pass
            assert event["trade"]["client_id"] == "cl1" and event["trade"]["qty"] == 200
            await events.aclose()
            orders = await reader.orders()
            assert [(o.client_id, o.status) for o in orders] == [("cl1", OrderStatus.FILLED)]
            assert (await reader.trades())[0].qty == 200
            positions = await reader.positions()
            assert positions and positions[0].sellable == 0
            assert (await reader.account()).cash < 1_000_000.0
            with pytest.raises(TradingRequestRefused) as lot:
                await trader.submit(OrderRequest("cl2", SYMBOL, Side.BUY, 150, 2.80))
            assert lot.value.status == 422 and lot.value.refusals[0]["rule"] == "lot"
            assert await trader.kill() == []
            assert (await trader.state())["armed"] is False
        finally:
            await trader.aclose()
            await reader.aclose()

    asyncio.run(run())
