"""The one HTTP client of the bridge: market data and trading calls, one TLS, token and error policy."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from core.bridge.client.events import (
    BridgeAuthError,
    BridgeError,
    BridgeRateLimited,
    BridgeRequestError,
    BridgeUnavailable,
    BridgeUnreachable,
    TradingRequestRefused,
)
from core.bridge.protocol import bar_from_wire, instrument_from_wire, tick_from_wire
from core.domain.bars import Bar, Freq, Instrument
from core.domain.orders import Account, Fill, Order, OrderRequest, Position
from core.domain.ticks import Tick
from core.trading.wire import account_from_wire, fill_from_wire, order_from_wire, position_from_wire

QUOTES_CHUNK = 500  # symbols per /v1/quotes request: keeps the URL well under the bridge's limit
# Answers that refuse a trading call on its merits: a read-only token, trading not armed, a pre-trade check.
TRADING_REFUSALS = (403, 409, 422)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verification that trusts the system's CAs (and `SSL_CERT_FILE`), plus `ca_file` when given (a bridge's
    self-signed certificate). HTTP and both streams share it, so `https://` and `wss://` trust the same."""
    context = ssl.create_default_context()
    if not context.get_ca_certs() and not context.cert_store_stats()["x509_ca"]:
        # No system store Python can read (python.org builds on macOS): fall back to certifi's, as httpx does.
        with contextlib.suppress(ImportError):
            import certifi

            context.load_verify_locations(cafile=certifi.where())
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def bearer(token: str | None) -> dict[str, str]:
    """The header every request and stream handshake carries the token in (none without a token)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def ws_url(url: str, path: str) -> str:
    """The WebSocket address of `path` on the bridge at `url`: wss:// beside https://, ws:// beside http://."""
    return url.rstrip("/").replace("https://", "wss://", 1).replace("http://", "ws://", 1) + path


def error_from_answer(status: int, data: dict[str, Any], headers: httpx.Headers) -> BridgeError:
    """The bridge's error answer as the one exception type that says what the caller can do about it."""
    message = str(data.get("message", ""))
    code = str(data.get("error", "error"))
    refusals = data.get("refusals") if isinstance(data.get("refusals"), list) else None
    if status == 401:
        return BridgeAuthError(f"the bridge refused the token: {message}", status, code)
    if status == 429:
        return BridgeRateLimited(message, float(headers.get("retry-after", "1")))
    if status in (502, 503, 504):
        return BridgeUnavailable(message, status, code)
    if status in TRADING_REFUSALS:
        return TradingRequestRefused(message, status, code, refusals)
    if 400 <= status < 500:
        return BridgeRequestError(message, status, code, refusals)
    return BridgeError(f"bridge error {status}: {message}", status, code)


def _time_param(value: dt.date | dt.datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if isinstance(value, dt.datetime) else value.strftime("%Y-%m-%d")


class BridgeHttp:
    """Typed calls to one bridge over one httpx AsyncClient, on whichever asyncio loop awaits them.

    Errors: a request that got no answer raises BridgeUnreachable (its outcome is unknown: an order may
    have been placed); every answer the bridge refused raises a BridgeError with its status, code and,
    for pre-trade checks, the refusals. Orders keep their client id, so a retry never doubles an order.
    """

    def __init__(self, url: str, token: str | None, ca_file: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.ca_file = ca_file
        self._token: str | None = None
        self._client = httpx.AsyncClient(base_url=self.url, timeout=timeout, verify=tls_context(ca_file))
        self.set_token(token)

    def set_token(self, token: str | None) -> None:
        self._token = token
        self._client.headers.pop("Authorization", None)
        self._client.headers.update(bearer(token))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> Any:
        """The decoded JSON answer of a 200/202, or the BridgeError the bridge's answer (or silence) means."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._client.request(method, path, params=query, json=body)
        except httpx.TransportError as exc:
            message = f"cannot reach the bridge at {self.url}: {exc or type(exc).__name__}"
            raise BridgeUnreachable(message, None, "unreachable") from exc
        if response.status_code in (200, 202):
            return response.json()
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        data.setdefault("message", response.text or response.reason_phrase)
        raise error_from_answer(response.status_code, data, response.headers)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params)

    # -- market data ---------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        return dict(await self.get("/v1/health"))

    async def instruments(self) -> list[Instrument]:
        data = await self.get("/v1/instruments")
        return [instrument_from_wire(d) for d in data["instruments"]]

    async def trading_calendar(self) -> list[dt.date]:
        """The exchange's trading days, future sessions through the last year QMT knows holidays for."""
        data = await self.get("/v1/calendar")
        return [dt.date.fromisoformat(d) for d in data["days"]]

    async def bars(
        self,
        symbol: str,
        period: Freq | str = Freq.DAY,
        start: dt.date | dt.datetime | str | None = None,
        end: dt.date | dt.datetime | str | None = None,
        adjust: str = "none",
        page_size: int | None = None,
    ) -> list[Bar]:
        """All bars in the range, following the bridge's pages when it truncates (`page_size` bars each)."""
        try:
            period = Freq(period)
        except ValueError:
            raise BridgeRequestError(f"invalid period {period!r}: expected 1d or 1m", 400) from None
        out: list[Bar] = []
        params: dict[str, Any] = {
            "symbol": symbol,
            "period": period.value,
            "start": _time_param(start),
            "end": _time_param(end),
            "adjust": adjust,
            "limit": page_size,
        }
        while True:
            data = await self.get("/v1/bars", params)
            out.extend(bar_from_wire(symbol, period.value, b) for b in data["bars"])
            if not data["truncated"] or not data["next_start"]:
                return out
            params["start"] = data["next_start"]

    async def quotes_numbered(self, symbols: Sequence[str]) -> list[tuple[Tick, int]]:
        """Latest ticks with the bridge's ingest numbers, in chunks the bridge accepts."""
        out: list[tuple[Tick, int]] = []
        unique = list(dict.fromkeys(symbols))
        for i in range(0, len(unique), QUOTES_CHUNK):
            data = await self.get("/v1/quotes", {"symbols": ",".join(unique[i : i + QUOTES_CHUNK])})
            out.extend((tick_from_wire(q), int(q.get("n", 0))) for q in data["quotes"])
        return out

    # -- trading ---------------------------------------------------------------------------------
    async def account(self) -> Account:
        return account_from_wire(await self.get("/v1/account"))

    async def positions(self) -> list[Position]:
        return [position_from_wire(p) for p in (await self.get("/v1/positions"))["positions"]]

    async def orders(self) -> list[Order]:
        return [order_from_wire(o) for o in (await self.get("/v1/orders"))["orders"]]

    async def trades(self) -> list[Fill]:
        return [fill_from_wire(t) for t in (await self.get("/v1/trades"))["trades"]]

    async def submit(self, request: OrderRequest) -> Order:
        body = {
            "client_id": request.client_id,
            "symbol": request.symbol,
            "side": request.side.value,
            "qty": request.qty,
            "price": request.price,
            "type": request.type.value,
        }
        return order_from_wire(await self.request("POST", "/v1/orders", body=body))

    async def cancel(self, client_id: str) -> Order:
        return order_from_wire(await self.request("DELETE", f"/v1/orders/{client_id}"))

    async def arm(self, reason: str = "") -> None:
        await self.request("POST", "/v1/trading/arm", body={"reason": reason})

    async def disarm(self, reason: str = "") -> None:
        await self.request("POST", "/v1/trading/disarm", body={"reason": reason})

    async def kill(self, reason: str = "kill switch") -> list[str]:
        """The cancels sent now; `kill_report` has those still waiting and what is still working."""
        return list((await self.kill_report(reason))["cancelled"])

    async def kill_report(self, reason: str = "kill switch") -> dict[str, Any]:
        return dict(await self.request("POST", "/v1/trading/kill", body={"reason": reason}))

    async def state(self) -> dict[str, Any]:
        return dict(await self.get("/v1/trading/state"))

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Order, trade, portfolio and state events from the bridge, as they happen (the first is `hello`)."""
        from websockets.asyncio.client import connect

        url = ws_url(self.url, "/v1/trading/stream")
        context = tls_context(self.ca_file) if url.startswith("wss://") else None
        async with connect(url, additional_headers=bearer(self._token), ssl=context, proxy=None) as ws:
            async for text in ws:
                yield json.loads(text)
