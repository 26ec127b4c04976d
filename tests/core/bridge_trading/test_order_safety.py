"""Broker-grade safety over real loopback HTTP: one order per client id under parallel requests, cash held for
orders in flight, a daily-loss stop marked to live quotes, and a kill switch that misses nothing."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from core.bridge.trading.day_start import DAY_START_FILE
from core.trading.risk import RiskLimits
from tests.core.bridge_trading.conftest import SYMBOL, Bridge, order_of, place, serve_bridge, wait_for
from tests.fakes.xttrader_fake import ORDER_CANCELED, FakeQmt, XtPosition, rest

PARALLEL = 20


def _parallel(bridge: Bridge, bodies: list[dict[str, object]]) -> list[httpx.Response]:
    """Every body POSTed at once from its own thread and connection, released together by a barrier."""
    gate = threading.Barrier(len(bodies))

    def post(body: dict[str, object]) -> httpx.Response:
        with bridge.trader() as client:
            client.get("/v1/trading/state")  # connection open before the race starts
            gate.wait()
            return client.post("/v1/orders", json=body)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _body(client_id: str, qty: int = 100, price: float = 2.80) -> dict[str, object]:
    return {"client_id": client_id, "symbol": SYMBOL, "side": "buy", "qty": qty, "price": price, "type": "limit"}


def test_one_client_id_with_differing_bodies_in_parallel_places_one_order(bridge, qmt) -> None:
    qmt.matcher = rest
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
    responses = _parallel(bridge, [_body("race1", qty=100 * (i + 1)) for i in range(PARALLEL)])
    codes = sorted(r.status_code for r in responses)
    assert len(qmt.placed) == 1 and len(qmt.orders) == 1
    placed_qty = qmt.placed[0][1]
    assert codes.count(202) == 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"] == "client_id_conflict"
        else:  # the winner, or a retry that happened to carry the winner's body
            assert r.status_code in (200, 202) and r.json()["qty"] == placed_qty


def test_one_client_id_with_the_same_body_in_parallel_returns_the_existing_order(bridge, qmt) -> None:
    qmt.matcher = rest
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
    responses = _parallel(bridge, [_body("race2", qty=300)] * PARALLEL)
    assert sorted(r.status_code for r in responses) == [200] * (PARALLEL - 1) + [202]
    assert {r.json()["client_id"] for r in responses} == {"race2"}
    assert len(qmt.placed) == 1
    with bridge.trader() as trader:  # a later retry: the order with its state; another body: 409
        wait_for(lambda: (order_of(trader, "race2") or {}).get("broker_id"))
        again = place(trader, "race2", qty=300)
        assert again.status_code == 200 and again.json()["status"] == "submitted" and again.json()["broker_id"]
        other = place(trader, "race2", qty=400)
        assert other.status_code == 409 and "different order" in other.json()["message"]
    assert len(qmt.placed) == 1


def test_parallel_buys_hold_cash_for_orders_in_flight(tmp_path, replay_dir) -> None:
    qmt = FakeQmt(cash=10_000.0, matcher=rest)
    with serve_bridge(qmt, tmp_path / "b", replay_dir, RiskLimits(max_position_weight=1.0)) as bridge:
        with bridge.trader() as trader:
            trader.post("/v1/trading/arm", json={})
        bodies = [_body(f"cash{i}", qty=2100, price=round(2.80 - 0.01 * i, 2)) for i in range(PARALLEL)]
        responses = _parallel(bridge, bodies)  # 5,481 to 5,880 each
        accepted = [r for r in responses if r.status_code == 202]
        refused = [r for r in responses if r.status_code == 422]
        assert len(accepted) == 1 and len(refused) == PARALLEL - 1
        assert all(r.json()["refusals"][0]["rule"] == "cash" for r in refused)
        assert len(qmt.placed) == 1


def test_daily_loss_stop_sees_a_loss_marked_to_live_quotes(tmp_path, replay_dir) -> None:
    # Held from yesterday at 3.00 (QMT's stale market value); the live quotes say about 2.7: ~28,000 down.
    qmt = FakeQmt(cash=50_000.0, matcher=rest)
    qmt.positions[SYMBOL] = XtPosition(2, qmt.account_id, SYMBOL, 100_000, 100_000, 3.0, 300_000.0)
    limits = RiskLimits(max_position_weight=1.0, max_daily_loss=1_000.0)
    with serve_bridge(qmt, tmp_path / "b", replay_dir, limits) as bridge, bridge.trader() as trader:
        state = trader.get("/v1/account") and trader.get("/v1/trading/state").json()
        assert state["day_start_equity"] == 350_000.0  # fixed from the broker's account at the session start
        assert state["limits"]["max_daily_loss"] == 1_000.0
        trader.post("/v1/trading/arm", json={})
        wait_for(lambda: trader.get("/v1/quotes", params={"symbols": SYMBOL}).json()["count"])
        buy = place(trader, "loss1")
        assert buy.status_code == 422 and buy.json()["refusals"][-1]["rule"] == "daily_loss"
        assert "only sells are allowed" in buy.json()["message"]
        sell = place(trader, "loss2", side="sell", price=2.60)
        assert sell.status_code == 202  # sells reduce risk and still go
        assert [p[2] for p in qmt.placed] == ["loss2"]


def test_kill_switch_cancels_orders_qmt_has_not_numbered_yet(bridge, qmt) -> None:
    qmt.matcher = rest
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        place(trader, "acked")
        acked = wait_for(lambda: (order_of(trader, "acked") or {}).get("broker_id"))
        qmt.hold_callbacks()  # QMT takes the next order but its acknowledgement is late
        pending = place(trader, "unacked", price=2.79)
        assert pending.status_code == 202 and pending.json()["broker_id"] == ""
        killed = trader.post("/v1/trading/kill", json={"reason": "test"}).json()
        assert killed["cancelled"] == ["acked"] and killed["awaiting"] == ["unacked"]
        assert set(killed["working"]) >= {"unacked"}
        qmt.release_callbacks()
        wait_for(lambda: all(o.order_status == ORDER_CANCELED for o in qmt.orders.values()))
        final = wait_for(lambda: (o := order_of(trader, "unacked")) and o["status"] == "cancelled" and o)
        assert final["broker_id"] and acked
        assert trader.get("/v1/trading/state").json()["working"] == []


def test_kill_switch_with_the_link_down_cancels_after_the_reconnect(bridge, qmt) -> None:
    qmt.matcher = rest
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        for cid, price in (("w1", 2.80), ("w2", 2.79)):
            place(trader, cid, price=price)
        wait_for(lambda: all((order_of(trader, c) or {}).get("broker_id") for c in ("w1", "w2")))
        qmt.disconnect()
        wait_for(lambda: trader.get("/v1/trading/state").json()["connected"] is False)
        killed = trader.post("/v1/trading/kill", json={"reason": "link down"})
        assert killed.status_code == 200
        assert killed.json()["armed"] is False and sorted(killed.json()["working"]) == ["w1", "w2"]
        assert sorted(killed.json()["awaiting"]) == ["w1", "w2"]
        qmt.reconnectable()
        wait_for(lambda: all(o.order_status == ORDER_CANCELED for o in qmt.orders.values()), timeout=20)
        wait_for(lambda: trader.get("/v1/trading/state").json()["working"] == [])
        assert trader.get("/v1/trading/state").json()["armed"] is False


def test_a_bridge_restarted_mid_session_keeps_the_day_start_equity(tmp_path, replay_dir) -> None:
    qmt = FakeQmt(cash=50_000.0, matcher=rest)
    qmt.positions[SYMBOL] = XtPosition(2, qmt.account_id, SYMBOL, 100_000, 100_000, 3.0, 300_000.0)
    limits = RiskLimits(max_position_weight=1.0, max_daily_loss=1_000.0)
    with serve_bridge(qmt, tmp_path / "b", replay_dir, limits) as bridge, bridge.trader() as trader:
        trader.get("/v1/account")
        assert trader.get("/v1/trading/state").json()["day_start_equity"] == 350_000.0
    # The bridge is down a while; QMT now values the holding at the day's lower price.
    qmt.positions[SYMBOL].market_value = 272_000.0
    with serve_bridge(qmt, tmp_path / "b", replay_dir, limits) as bridge, bridge.trader() as trader:
        trader.get("/v1/account")
        state = trader.get("/v1/trading/state").json()
        assert state["day_start_equity"] == 350_000.0  # the morning's figure, not QMT's 322,000 of now
        trader.post("/v1/trading/arm", json={})
        wait_for(lambda: trader.get("/v1/quotes", params={"symbols": SYMBOL}).json()["count"])
        buy = place(trader, "after-restart")
        assert buy.status_code == 422 and buy.json()["refusals"][-1]["rule"] == "daily_loss"
        restored = [e for e in bridge.trading.audit.entries() if e.action == "day_start_equity"]
        assert restored[-1].data["restored"] is True
        # The next trading day starts from the account as it is then.
        today = bridge.trading.clock()
        bridge.trading.clock = lambda: today + dt.timedelta(days=1)
        assert place(trader, "next-day").status_code == 202  # measured from the new start: no loss yet
        assert trader.get("/v1/trading/state").json()["day_start_equity"] == 322_000.0
    assert [p[2] for p in qmt.placed] == ["next-day"]  # the stopped buy never reached QMT
    assert (tmp_path / "b" / DAY_START_FILE).stat().st_mode & 0o777 == 0o600  # account figures: owner only
