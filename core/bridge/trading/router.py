"""The bridge's trading routes: account, positions, orders, trades; place/cancel; arm, disarm, kill; event stream.

Reading needs any valid token (the Guard checks it first). Anything that changes the account needs a
token with the trade scope; placing an order also needs the bridge armed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from core.bridge.auth import hash_token
from core.bridge.trading.scopes import TradeScopes
from core.bridge.trading.service import BridgeTrading, TradingRefused
from core.bridge.validation import InvalidRequest, validate_symbol
from core.domain.orders import OrderRequest, OrderType, Side
from core.trading.wire import account_to_wire, fill_to_wire, order_to_wire, position_to_wire

CLIENT_ID = r"^[A-Za-z0-9_-]{1,24}$"  # QMT keeps order_remark short; ids longer than 24 would be cut


class OrderIn(BaseModel):
    client_id: str = Field(pattern=CLIENT_ID, description="your id for this order; the same id twice places one order")
    symbol: str = Field(max_length=16, description="e.g. 600000.SH")
    side: Literal["buy", "sell"]
    qty: int = Field(gt=0, le=100_000_000, description="shares")
    price: float = Field(ge=0, le=100_000, description="limit price; for a market order the protection price (0: none)")
    type: Literal["limit", "market"] = "limit"


class ArmIn(BaseModel):
    reason: str = Field(default="", max_length=200)


def _token(headers: Any) -> str:
    scheme, _, token = str(headers.get("authorization", "")).partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _actor(request: Request | WebSocket, token: str) -> str:
    host = request.client.host if request.client else "?"
    return f"{host} token {hash_token(token)[7:15]}"  # who, without ever logging the token


def _refused(exc: TradingRefused) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.code, "message": exc.message}
    if exc.verdict is not None:
        body["refusals"] = [{"rule": r.rule, "reason": r.reason} for r in exc.verdict.refusals]
    return JSONResponse(body, status_code=exc.status)


def trading_router(trading: BridgeTrading, scopes: TradeScopes) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["trading"])

    def trader_of(request: Request) -> str:
        token = _token(request.headers)
        if not scopes.allows_trade(token):
            raise TradingRefused(403, "forbidden", "this token is read-only: it has no trade scope")
        return _actor(request, token)

    async def guarded(call: Any) -> Any:
        try:
            return await call()
        except TradingRefused as exc:
            return _refused(exc)

    @router.get("/account", summary="Cash, frozen cash, market value")
    async def account() -> Any:
        async def run() -> dict[str, Any]:
            await trading.ready()
            return account_to_wire(trading.account)

        return await guarded(run)

    @router.get("/positions", summary="Holdings: total and sellable today (T+1)")
    async def positions() -> Any:
        async def run() -> dict[str, Any]:
            await trading.ready()
            return {"positions": [position_to_wire(p) for p in trading.positions.values()]}

        return await guarded(run)

    @router.get("/orders", summary="Today's orders, QDesk's and those placed by hand in QMT")
    async def orders() -> Any:
        async def run() -> dict[str, Any]:
            await trading.ready()
            return {"orders": [order_to_wire(o) for o in trading.orders.values()]}

        return await guarded(run)

    @router.get("/trades", summary="Today's fills")
    async def trades() -> Any:
        async def run() -> dict[str, Any]:
            await trading.ready()
            return {"trades": [fill_to_wire(f) for f in trading.fills.values()]}

        return await guarded(run)

    @router.get("/trading/state", summary="Armed, connected, day-start equity and the risk limits in force")
    async def state() -> dict[str, Any]:
        return trading.state()

    @router.post(
        "/orders",
        summary="Place an order (trade scope, bridge armed); a retry of a client id returns its order (200), "
        "a different order under a used id is 409",
        status_code=202,
    )
    async def place(body: OrderIn, request: Request) -> Any:
        async def run() -> Any:
            actor = trader_of(request)
            try:
                symbol = validate_symbol(body.symbol)
            except InvalidRequest as exc:
                raise TradingRefused(400, "bad_request", str(exc)) from None
            order, placed = await trading.place(
                OrderRequest(
                    body.client_id, symbol, Side(body.side), body.qty, body.price, OrderType(body.type), origin="bridge"
                ),
                actor,
            )
            return JSONResponse(order_to_wire(order), status_code=202 if placed else 200)

        return await guarded(run)

    @router.delete("/orders/{client_id}", summary="Cancel an order (trade scope)", status_code=202)
    async def cancel(client_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")], request: Request) -> Any:
        async def run() -> Any:
            order = await trading.cancel(client_id, trader_of(request))
            return JSONResponse(order_to_wire(order), status_code=202)

        return await guarded(run)

    @router.post("/trading/arm", summary="Allow orders until disarmed or the bridge restarts (trade scope)")
    async def arm(body: ArmIn, request: Request) -> Any:
        async def run() -> dict[str, Any]:
            trading.set_armed(True, trader_of(request), body.reason or "armed over HTTP")
            return {"armed": True}

        return await guarded(run)

    @router.post("/trading/disarm", summary="Refuse new orders (trade scope)")
    async def disarm(body: ArmIn, request: Request) -> Any:
        async def run() -> dict[str, Any]:
            trading.set_armed(False, trader_of(request), body.reason or "disarmed over HTTP")
            return {"armed": False}

        return await guarded(run)

    @router.post(
        "/trading/kill",
        summary="Kill switch: disarm and cancel every open order, those awaiting QMT's number on arrival "
        "and all after a reconnect (trade scope)",
    )
    async def kill(body: ArmIn, request: Request) -> Any:
        async def run() -> dict[str, Any]:
            report = await trading.kill(trader_of(request), body.reason or "kill switch")
            return {
                "armed": False,
                "cancelled": report.cancel_sent,
                "awaiting": report.awaiting,
                "working": report.working,
            }

        return await guarded(run)

    @router.websocket("/trading/stream")
    async def stream(ws: WebSocket) -> None:
        """Order, trade, portfolio and state events as JSON text frames, one event per frame."""
        await ws.accept()
        queue = trading.subscribe()
        # Listen for the close as well as for events, so a client leaving (or the server stopping) ends
        # this handler at once instead of at the next event.
        receiver: asyncio.Future[Any] = asyncio.ensure_future(ws.receive())
        getter: asyncio.Future[Any] | None = None
        try:
            await ws.send_text(json.dumps({"type": "hello", "armed": trading.armed, "connected": trading.connected}))
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if receiver.done():
                    if receiver.result().get("type") == "websocket.disconnect":
                        return
                    receiver = asyncio.ensure_future(ws.receive())  # clients have nothing to say; ignore it
                if getter.done():
                    await ws.send_text(json.dumps(getter.result()))
                else:
                    getter.cancel()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for future in (receiver, getter):
                if future is not None and not future.done():
                    future.cancel()
            trading.unsubscribe(queue)

    return router


def attach_trading(service: Any, trading: BridgeTrading, scopes: TradeScopes) -> None:
    """Give a BridgeService its trading side; the server app mounts the routes when it is there."""
    service.trading = trading
    service.trade_scopes = scopes
    if trading.quotes is None:

        async def quote(symbol: str) -> Any:
            found = await service.quotes([symbol])
            return found[symbol][0] if symbol in found else None

        trading.quotes = quote
    if trading.instruments is None:

        async def listed() -> Any:
            return await service.source.instruments()

        trading.instruments = listed
