"""The order book-keeping (OMS) of one account: orders, fills, positions with T+1, cash and what is frozen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from core.domain.orders import (
    Account,
    Fees,
    Fill,
    Order,
    OrderCancelled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    Position,
    Side,
)


class LedgerError(ValueError):
    """A transition the state does not allow (an unknown order, a fill larger than what is open)."""


@dataclass
class Changes:
    """What one transition touched, for the store to write in one transaction."""

    orders: set[str] = field(default_factory=set)
    fills: list[Fill] = field(default_factory=list)
    symbols: set[str] = field(default_factory=set)
    events: list[OrderEvent] = field(default_factory=list)

    def merge(self, other: Changes) -> None:
        self.orders |= other.orders
        self.fills += other.fills
        self.symbols |= other.symbols
        self.events += other.events


class Ledger:
    """State transitions of orders and their effect on cash and positions; no I/O, no clock of its own.

    Buys freeze cash for their price times quantity plus estimated fees; sells freeze shares out of
    `sellable`. Shares bought today are held but not sellable until `roll_day` (T+1).
    """

    def __init__(self, cash: float, day: dt.date | None = None) -> None:
        self.cash = cash
        self.day = day
        self.day_start_equity = cash
        self.orders: dict[str, Order] = {}
        self.reserved: dict[str, float] = {}  # cash held by each open buy order
        self.fills: list[Fill] = []
        self.positions: dict[str, Position] = {}

    # -- views -------------------------------------------------------------------------------
    @property
    def frozen(self) -> float:
        return sum(self.reserved.values())

    def account(self, account_id: str = "paper") -> Account:
        value = sum(p.market_value for p in self.positions.values())
        return Account(cash=self.cash, frozen=self.frozen, market_value=value, account_id=account_id)

    def position(self, symbol: str) -> Position | None:
        return self.positions.get(symbol)

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def orders_on(self, day: dt.date) -> list[Order]:
        return [o for o in self.orders.values() if o.created.date() == day]

    # -- transitions -------------------------------------------------------------------------
    def place(self, order: Order, reserve: float) -> Changes:
        if order.client_id in self.orders:
            raise LedgerError(f"order {order.client_id} exists already")
        changes = Changes(orders={order.client_id}, symbols={order.symbol})
        if order.side is Side.BUY:
            self.reserved[order.client_id] = reserve
        else:
            pos = self.positions.get(order.symbol)
            if pos is None or pos.sellable < order.qty:
                raise LedgerError(f"{order.symbol}: selling {order.qty} but {pos.sellable if pos else 0} sellable")
            self.positions[order.symbol] = Position(
                pos.symbol, pos.total, pos.sellable - order.qty, pos.cost, pos.last, pos.frozen + order.qty
            )
        self.orders[order.client_id] = order
        return changes

    def fill(self, client_id: str, qty: int, price: float, fees: Fees, time: dt.datetime, fill_id: str) -> Changes:
        order = self._open(client_id)
        if qty <= 0 or qty > order.remaining:
            raise LedgerError(f"fill of {qty} for order {client_id} with {order.remaining} open")
        value = qty * price
        filled = order.filled_qty + qty
        avg = (order.avg_price * order.filled_qty + value) / filled
        status = OrderStatus.FILLED if filled == order.qty else OrderStatus.PARTIALLY_FILLED
        fill = Fill(fill_id, client_id, order.symbol, order.side, qty, price, time, fees, order.broker_id)
        pos = self.positions.get(order.symbol)
        if order.side is Side.BUY:
            # What this fill cost comes out of what the order held: the hold never drops below what
            # the rest may still cost, since fills never pay more than the price the hold was sized at.
            held = self.reserved.get(client_id, 0.0)
            self.reserved[client_id] = max(held - value - fees.total, 0.0)
            self.cash -= value + fees.total
            total = (pos.total if pos else 0) + qty
            cost = ((pos.cost * pos.total if pos else 0.0) + value + fees.total) / total
            # Bought today: held at once, sellable only from the next trading day.
            self.positions[order.symbol] = Position(
                order.symbol, total, pos.sellable if pos else 0, cost, price, pos.frozen if pos else 0
            )
        else:
            assert pos is not None
            self.cash += value - fees.total
            if pos.total == qty:
                del self.positions[order.symbol]  # sold out: the row goes
            else:
                self.positions[order.symbol] = Position(
                    pos.symbol, pos.total - qty, pos.sellable, pos.cost, price, pos.frozen - qty
                )
        updated = order.evolve(filled_qty=filled, avg_price=avg, status=status, updated=time)
        self.orders[client_id] = updated
        self.fills.append(fill)
        changes = Changes(orders={client_id}, fills=[fill], symbols={order.symbol}, events=[OrderFilled(updated, fill)])
        if status is OrderStatus.FILLED:
            self._release(updated)
        return changes

    def cancel(self, client_id: str, time: dt.datetime, reason: str = "cancelled") -> Changes:
        order = self._open(client_id)
        self._release(order)
        updated = order.evolve(status=OrderStatus.CANCELLED, updated=time, reason=reason)
        self.orders[client_id] = updated
        return Changes(orders={client_id}, symbols={order.symbol}, events=[OrderCancelled(updated)])

    def reject(self, client_id: str, time: dt.datetime, reason: str) -> Changes:
        order = self._open(client_id)
        self._release(order)
        updated = order.evolve(status=OrderStatus.REJECTED, updated=time, reason=reason)
        self.orders[client_id] = updated
        return Changes(orders={client_id}, symbols={order.symbol}, events=[OrderRejected(updated)])

    def acknowledge(self, client_id: str, broker_id: str, time: dt.datetime) -> Order:
        order = self._open(client_id)
        updated = order.evolve(
            status=OrderStatus.SUBMITTED if order.filled_qty == 0 else order.status, broker_id=broker_id, updated=time
        )
        self.orders[client_id] = updated
        return updated

    def mark(self, symbol: str, last: float) -> bool:
        pos = self.positions.get(symbol)
        if pos is None or last <= 0 or last == pos.last:
            return False
        self.positions[symbol] = Position(pos.symbol, pos.total, pos.sellable, pos.cost, last, pos.frozen)
        return True

    def roll_day(self, day: dt.date, time: dt.datetime, keep: Callable[[Order], bool] | None = None) -> Changes:
        """A new trading day: earlier sessions' open orders expire (`keep`: those sent for this one stay),
        every held share becomes sellable."""
        changes = Changes()
        for order in self.open_orders():
            if keep is None or not keep(order):
                changes.merge(self.cancel(order.client_id, time, "expired at the end of the trading day"))
        for symbol, pos in list(self.positions.items()):
            self.positions[symbol] = Position(symbol, pos.total, pos.total, pos.cost, pos.last, 0)
            changes.symbols.add(symbol)
        self.day = day
        self.day_start_equity = self.account().equity
        return changes

    def _open(self, client_id: str) -> Order:
        order = self.orders.get(client_id)
        if order is None:
            raise LedgerError(f"no order {client_id}")
        if not order.is_open:
            raise LedgerError(f"order {client_id} is {order.status.value}, no longer open")
        return order

    def _release(self, order: Order) -> None:
        """What an order held and will no longer use goes back: cash of a buy, shares of a sell."""
        if order.side is Side.BUY:
            self.reserved.pop(order.client_id, None)
            return
        rest = order.qty - order.filled_qty
        pos = self.positions.get(order.symbol)
        if pos is not None and rest > 0:
            self.positions[order.symbol] = Position(
                pos.symbol, pos.total, pos.sellable + rest, pos.cost, pos.last, pos.frozen - rest
            )
