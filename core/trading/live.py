"""The desktop's side of live trading: the bridge's trading routes and event stream, as typed async calls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from core.domain.orders import Account, Fill, Order, OrderRequest, Position
from core.trading.wire import account_from_wire, fill_from_wire, order_from_wire, position_from_wire


class TradingRequestRefused(Exception):
    """The bridge refused a trading call: read-only token (403), not armed (409), a pre-trade check (422)..."""

    def __init__(self, status: int, code: str, message: str, refusals: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.refusals = status, code, message, refusals or []


class BridgeUnreachable(TradingRequestRefused):
    """The request may or may not have reached the bridge (no answer came back): its outcome is unknown."""


class BridgeTradingClient:
    """One httpx AsyncClient to the bridge; orders keep their client id, so a retry never doubles an order."""

    def __init__(self, url: str, token: str, timeout: float = 10.0, verify: Any = True) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._client = httpx.AsyncClient(
            base_url=self.url, timeout=timeout, verify=verify, headers={"Authorization": f"Bearer {token}"}
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise BridgeUnreachable(503, "unavailable", f"cannot reach the bridge at {self.url}: {exc}") from exc
        if response.status_code in (200, 202):
            return response.json()
        try:
            data = response.json()
        except ValueError:
            data = {"message": response.text}
        raise TradingRequestRefused(
            response.status_code, str(data.get("error", "error")), str(data.get("message", "")), data.get("refusals")
        )

    async def account(self) -> Account:
        return account_from_wire(await self._call("GET", "/v1/account"))

    async def positions(self) -> list[Position]:
        return [position_from_wire(p) for p in (await self._call("GET", "/v1/positions"))["positions"]]

    async def orders(self) -> list[Order]:
        return [order_from_wire(o) for o in (await self._call("GET", "/v1/orders"))["orders"]]

    async def trades(self) -> list[Fill]:
        return [fill_from_wire(t) for t in (await self._call("GET", "/v1/trades"))["trades"]]

    async def submit(self, request: OrderRequest) -> Order:
        body = {
            "client_id": request.client_id,
            "symbol": request.symbol,
            "side": request.side.value,
            "qty": request.qty,
            "price": request.price,
            "type": request.type.value,
        }
        return order_from_wire(await self._call("POST", "/v1/orders", body))

    async def cancel(self, client_id: str) -> Order:
        return order_from_wire(await self._call("DELETE", f"/v1/orders/{client_id}"))

    async def arm(self, reason: str = "") -> None:
        await self._call("POST", "/v1/trading/arm", {"reason": reason})

    async def disarm(self, reason: str = "") -> None:
        await self._call("POST", "/v1/trading/disarm", {"reason": reason})

    async def kill(self, reason: str = "kill switch") -> list[str]:
        """The cancels sent now; `kill_report` has those still waiting and what is still working."""
        return list((await self.kill_report(reason))["cancelled"])

    async def kill_report(self, reason: str = "kill switch") -> dict[str, Any]:
        return dict(await self._call("POST", "/v1/trading/kill", {"reason": reason}))

    async def state(self) -> dict[str, Any]:
        return dict(await self._call("GET", "/v1/trading/state"))

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Order, trade, portfolio and state events from the bridge, as they happen (the first is `hello`)."""
        from websockets.asyncio.client import connect

        ws_url = self.url.replace("https://", "wss://").replace("http://", "ws://") + "/v1/trading/stream"
        async with connect(ws_url, additional_headers={"Authorization": f"Bearer {self.token}"}) as ws:
            async for text in ws:
                yield json.loads(text)
