"""The bridge's front door, as ASGI middleware: size limits, rate limits, bearer auth and request metrics.

It sits before routing, so every path (unknown ones, /openapi.json, /metrics, the WebSocket) is guarded
alike, and a refused WebSocket gets its HTTP status before any frame is exchanged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from core.bridge.auth import hash_token
from core.bridge.service import BridgeService

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Routes named in metrics; anything else counts as "other" so a scanner cannot blow up label sets.
KNOWN_ROUTES = frozenset(
    {
        "/v1/health",
        "/v1/instruments",
        "/v1/bars",
        "/v1/calendar",
        "/v1/quotes",
        "/v1/stream",
        "/metrics",
        "/openapi.json",
    }
)


_LOCKOUT_S = 60.0
_PRUNE_EVERY_S = 60.0
_PRUNE_ABOVE = 10_000  # addresses tracked before an early prune: a spoofing scan must not grow memory


class TokenBucket:
    """`rate` events per second with bursts of `burst`; one bucket per client address."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, now

    def take(self, now: float) -> float:
        """0 when allowed, else the seconds until the next event would be."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class Guard:
    def __init__(self, app: ASGIApp, service: BridgeService, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.service = service
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._failures: dict[str, list[float]] = {}
        self._pruned = clock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        route = path if path in KNOWN_ROUTES else "other"
        status_box = [0]

        async def send_recording(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                status_box[0] = message["status"]
            elif message["type"] == "websocket.accept":
                status_box[0] = 101
            await send(message)

        refusal = self._check(scope)
        if refusal is not None:
            await _refuse(scope, send_recording, *refusal)
        else:
            await self.app(scope, receive, send_recording)
        if scope["type"] == "http" or status_box[0] != 101:
            metrics = self.service.metrics
            metrics.requests.labels(scope.get("method", "GET"), route, str(status_box[0] or 500)).inc()
            metrics.latency.labels(route).observe(time.perf_counter() - started)

    def _check(self, scope: Scope) -> tuple[int, str, str, dict[str, str]] | None:
        settings = self.service.settings
        now = self.clock()
        client = (scope.get("client") or ("?", 0))[0]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        url_len = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if url_len > settings.max_url_bytes:
            return 414, "uri_too_long", f"request line longer than {settings.max_url_bytes} bytes", {}
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > settings.max_body_bytes or "transfer-encoding" in headers:
            return 413, "too_large", f"request bodies are limited to {settings.max_body_bytes} bytes", {}
        if now - self._pruned > _PRUNE_EVERY_S or len(self._buckets) > _PRUNE_ABOVE:
            self._prune(now)
        failures = [t for t in self._failures.get(client, []) if now - t < _LOCKOUT_S]
        if failures:
            self._failures[client] = failures
        else:
            self._failures.pop(client, None)
        if len(failures) >= settings.auth_failures_per_min:
            self.service.metrics.rate_limited.inc()
            return 429, "rate_limited", "too many failed logins from this address; wait a minute", {"retry-after": "60"}
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = TokenBucket(settings.requests_per_s, settings.request_burst, now)
        wait = bucket.take(now)
        if wait:
            self.service.metrics.rate_limited.inc()
            return 429, "rate_limited", "too many requests; slow down", {"retry-after": str(max(1, round(wait)))}
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.service.tokens.verify(token.strip()):
            self._failures.setdefault(client, failures).append(now)
            self.service.metrics.auth_failures.labels(scope["type"]).inc()
            message = "missing bearer token" if not token else "invalid token"
            return 401, "unauthorized", message, {"www-authenticate": 'Bearer realm="QDesk Bridge"'}
        scope.setdefault("state", {})["token"] = hash_token(token.strip())  # stream caps count per token
        return None

    def _prune(self, now: float) -> None:
        """Forget addresses that are idle: a full bucket and no recent failures say nothing a new one wouldn't."""
        self._pruned = now
        settings = self.service.settings
        refill_s = settings.request_burst / settings.requests_per_s
        self._buckets = {a: b for a, b in self._buckets.items() if now - b.stamp < refill_s}
        self._failures = {a: f for a, f in self._failures.items() if f and now - f[-1] < _LOCKOUT_S}

    @property
    def tracked_addresses(self) -> int:
        return len(self._buckets.keys() | self._failures.keys())


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str, headers: dict[str, str]) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
    elif "websocket.http.response" in scope.get("extensions", {}):
        # Refused during the handshake with a real HTTP status: no WebSocket is ever opened.
        await send({"type": "websocket.http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": message})
