"""The desktop's bridge client on trading routes against a real bridge: typed results, refusals, events, TLS."""

from __future__ import annotations

import asyncio

import pytest

from core.bridge.client.events import (
    BridgeAuthError,
    BridgeRequestError,
    BridgeUnavailable,
    BridgeUnreachable,
    TradingRequestRefused,
)
from core.bridge.client.http import BridgeHttp
from core.domain.orders import OrderRequest, OrderStatus, Side
from tests.core.bridge.conftest import self_signed_certificate
from tests.core.bridge_trading.conftest import SYMBOL, serve_bridge


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


def test_one_client_one_error_policy_for_market_data_and_trading(bridge) -> None:
    async def run() -> None:
        reader = BridgeHttp(bridge.url, bridge.read_token)
        stranger = BridgeHttp(bridge.url, "not-a-token")
        try:
            # One instance reads quotes and the account alike.
            assert [q.symbol for q, _ in await reader.quotes_numbered([SYMBOL])] == [SYMBOL]
            assert (await reader.account()).cash == 1_000_000.0
            with pytest.raises(TradingRequestRefused) as refused:
                await reader.submit(OrderRequest("ro1", SYMBOL, Side.BUY, 100, 2.80))
            assert isinstance(refused.value, BridgeRequestError) and refused.value.status == 403
            assert refused.value.code != "error" and refused.value.message
            with pytest.raises(BridgeRequestError) as bad_input:
                await reader.bars("NOT-A-SYMBOL")
            assert bad_input.value.status == 400 and not isinstance(bad_input.value, TradingRequestRefused)
            for call in (stranger.instruments(), stranger.orders()):
                with pytest.raises(BridgeAuthError, match="the bridge refused the token"):
                    await call
        finally:
            await reader.aclose()
            await stranger.aclose()

    asyncio.run(run())


def test_no_answer_is_an_unknown_outcome_for_every_call() -> None:
    async def run() -> None:
        # Nothing listens on port 9: market data and orders fail alike, as "unknown", never as a refusal.
        nowhere = BridgeHttp("http://127.0.0.1:9", "t" * 32, timeout=2.0)
        try:
            for call in (nowhere.instruments(), nowhere.submit(OrderRequest("u1", SYMBOL, Side.BUY, 100, 2.70))):
                with pytest.raises(BridgeUnreachable, match="cannot reach the bridge at http://127.0.0.1:9") as lost:
                    await call
                assert isinstance(lost.value, BridgeUnavailable) and lost.value.status is None
                assert lost.value.code == "unreachable"
        finally:
            await nowhere.aclose()

    asyncio.run(run())


def test_trading_calls_and_events_trust_the_bridge_certificate_like_market_data(qmt, tmp_path, replay_dir) -> None:
    cert, key = self_signed_certificate(tmp_path)

    async def run(url: str, token: str) -> None:
        trusting = BridgeHttp(url, token, ca_file=str(cert))
        default = BridgeHttp(url, token)
        try:
            assert (await trusting.health())["status"] == "ok"
            assert (await trusting.account()).cash == 1_000_000.0
            events = trusting.events()
            assert (await anext(events))["type"] == "hello"  # wss:// verified with the same certificate
            await events.aclose()
            with pytest.raises(BridgeUnreachable):  # an unknown self-signed certificate is not trusted
                await default.account()
        finally:
            await trusting.aclose()
            await default.aclose()

    with serve_bridge(qmt, tmp_path / "b", replay_dir, tls=(cert, key)) as running:
        assert running.url.startswith("https://")
        asyncio.run(asyncio.wait_for(run(running.url, running.trade_token), 30))
