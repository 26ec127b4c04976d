"""A faithful stand-in for xtquant.xttrader (Windows-only): the real class, method names and signatures,
XtOrder/XtTrade/XtPosition/XtAsset-shaped records, and callbacks delivered on a thread of its own.

`FakeQmt` is the broker terminal behind it: it outlives trader instances (a bridge restart makes a new
XtQuantTrader, the terminal keeps its orders), decides fills through a function, can drop the link,
and takes orders placed by hand.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STOCK_BUY, STOCK_SELL, FIX_PRICE = 23, 24, 11
ORDER_REPORTED, ORDER_PART_CANCEL, ORDER_CANCELED = 50, 53, 54
ORDER_PART_SUCC, ORDER_SUCCEEDED, ORDER_JUNK = 55, 56, 57


class StockAccount:
    def __init__(self, account_id: str, account_type: str = "STOCK") -> None:
        self.account_id = account_id
        self.account_type = account_type


@dataclass
class XtOrder:
    account_type: int
    account_id: str
    stock_code: str
    order_id: int
    order_sysid: str
    order_time: int
    order_type: int
    order_volume: int
    price_type: int
    price: float
    traded_volume: int = 0
    traded_price: float = 0.0
    order_status: int = ORDER_REPORTED
    status_msg: str = ""
    strategy_name: str = ""
    order_remark: str = ""
    direction: int = 48
    offset_flag: int = 48


@dataclass
class XtTrade:
    account_type: int
    account_id: str
    stock_code: str
    order_type: int
    traded_id: str
    traded_time: int
    traded_price: float
    traded_volume: int
    traded_amount: float
    order_id: int
    order_sysid: str
    strategy_name: str = ""
    order_remark: str = ""
    direction: int = 48
    offset_flag: int = 48
    commission: float = 0.0


@dataclass
class XtPosition:
    account_type: int
    account_id: str
    stock_code: str
    volume: int
    can_use_volume: int
    open_price: float
    market_value: float
    frozen_volume: int = 0
    on_road_volume: int = 0
    yesterday_volume: int = 0
    avg_price: float = 0.0


@dataclass
class XtAsset:
    account_type: int
    account_id: str
    cash: float
    frozen_cash: float
    market_value: float
    total_asset: float


@dataclass
class XtOrderError:
    account_type: int
    account_id: str
    order_id: int
    error_id: int
    error_msg: str
    strategy_name: str = ""
    order_remark: str = ""


@dataclass
class XtCancelError:
    account_type: int
    account_id: str
    order_id: int
    market: int
    order_sysid: str
    error_id: int
    error_msg: str


@dataclass
class XtOrderResponse:
    account_type: int
    account_id: str
    order_id: int
    strategy_name: str
    order_remark: str
    error_msg: str
    seq: int


@dataclass
class XtCancelOrderResponse:
    account_type: int
    account_id: str
    cancel_result: int
    order_id: int
    order_sysid: str
    seq: int
    error_msg: str = ""


Matcher = Callable[["XtOrder"], list[tuple[int, float]]]


def fill_all(order: XtOrder) -> list[tuple[int, float]]:
    """Default matching: the whole order at its price at once."""
    return [(order.order_volume, order.price)]


def rest(order: XtOrder) -> list[tuple[int, float]]:
    """Accept and leave the order working."""
    return []


@dataclass
class FakeQmt:
    """The terminal: account state, the link, and a record of every order call it received."""

    account_id: str = "8880001"
    cash: float = 1_000_000.0
    matcher: Matcher = fill_all
    connected: bool = True
    deliver: bool = True  # False: accept orders but lose the callbacks (the link dies mid-flight)
    # Set: callbacks wait (QMT busy: orders placed, not yet acknowledged) until `release_callbacks`.
    hold: threading.Event = field(default_factory=threading.Event)
    placed: list[tuple[str, int, str]] = field(default_factory=list)  # (code, volume, remark) per order call
    orders: dict[int, XtOrder] = field(default_factory=dict)
    trades: list[XtTrade] = field(default_factory=list)
    positions: dict[str, XtPosition] = field(default_factory=dict)
    traders: list[XtQuantTrader] = field(default_factory=list)
    held: list[tuple[XtQuantTrader, str, tuple[Any, ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    commission_rate: float = 0.00025
    min_commission: float = 5.0
    _ids: Any = field(default_factory=lambda: itertools.count(100001))

    def trader(self, path: str = "C:/qmt/userdata_mini", session_id: int = 1) -> XtQuantTrader:
        t = XtQuantTrader(path, session_id, qmt=self)
        self.traders.append(t)
        return t

    def disconnect(self) -> None:
        """QMT closed: every connected trader hears on_disconnected (on its callback thread)."""
        self.connected = False
        for t in self.traders:
            t._emit("on_disconnected")

    def hold_callbacks(self) -> None:
        self.hold.set()

    def release_callbacks(self) -> None:
        held, self.held = self.held, []
        self.hold.clear()
        for t, name, args in held:
            t._events.put((name, args))

    def reconnectable(self) -> None:
        self.connected = True
        self.deliver = True

    def place_manual(self, code: str, order_type: int, volume: int, price: float) -> XtOrder:
        """An order typed into the QMT terminal by hand: no QDesk remark."""
        with self.lock:
            order = self._new_order(code, order_type, volume, FIX_PRICE, price, "", "")
        for t in self.traders:
            t._emit("on_stock_order", _copy(order))
        return order

    # -- matching (under the lock) -----------------------------------------------------------
    def _new_order(
        self, code: str, order_type: int, volume: int, price_type: int, price: float, strategy: str, remark: str
    ) -> XtOrder:
        oid = next(self._ids)
        order = XtOrder(
            2,
            self.account_id,
            code,
            oid,
            f"SYS{oid}",
            int(time.time()),
            order_type,
            volume,
            price_type,
            price,
            strategy_name=strategy,
            order_remark=remark,
        )
        self.orders[oid] = order
        return order

    def _fill(self, order: XtOrder, qty: int, price: float) -> XtTrade:
        done = order.traded_volume + qty
        order.traded_price = (order.traded_price * order.traded_volume + price * qty) / done
        order.traded_volume = done
        order.order_status = ORDER_SUCCEEDED if done == order.order_volume else ORDER_PART_SUCC
        trade = XtTrade(
            2,
            self.account_id,
            order.stock_code,
            order.order_type,
            f"T{order.order_id}-{len(self.trades)}",
            int(time.time()),
            price,
            qty,
            price * qty,
            order.order_id,
            order.order_sysid,
            order.strategy_name,
            order.order_remark,
            commission=round(max(price * qty * self.commission_rate, self.min_commission), 2),
        )
        self.trades.append(trade)
        pos = self.positions.get(order.stock_code)
        if order.order_type == STOCK_BUY:
            self.cash -= price * qty
            if pos is None:
                pos = self.positions[order.stock_code] = XtPosition(
                    2, self.account_id, order.stock_code, 0, 0, price, 0.0
                )
            pos.open_price = (pos.open_price * pos.volume + price * qty) / (pos.volume + qty)
            pos.volume += qty  # bought today: not in can_use_volume (T+1)
        elif pos is not None:
            self.cash += price * qty
            pos.volume -= qty
            pos.can_use_volume -= qty
        if pos is not None:
            pos.market_value = pos.volume * price
        return trade


def _copy(record: Any) -> Any:
    return type(record)(**vars(record))


class XtQuantTrader:
    """xtquant.xttrader.XtQuantTrader(path, session_id, callback=None)."""

    def __init__(self, path: str, session_id: int, callback: Any = None, *, qmt: FakeQmt | None = None) -> None:
        self.path, self.session_id = path, session_id
        self.qmt = qmt or FakeQmt()
        self._callback = callback
        self._seq = itertools.count(1)
        self._events: queue.SimpleQueue[tuple[str, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._deliver, name="xttrader-callbacks", daemon=True)
        self.connected = False
        self.callback_threads: set[str] = set()

    def register_callback(self, callback: Any) -> None:
        self._callback = callback

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self.connected = False
        self._events.put(None)

    def connect(self) -> int:
        self.connected = self.qmt.connected
        return 0 if self.connected else -1

    def subscribe(self, account: StockAccount) -> int:
        return 0 if self.connected else -1

    def order_stock_async(
        self,
        account: StockAccount,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str = "",
        order_remark: str = "",
    ) -> int:
        seq = next(self._seq)
        placed = self._order(seq, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark)
        return seq if placed > 0 else -1  # xttrader: -1 when the request could not be sent

    def order_stock(
        self,
        account: StockAccount,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str = "",
        order_remark: str = "",
    ) -> int:
        return self._order(0, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark)

    def cancel_order_stock_async(self, account: StockAccount, order_id: int) -> int:
        seq = next(self._seq)
        self._cancel(seq, order_id)
        return seq

    def cancel_order_stock(self, account: StockAccount, order_id: int) -> int:
        return self._cancel(0, order_id)

    def query_stock_asset(self, account: StockAccount) -> XtAsset | None:
        if not self.connected:
            return None
        q = self.qmt
        with q.lock:
            value = sum(p.market_value for p in q.positions.values())
            frozen = sum(
                (o.order_volume - o.traded_volume) * o.price
                for o in q.orders.values()
                if o.order_type == STOCK_BUY and o.order_status in (ORDER_REPORTED, ORDER_PART_SUCC)
            )
            return XtAsset(2, q.account_id, q.cash - frozen, frozen, value, q.cash + value)

    def query_stock_orders(self, account: StockAccount, cancelable_only: bool = False) -> list[XtOrder]:
        if not self.connected:
            return []
        with self.qmt.lock:
            found = [_copy(o) for o in self.qmt.orders.values()]
        return [o for o in found if o.order_status in (ORDER_REPORTED, ORDER_PART_SUCC)] if cancelable_only else found

    def query_stock_order(self, account: StockAccount, order_id: int) -> XtOrder | None:
        with self.qmt.lock:
            order = self.qmt.orders.get(order_id)
            return _copy(order) if order and self.connected else None

    def query_stock_trades(self, account: StockAccount) -> list[XtTrade]:
        with self.qmt.lock:
            return [_copy(t) for t in self.qmt.trades] if self.connected else []

    def query_stock_positions(self, account: StockAccount) -> list[XtPosition]:
        with self.qmt.lock:
            return [_copy(p) for p in self.qmt.positions.values() if p.volume] if self.connected else []

    # -- internals ---------------------------------------------------------------------------
    def _order(
        self,
        seq: int,
        code: str,
        order_type: int,
        volume: int,
        price_type: int,
        price: float,
        strategy: str,
        remark: str,
    ) -> int:
        q = self.qmt
        if not self.connected or not q.connected:
            return -1
        with q.lock:
            q.placed.append((code, volume, remark))
            order = q._new_order(code, order_type, volume, price_type, price, strategy, remark)
            error = None
            if volume <= 0 or (order_type == STOCK_BUY and volume % 100):
                order.order_status, order.status_msg = ORDER_JUNK, "委托数量不合法"
                error = XtOrderError(2, q.account_id, order.order_id, -61, "委托数量不合法", strategy, remark)
            fills = [] if error else q.matcher(_copy(order))
            trades = [q._fill(order, qty, p) for qty, p in fills]
            snapshots = [_copy(order)]
        if not q.deliver:
            return order.order_id  # placed at the broker, but the link died before anyone heard
        if seq:
            self._emit(
                "on_order_stock_async_response",
                XtOrderResponse(2, q.account_id, order.order_id, strategy, remark, "", seq),
            )
        if error is not None:
            self._emit("on_order_error", error)
        else:
            reported = _copy(snapshots[0])
            reported.traded_volume, reported.traded_price, reported.order_status = 0, 0.0, ORDER_REPORTED
            self._emit("on_stock_order", reported)
            for trade in trades:
                self._emit("on_stock_trade", trade)
        self._emit("on_stock_order", snapshots[0])
        return order.order_id

    def _cancel(self, seq: int, order_id: int) -> int:
        q = self.qmt
        with q.lock:
            order = q.orders.get(order_id)
            ok = order is not None and order.order_status in (ORDER_REPORTED, ORDER_PART_SUCC) and self.connected
            if ok:
                assert order is not None
                order.order_status = ORDER_PART_CANCEL if order.traded_volume else ORDER_CANCELED
                snapshot = _copy(order)
        if seq:
            self._emit(
                "on_cancel_order_stock_async_response",
                XtCancelOrderResponse(2, q.account_id, 0 if ok else -1, order_id, "", seq),
            )
        if ok:
            self._emit("on_stock_order", snapshot)
            return 0
        self._emit(
            "on_cancel_error", XtCancelError(2, q.account_id, order_id, 0, "", -1, "撤单失败: 委托已成交或不存在")
        )
        return -1

    def _emit(self, name: str, *args: Any) -> None:
        if self.qmt.hold.is_set():
            self.qmt.held.append((self, name, args))
            return
        self._events.put((name, args))

    def _deliver(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            name, args = item
            handler = getattr(self._callback, name, None)
            self.callback_threads.add(threading.current_thread().name)
            if handler is not None:
                handler(*args)
