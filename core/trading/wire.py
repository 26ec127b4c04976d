"""JSON shapes of orders, fills, positions and the account, as the bridge sends them and the client reads them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.domain.orders import Account, Fees, Fill, Order, OrderStatus, OrderType, Position, Side


def order_to_wire(o: Order) -> dict[str, Any]:
    return {
        "client_id": o.client_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "type": o.type.value,
        "qty": o.qty,
        "price": o.price,
        "status": o.status.value,
        "created": o.created.isoformat(),
        "updated": o.updated.isoformat(),
        "filled_qty": o.filled_qty,
        "avg_price": o.avg_price,
        "broker_id": o.broker_id,
        "reason": o.reason,
        "origin": o.origin,
    }


def order_from_wire(d: dict[str, Any]) -> Order:
    return Order(
        client_id=d["client_id"],
        symbol=d["symbol"],
        side=Side(d["side"]),
        type=OrderType(d["type"]),
        qty=int(d["qty"]),
        price=float(d["price"]),
        status=OrderStatus(d["status"]),
        created=dt.datetime.fromisoformat(d["created"]),
        updated=dt.datetime.fromisoformat(d["updated"]),
        filled_qty=int(d["filled_qty"]),
        avg_price=float(d["avg_price"]),
        broker_id=d["broker_id"],
        reason=d["reason"],
        origin=d["origin"],
    )


def fill_to_wire(f: Fill) -> dict[str, Any]:
    return {
        "fill_id": f.fill_id,
        "client_id": f.client_id,
        "symbol": f.symbol,
        "side": f.side.value,
        "qty": f.qty,
        "price": f.price,
        "time": f.time.isoformat(),
        "commission": f.fees.commission,
        "stamp_duty": f.fees.stamp_duty,
        "transfer_fee": f.fees.transfer_fee,
        "broker_order_id": f.broker_order_id,
    }


def fill_from_wire(d: dict[str, Any]) -> Fill:
    return Fill(
        d["fill_id"],
        d["client_id"],
        d["symbol"],
        Side(d["side"]),
        int(d["qty"]),
        float(d["price"]),
        dt.datetime.fromisoformat(d["time"]),
        Fees(float(d["commission"]), float(d["stamp_duty"]), float(d["transfer_fee"])),
        d["broker_order_id"],
    )


def position_to_wire(p: Position) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "total": p.total,
        "sellable": p.sellable,
        "cost": p.cost,
        "last": p.last,
        "frozen": p.frozen,
        "market_value": p.market_value,
        "pnl": p.pnl,
    }


def position_from_wire(d: dict[str, Any]) -> Position:
    return Position(
        d["symbol"], int(d["total"]), int(d["sellable"]), float(d["cost"]), float(d["last"]), int(d["frozen"])
    )


def account_to_wire(a: Account) -> dict[str, Any]:
    return {
        "account_id": a.account_id,
        "cash": a.cash,
        "frozen": a.frozen,
        "market_value": a.market_value,
        "available": a.available,
        "equity": a.equity,
    }


def account_from_wire(d: dict[str, Any]) -> Account:
    return Account(float(d["cash"]), float(d["frozen"]), float(d["market_value"]), d["account_id"])
