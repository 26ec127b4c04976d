"""Typed calls to the bridge's HTTP API over one httpx AsyncClient."""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
from collections.abc import Sequence
from typing import Any

import httpx

from core.bridge.client.events import (
    BridgeAuthError,
    BridgeError,
    BridgeRateLimited,
    BridgeRequestError,
    BridgeUnavailable,
)
from core.bridge.protocol import bar_from_wire, instrument_from_wire, tick_from_wire
from core.domain.bars import Bar, Freq, Instrument
from core.domain.ticks import Tick

QUOTES_CHUNK = 500  # symbols per /v1/quotes request: keeps the URL well under the bridge's limit


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verification that trusts the system's CAs (and `SSL_CERT_FILE`), plus `ca_file` when given (a bridge's
    self-signed certificate). HTTP and the stream share it, so `https://` and `wss://` trust the same."""
    context = ssl.create_default_context()
    if not context.get_ca_certs() and not context.cert_store_stats()["x509_ca"]:
        # No system store Python can read (python.org builds on macOS): fall back to certifi's, as httpx does.
        with contextlib.suppress(ImportError):
            import certifi

            context.load_verify_locations(cafile=certifi.where())
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _time_param(value: dt.date | dt.datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if isinstance(value, dt.datetime) else value.strftime("%Y-%m-%d")


class BridgeHttp:
    def __init__(self, url: str, token: str | None, ca_file: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.url, timeout=timeout, verify=tls_context(ca_file))
        self.set_token(token)

    def set_token(self, token: str | None) -> None:
        self._client.headers.pop("Authorization", None)
        if token:
            self._client.headers["Authorization"] = f"Bearer {token}"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._client.get(path, params={k: v for k, v in (params or {}).items() if v is not None})
        except httpx.TransportError as exc:
            raise BridgeUnavailable(f"cannot reach the bridge at {self.url}: {exc or type(exc).__name__}") from exc
        if response.status_code == 200:
            return response.json()
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text or response.reason_phrase
        status = response.status_code
        if status == 401:
            raise BridgeAuthError(f"the bridge refused the token: {message}", status)
        if status == 429:
            raise BridgeRateLimited(message, float(response.headers.get("retry-after", "1")))
        if status in (502, 503, 504):
            raise BridgeUnavailable(message, status)
        if 400 <= status < 500:
            raise BridgeRequestError(message, status)
        raise BridgeError(f"bridge error {status}: {message}", status)

    # -- typed API -------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        return dict(await self.get("/v1/health"))

    async def instruments(self) -> list[Instrument]:
        data = await self.get("/v1/instruments")
        return [instrument_from_wire(d) for d in data["instruments"]]

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
