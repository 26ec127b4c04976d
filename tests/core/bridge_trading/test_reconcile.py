"""Unknown outcomes: after a dropped link or a bridge restart, orders are reconciled by querying, never resent."""

from __future__ import annotations

from tests.core.bridge_trading.conftest import order_of, place, serve_bridge, wait_for
from tests.fakes.xttrader_fake import rest


def test_same_client_id_twice_places_one_order(bridge, qmt) -> None:
    qmt.matcher = rest
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        first = place(trader, "same1")
        second = place(trader, "same1")
        assert (first.status_code, second.status_code) == (202, 200)  # the retry gets the existing order
        assert first.json()["client_id"] == second.json()["client_id"] == "same1"
        wait_for(lambda: (order_of(trader, "same1") or {}).get("broker_id"))
        assert len(qmt.placed) == 1 and len(qmt.orders) == 1
        assert [o["client_id"] for o in trader.get("/v1/orders").json()["orders"]] == ["same1"]


def test_disconnect_while_in_flight_reconciles_without_resending(bridge, qmt) -> None:
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        qmt.deliver = False  # QMT takes (and fills) the order, but the link dies before any callback
        assert place(trader, "lost1", qty=300).json()["status"] == "pending"
        qmt.disconnect()
        unknown = wait_for(lambda: (o := order_of(trader, "lost1")) and o["status"] == "unknown" and o)
        assert "reconciled" in unknown["reason"]
        again = place(trader, "lost1", qty=300)  # a nervous retry with the same id
        assert again.json()["status"] == "unknown"
        qmt.reconnectable()
        settled = wait_for(lambda: (o := order_of(trader, "lost1")) and o["status"] == "filled" and o)
        assert settled["filled_qty"] == 300 and settled["broker_id"]
        assert qmt.placed == [("600103.SH", 300, "lost1")]  # exactly one order call ever
        assert len(trader.get("/v1/trades").json()["trades"]) == 1
    actions = [e.action for e in bridge.trading.audit.entries()]
    assert "disconnected" in actions and actions.count("reconciled") == 2


def test_unknown_outcome_after_a_bridge_restart(qmt, tmp_path, replay_dir) -> None:
    qmt.matcher = rest
    with serve_bridge(qmt, tmp_path / "one", replay_dir) as first, first.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        qmt.deliver = False  # placed at the broker; the bridge stops before hearing back
        assert place(trader, "r1", qty=200, price=2.60).json()["status"] == "pending"
    qmt.reconnectable()
    with serve_bridge(qmt, tmp_path / "two", replay_dir) as second, second.trader() as trader:
        assert trader.get("/v1/trading/state").json()["armed"] is False  # off at every start
        found = order_of(trader, "r1")
        assert found is not None and found["status"] == "submitted" and found["origin"] == "manual"
        trader.post("/v1/trading/arm", json={})
        resent = place(trader, "r1", qty=200, price=2.60)
        assert resent.status_code == 200 and resent.json()["broker_id"] == found["broker_id"]
        assert len(qmt.placed) == 1
        cancelled = trader.delete("/v1/orders/r1")
        assert cancelled.status_code == 202
        wait_for(lambda: order_of(trader, "r1")["status"] == "cancelled")  # type: ignore[index]


def test_an_order_the_broker_never_got_is_rejected_not_resent(bridge, qmt) -> None:
    with bridge.trader() as trader:
        trader.post("/v1/trading/arm", json={})
        assert trader.get("/v1/orders").status_code == 200  # connected
        qmt.connected = False  # the terminal went away a moment ago; the trader has not noticed yet
        refused = place(trader, "gone1")
        assert refused.json()["status"] == "rejected" and "not connected" in refused.json()["reason"]
        assert qmt.placed == []


def test_setup_refuses_clearly_without_xtquant(tmp_path) -> None:
    import pytest

    from core.bridge.sources.base import SourceUnavailable
    from core.bridge.trading.setup import qmt_trading

    with pytest.raises(SourceUnavailable, match="needs Windows"):
        qmt_trading(object(), tmp_path, tmp_path / "userdata_mini", "8880001")
