"""xttrader's codes and records (vendor names stay here), mapped to the trading domain in one place."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.bridge.xt_records import xt_time
from core.domain.orders import Account, Fees, Fill, Order, OrderStatus, OrderType, Position, Side

# xtconstant values (stable across xtquant releases; xtconstant is not importable off Windows).
XT_STOCK_BUY = 23
XT_STOCK_SELL = 24
XT_FIX_PRICE = 11
# "Best five levels, the rest cancelled": xtconstant.MARKET_SH_CONVERT_5_CANCEL (42) serves Shanghai and
# Beijing; MARKET_SZ_CONVERT_5_CANCEL (47) is Shenzhen's only.
XT_MARKET_SH_CONVERT_5_CANCEL = 42
XT_MARKET_SZ_CONVERT_5_CANCEL = 47

XT_SIDES: dict[int, Side] = {XT_STOCK_BUY: Side.BUY, XT_STOCK_SELL: Side.SELL}
XT_ORDER_TYPES: dict[Side, int] = {Side.BUY: XT_STOCK_BUY, Side.SELL: XT_STOCK_SELL}

# order_status (xtconstant.ORDER_*), 委托状态.
XT_ORDER_STATUS: dict[int, OrderStatus] = {
    48: OrderStatus.PENDING,  # ORDER_UNREPORTED 未报
    49: OrderStatus.PENDING,  # ORDER_WAIT_REPORTING 待报
    50: OrderStatus.SUBMITTED,  # ORDER_REPORTED 已报
    51: OrderStatus.SUBMITTED,  # ORDER_REPORTED_CANCEL 已报待撤
    52: OrderStatus.PARTIALLY_FILLED,  # ORDER_PARTSUCC_CANCEL 部成待撤
    53: OrderStatus.CANCELLED,  # ORDER_PART_CANCEL 部撤 (part filled, rest cancelled)
    54: OrderStatus.CANCELLED,  # ORDER_CANCELED 已撤
    55: OrderStatus.PARTIALLY_FILLED,  # ORDER_PART_SUCC 部成
    56: OrderStatus.FILLED,  # ORDER_SUCCEEDED 已成
    57: OrderStatus.REJECTED,  # ORDER_JUNK 废单
    255: OrderStatus.UNKNOWN,  # ORDER_UNKNOWN 未知
}


def xt_price_type(symbol: str, kind: OrderType) -> int:
    if kind is OrderType.LIMIT:
        return XT_FIX_PRICE
    return XT_MARKET_SZ_CONVERT_5_CANCEL if symbol.endswith(".SZ") else XT_MARKET_SH_CONVERT_5_CANCEL


def _time(value: Any) -> dt.datetime:
    """xttrader stamps orders and trades in epoch seconds."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    return xt_time(seconds * 1000.0) if seconds > 0 else dt.datetime(1970, 1, 1)


def manual_client_id(order_id: int | str) -> str:
    """The id QDesk gives an order placed by hand in the QMT terminal (it carries no QDesk remark)."""
    return f"QMT{order_id}"


def order_to_domain(xo: Any, known: Order | None = None) -> Order:
    """An XtOrder as a domain Order; `known` is QDesk's own record of it, which keeps its creation time."""
    remark = str(getattr(xo, "order_remark", "") or "")
    client_id = known.client_id if known else (remark or manual_client_id(xo.order_id))
    status = XT_ORDER_STATUS.get(int(getattr(xo, "order_status", 255)), OrderStatus.UNKNOWN)
    when = _time(getattr(xo, "order_time", 0))
    kind = OrderType.LIMIT if int(getattr(xo, "price_type", XT_FIX_PRICE)) == XT_FIX_PRICE else OrderType.MARKET
    return Order(
        client_id=client_id,
        symbol=str(xo.stock_code),
        side=XT_SIDES.get(int(xo.order_type), Side.BUY),
        type=known.type if known else kind,
        qty=int(xo.order_volume),
        price=float(xo.price),
        status=status,
        created=known.created if known else when,
        updated=max(when, known.updated) if known else when,
        filled_qty=int(getattr(xo, "traded_volume", 0) or 0),
        avg_price=float(getattr(xo, "traded_price", 0) or 0),
        broker_id=str(xo.order_id),
        reason=str(getattr(xo, "status_msg", "") or ""),
        origin=known.origin if known else ("manual" if remark else "qmt"),
    )


def trade_to_fill(xt: Any, client_id: str) -> Fill:
    # XtTrade.commission is what the broker charged for this trade (newer xtquant releases; older ones
    # lack the field: zero, and the account's cash from query_stock_asset is the truth).
    try:
        commission = float(getattr(xt, "commission", 0.0) or 0.0)
    except (TypeError, ValueError):
        commission = 0.0
    return Fill(
        fill_id=str(xt.traded_id),
        client_id=client_id,
        symbol=str(xt.stock_code),
        side=XT_SIDES.get(int(xt.order_type), Side.BUY),
        qty=int(xt.traded_volume),
        price=float(xt.traded_price),
        time=_time(getattr(xt, "traded_time", 0)),
        fees=Fees(commission=commission),
        broker_order_id=str(xt.order_id),
    )


def position_to_domain(xp: Any) -> Position:
    total = int(xp.volume)
    last = float(xp.market_value) / total if total else 0.0
    return Position(
        symbol=str(xp.stock_code),
        total=total,
        sellable=int(xp.can_use_volume),
        cost=float(getattr(xp, "open_price", 0.0) or getattr(xp, "avg_price", 0.0) or 0.0),
        last=last,
        frozen=int(getattr(xp, "frozen_volume", 0) or 0),
    )


def asset_to_domain(xa: Any) -> Account:
    return Account(
        cash=float(xa.cash) + float(xa.frozen_cash),
        frozen=float(xa.frozen_cash),
        market_value=float(xa.market_value),
        account_id=str(xa.account_id),
    )
