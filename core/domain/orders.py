"""Orders, fills, positions and the account: one model for the paper broker and live trading."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class Side(str, Enum):
    BUY = "buy"
    SELL = "sell"


class OrderType(str, Enum):
    LIMIT = "limit"
    # A market order carries a protection price: it never fills beyond it (the SSE/SZSE rule for
    # "best five, rest cancelled" orders), so a thin book cannot take it anywhere.
    MARKET = "market"


class OrderStatus(str, Enum):
    """Lifecycle: pending -> submitted -> partially filled -> filled | cancelled | rejected.

    `unknown` is an order whose outcome the broker has not confirmed (the link dropped while it was
    in flight); it is reconciled by querying the broker and is never sent again.
    """

    PENDING = "pending"
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_open(self) -> bool:
        return self in _OPEN


_OPEN = frozenset({OrderStatus.PENDING, OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN})


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a user or a strategy asks for. `client_id` makes the request idempotent: the same id
    twice never places two orders. `price` is the limit, or a market order's protection price (0: none)."""

    client_id: str
    symbol: str
    side: Side
    qty: int
    price: float
    type: OrderType = OrderType.LIMIT
    origin: str = "manual"  # manual, rebalance, strategy name...


@dataclass(frozen=True, slots=True)
class Order:
    client_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: int
    price: float
    status: OrderStatus
    created: dt.datetime
    updated: dt.datetime
    filled_qty: int = 0
    avg_price: float = 0.0
    broker_id: str = ""  # the broker's order number (QMT order_id); empty until acknowledged
    reason: str = ""  # why it was rejected or cancelled
    origin: str = "manual"  # "qmt" for orders placed by hand in the broker's terminal

    @property
    def remaining(self) -> int:
        return self.qty - self.filled_qty if self.status.is_open else 0

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def evolve(self, **changes: Any) -> Order:
        return replace(self, **changes)

    @classmethod
    def pending(cls, request: OrderRequest, now: dt.datetime) -> Order:
        """The order a request becomes before any broker has answered (every broker starts it alike)."""
        return cls(
            request.client_id,
            request.symbol,
            request.side,
            request.type,
            request.qty,
            request.price,
            OrderStatus.PENDING,
            now,
            now,
            origin=request.origin,
        )


@dataclass(frozen=True, slots=True)
class Fees:
    commission: float = 0.0
    stamp_duty: float = 0.0
    transfer_fee: float = 0.0

    @property
    def total(self) -> float:
        return self.commission + self.stamp_duty + self.transfer_fee


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: str
    client_id: str
    symbol: str
    side: Side
    qty: int
    price: float
    time: dt.datetime
    fees: Fees = field(default_factory=Fees)
    broker_order_id: str = ""

    @property
    def value(self) -> float:
        return self.qty * self.price


@dataclass(frozen=True, slots=True)
class Position:
    """Holdings of one symbol. `sellable` excludes shares bought today (T+1) and shares held by open
    sell orders (`frozen`); `cost` is the average cost per share including buying fees."""

    symbol: str
    total: int
    sellable: int
    cost: float
    last: float = 0.0
    frozen: int = 0

    @property
    def market_value(self) -> float:
        return self.total * (self.last or self.cost)

    @property
    def pnl(self) -> float:
        return self.total * ((self.last or self.cost) - self.cost)


@dataclass(frozen=True, slots=True)
class Account:
    """Cash (including `frozen`, held by open buy orders) and the market value of positions."""

    cash: float
    frozen: float = 0.0
    market_value: float = 0.0
    account_id: str = "paper"

    @property
    def available(self) -> float:
        return self.cash - self.frozen

    @property
    def equity(self) -> float:
        return self.cash + self.market_value


# -- events: facts, named in the past tense ----------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderEvent:
    order: Order


@dataclass(frozen=True, slots=True)
class OrderSubmitted(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderAccepted(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderRejected(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderFilled(OrderEvent):
    """A fill arrived; `order.status` tells a partial fill from a complete one."""

    fill: Fill | None = None


@dataclass(frozen=True, slots=True)
class OrderCancelled(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderUpdated(OrderEvent):
    """Any other change the broker reported (an order first seen, reconciled, or its status unknown)."""


@dataclass(frozen=True, slots=True)
class TradingStateChanged:
    """Armed or disarmed (by the kill switch or a user), with who did it and why."""

    armed: bool
    actor: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class QueuedOrder:
    """An order kept for a coming session (预埋单): sent at that session's open through the usual checks.

    `status` is 'queued' until the open releases it ('released') or the user cancels it ('cancelled').
    """

    queue_id: str
    session: dt.date
    request: OrderRequest
    status: str
    created_at: dt.datetime
