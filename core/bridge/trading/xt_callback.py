"""xttrader's callback object: it runs on xttrader's own thread, so it only hands each record to the loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.bridge.trading.service import BridgeTrading


class TraderCallback:
    """xttrader's XtQuantTraderCallback: runs on xttrader's thread, so it only hands records to the loop."""

    def __init__(self, owner: BridgeTrading) -> None:
        self._owner = owner

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._owner.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def on_disconnected(self) -> None:
        self._post(self._owner._on_disconnected)

    def on_stock_order(self, order: Any) -> None:
        self._post(self._owner._on_order, order)

    def on_stock_trade(self, trade: Any) -> None:
        self._post(self._owner._on_trade, trade)

    def on_order_error(self, error: Any) -> None:
        self._post(self._owner._on_order_error, error)

    def on_cancel_error(self, error: Any) -> None:
        self._post(self._owner._on_cancel_error, error)

    def on_order_stock_async_response(self, response: Any) -> None:
        self._post(self._owner._on_order_response, response)

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        pass  # the order's new status arrives through on_stock_order; failures through on_cancel_error

    def on_account_status(self, status: Any) -> None:
        pass

    def on_connected(self) -> None:
        pass
