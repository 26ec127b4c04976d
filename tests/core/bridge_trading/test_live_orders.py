"""Live orders over real loopback HTTP into a fake xttrader: scopes, arming, fills, T+1, events, kill switch."""

from __future__ import annotations

import json

import websockets.sync.client as ws_client

from core.trading.audit import verify
from tests.core.bridge_trading.conftest import SYMBOL, order_of, place, wait_for
from tests.fakes.xttrader_fake import STOCK_BUY, rest


def test_read_only_token_can_read_but_never_trade(bridge) -> None:
    with bridge.reader() as reader:
        assert reader.get("/v1/orders").status_code == 200
        assert reader.get("/v1/account").json()["cash"] == 1_000_000.0
        for response in (
            place(reader, "r1"),
            reader.post("/v1/trading/arm", json={}),
            reader.delete("/v1/orders/r1"),
            reader.post("/v1/trading/kill", json={}),
        ):
            assert response.status_code == 403
            assert response.json()["error"] == "forbidden" and "read-only" in response.json()["message"]
    with bridge.http("not-a-valid-token-at-all-000") as stranger:
        assert stranger.get("/v1/orders").status_code == 401
    # Even armed, a read-only token cannot place an order.
    with bridge.trader() as trader:
        assert trader.post("/v1/trading/arm", json={"reason": "test"}).json() == {"armed": True}
    with bridge.reader() as reader:
        assert place(reader, "r2").status_code == 403
    assert bridge.trading.orders == {}


def test_disarmed_at_start_then_armed_order_fills_and_streams(bridge, qmt) -> None:
    url = bridge.url.replace("http://", "ws://") + "/v1/trading/stream"
    with bridge.trader() as trader:
        assert trader.get("/v1/trading/state").json()["armed"] is False
        refused = place(trader, "c1")
        assert refused.status_code == 409 and refused.json()["error"] == "not_armed"
        assert qmt.placed == []
        with ws_client.connect(url, additional_headers={"Authorization": f"Bearer {bridge.trade_token}"}) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "hello"
            trader.post("/v1/trading/arm", json={})
            accepted = place(trader, "c1", qty=500, price=2.80)
            assert accepted.status_code == 202 and accepted.json()["client_id"] == "c1"
            kinds: list[str] = []
            while "trade" not in kinds:
                kinds.append(json.loads(ws.recv(timeout=5))["type"])
        done = wait_for(lambda: (o := order_of(trader, "c1")) and o["status"] == "filled" and o)
        assert done["filled_qty"] == 500 and done["broker_id"]
        assert qmt.placed == [(SYMBOL, 500, "c1")]  # the client order id travels as order_remark
        trades = trader.get("/v1/trades").json()["trades"]
        assert [(t["client_id"], t["qty"]) for t in trades] == [("c1", 500)]
        pos = wait_for(lambda: trader.get("/v1/positions").json()["positions"])
        assert (pos[0]["symbol"], pos[0]["total"], pos[0]["sellable"]) == (SYMBOL, 500, 0)  # T+1
        sell = place(trader, "s1", qty=500, side="sell")
        assert sell.status_code == 422 and sell.json()["refusals"][0]["rule"] == "sellable"
    # xttrader called back on its own thread, never on the event loop.
    assert {n for t in qmt.traders for n in t.callback_threads} == {"xttrader-callbacks"}


def test_pre_trade_checks_refuse_over_http(bridge, qmt) -> None:
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        wait_for(
            lambda: (
                bridge.service.fanout.latest([SYMBOL])
                or trader.get("/v1/quotes", params={"symbols": SYMBOL}).json()["count"]
            )
        )
        lot = place(trader, "x1", qty=150)
        assert lot.status_code == 422 and "lots of 100" in lot.json()["message"]
        high = place(trader, "x2", price=3.10)
        assert high.status_code == 422 and "limit up 2.99" in high.json()["message"]
        bad = trader.post(
            "/v1/orders", json={"client_id": "bad id!", "symbol": SYMBOL, "side": "buy", "qty": 100, "price": 2.8}
        )
        assert bad.status_code == 400 and "client_id" in bad.json()["message"]
    assert qmt.placed == []


def test_orders_placed_by_hand_in_qmt_appear(bridge, qmt) -> None:
    with bridge.reader() as reader:
        reader.get("/v1/orders")  # connects
        manual = qmt.place_manual("000001.SZ", STOCK_BUY, 200, 12.5)
        found = wait_for(lambda: order_of(reader, f"QMT{manual.order_id}"))
        assert found["origin"] == "qmt" and found["symbol"] == "000001.SZ" and found["qty"] == 200


def test_kill_switch_cancels_everything_and_disarms(bridge, qmt) -> None:
    qmt.matcher = rest
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        for i in range(3):
            assert place(trader, f"k{i}", price=2.50 + i / 100).status_code == 202
        wait_for(lambda: all((order_of(trader, f"k{i}") or {}).get("broker_id") for i in range(3)))
        qmt.place_manual(SYMBOL, STOCK_BUY, 100, 2.40)
        wait_for(lambda: len(trader.get("/v1/orders").json()["orders"]) == 4)
        killed = trader.post("/v1/trading/kill", json={"reason": "test"}).json()
        assert killed["armed"] is False and len(killed["cancelled"]) == 4
        wait_for(lambda: all(o["status"] == "cancelled" for o in trader.get("/v1/orders").json()["orders"]))
        assert place(trader, "k9").status_code == 409
    actions = [e.action for e in bridge.trading.audit.entries()]
    assert actions.count("cancel_requested") == 4 and "disarmed" in actions
    assert verify(bridge.trading.audit.path).ok
