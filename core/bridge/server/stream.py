"""One /v1/stream WebSocket: subscriptions in, sequenced tick frames and heartbeats out, slow readers shed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from core.bridge.protocol import TickBatch, control_frame, hello_frame, ticks_frame
from core.bridge.server.guard import TokenBucket
from core.bridge.service import BridgeService
from core.bridge.validation import InvalidRequest, validate_symbol, validate_symbols

log = logging.getLogger(__name__)
_MAX_BAD_MESSAGES = 20  # bad or over-rate messages; then the client is clearly broken or hostile: disconnected
_CLOSE_WAIT_S = 1.0
_MAX_QUEUED_ERRORS = 8
_MAX_REJECTED_SHOWN = 20
WHOLE_MARKET = "*"  # error replies waiting to be sent; more are dropped, not queued


class RateLimited(InvalidRequest):
    """A message over the connection's rate; it counts as a bad message."""


class StreamConnection:
    """Outgoing frames wait in two bounded queues drained in sequence order by one sender task.

    Sequence numbers are given when a frame is queued, so a tick frame dropped for a slow reader shows up
    as a gap on its side. Tick frames and control frames queue apart so that shedding the oldest tick
    frame is O(1) whatever else waits; error replies are capped, and a client whose control frames pile
    up (it sends but never reads) is disconnected rather than buffered without end.
    """

    def __init__(self, ws: WebSocket, service: BridgeService) -> None:
        self.ws = ws
        self.service = service
        # Which token opened the connection (its hash, set by the guard): caps apply per token too.
        self.token: str = ws.scope.get("state", {}).get("token", "")
        self._seq = 0
        self._ticks: deque[tuple[int, int, str | bytes]] = deque()  # (seq, tick count, frame)
        self._controls: deque[tuple[int, bool, str]] = deque()  # (seq, is_error, frame)
        self._errors_queued = 0
        self._wake = asyncio.Event()
        self._closed = False
        self._overflowed = False
        # Column or binary frames for clients that ask (`?frames=columns|binary`) unless the operator
        # turned them off; rows otherwise.
        asked = ws.query_params.get("frames")
        self.frames = asked if service.settings.column_frames and asked in ("columns", "binary") else "rows"
        self._ops = TokenBucket(service.settings.ws_ops_per_s, service.settings.ws_ops_per_s * 3, time.monotonic())

    # -- outgoing ------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def offer_ticks(self, stamp: float, batch: TickBatch) -> None:
        if self._closed:
            return
        if len(self._ticks) >= self.service.settings.outbox_frames:
            self._ticks.popleft()  # shed the oldest tick frame: the client sees the gap and re-reads quotes
            self.service.metrics.dropped.inc()
        seq = self._next_seq()
        self._ticks.append((seq, len(batch), ticks_frame(seq, stamp, batch, self.frames)))
        self._wake.set()

    def offer_status(self, paused: bool, source_connected: bool) -> None:
        self._control("status", paused=paused, source_connected=source_connected)

    def _control(self, kind: str, **fields: object) -> None:
        if self._closed:
            return
        is_error = kind == "error"
        if is_error and self._errors_queued >= _MAX_QUEUED_ERRORS:
            self.service.metrics.dropped.inc()  # unsent errors say nothing new; no seq is spent on them
            return
        if len(self._controls) >= self.service.settings.outbox_frames:
            self._overflowed = True  # acks and heartbeats are never shed: a client not reading them goes
            self._wake.set()
            return
        seq = self._next_seq()
        self._controls.append((seq, is_error, control_frame(kind, seq, **fields)))
        self._errors_queued += is_error
        self._wake.set()

    def _pop_next(self) -> tuple[int, str | bytes]:
        """The queued frame with the lowest sequence number, and how many ticks it carries."""
        ticks, controls = self._ticks, self._controls
        if controls and (not ticks or controls[0][0] < ticks[0][0]):
            _, is_error, control = controls.popleft()
            self._errors_queued -= is_error
            return 0, control
        _, count, frame = ticks.popleft()
        return count, frame

    async def _send_loop(self) -> None:
        metrics = self.service.metrics
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._overflowed:
                await self._hang_up("not reading its messages")
                return
            while self._ticks or self._controls:
                count, frame = self._pop_next()
                await (self.ws.send_bytes(frame) if isinstance(frame, bytes) else self.ws.send_text(frame))
                metrics.frames_out.inc()
                if count:
                    metrics.ticks_out.inc(count)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.service.settings.heartbeat_s)
            self._control("heartbeat", time=time.time())

    # -- the connection's life -----------------------------------------------------------------
    async def run(self) -> None:
        service = self.service
        if service.token_streams(self.token) >= service.settings.max_streams_per_token:
            refusal = JSONResponse(
                {"error": "too_many_streams", "message": "this token has too many open streams; close one first"},
                status_code=429,
                headers={"retry-after": "5"},
            )
            await self._refuse(refusal)
            return
        if service.fanout.clients >= service.settings.max_clients:
            # A 503 in the handshake, not a close: clients retry it later, while a 403 would read as a bad token.
            refusal = JSONResponse(
                {"error": "unavailable", "message": "too many stream clients; try again later"},
                status_code=503,
                headers={"retry-after": "5"},
            )
            await self._refuse(refusal)
            return
        await self.ws.accept()
        await self.ws.send_text(
            hello_frame(
                instance=service.instance,
                heartbeat_s=service.settings.heartbeat_s,
                source=service.source.name,
                paused=service.paused,
                version=service.version,
                api=service.api_version,
                frames=self.frames,
            )
        )
        service.fanout.add(self)
        receiver = asyncio.create_task(self._receive_loop(), name="stream-receive")
        sender = asyncio.create_task(self._send_loop(), name="stream-send")
        beater = asyncio.create_task(self._heartbeat_loop(), name="stream-heartbeat")
        tasks = (receiver, sender, beater)
        try:
            # Whichever ends first (the client left, or the bridge hung up on it) ends the connection.
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._closed = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await service.fanout.remove(self)

    async def _refuse(self, refusal: JSONResponse) -> None:
        if "websocket.http.response" in self.ws.scope.get("extensions", {}):
            await self.ws.send_denial_response(refusal)
        else:
            await self.ws.close(code=1013, reason="refused; try again later")

    async def _hang_up(self, reason: str) -> None:
        """Close with 1008; a client that reads nothing never takes the close frame, so give up waiting
        soon: returning from the handler makes the server drop the transport."""
        self._closed = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=1008, reason=reason), _CLOSE_WAIT_S)

    async def _receive_loop(self) -> None:
        bad = 0
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                text = message.get("text")
                if text is None:  # a binary frame: answered like any other bad message, never a crash
                    raise InvalidRequest("messages must be JSON text frames, not binary")
                await self._handle(text)
            except InvalidRequest as exc:
                bad += 1
                code = "rate_limited" if isinstance(exc, RateLimited) else "bad_request"
                self._control("error", code=code, message=str(exc))
                if bad >= _MAX_BAD_MESSAGES:
                    await self._hang_up("too many bad or over-rate messages")
                    return

    async def _handle(self, text: str) -> None:
        if len(text) > self.service.settings.max_ws_message_bytes:
            raise InvalidRequest(f"message larger than {self.service.settings.max_ws_message_bytes} bytes")
        if self._ops.take(time.monotonic()):
            self.service.metrics.rate_limited.inc()
            raise RateLimited("too many requests; slow down")
        try:
            message = json.loads(text)
        except ValueError:
            raise InvalidRequest("messages must be JSON objects") from None
        if not isinstance(message, dict):
            raise InvalidRequest("messages must be JSON objects")
        op = message.get("op")
        if op not in ("subscribe", "unsubscribe"):
            raise InvalidRequest("op must be subscribe or unsubscribe")
        sector = message.get("sector")
        symbols: Any
        if sector is not None:  # a sector's members, as the source lists them today
            if not isinstance(sector, str) or not 0 < len(sector) <= 64:
                raise InvalidRequest("sector must be a name such as 沪深A股")
            try:
                symbols = list(await self.service.source.sector(sector))
            except LookupError as exc:
                raise InvalidRequest(str(exc)) from None
        else:
            symbols = message.get("symbols")
        if not isinstance(symbols, list):
            raise InvalidRequest('symbols must be a list such as ["600000.SH"]')
        fanout = self.service.fanout
        if op == "unsubscribe":
            removed = await fanout.unsubscribe(self, validate_symbols(symbols, len(symbols)))
            self._control("unsubscribed", symbols=removed)
            return
        accepted, rejected, rejected_count = await self._admit(symbols)
        try:
            await fanout.subscribe(self, accepted)
        except Exception as exc:  # noqa: BLE001 (a source failure is reported, the connection lives on)
            log.warning("subscribe failed at the source: %s", exc)
            self._control("error", code="source_error", message=f"the data source refused: {exc}")
            return
        # The ack lists what was accepted (never more than was asked) but only the first few refusals with a
        # count: a large made-up request must not come back several times larger.
        self._control("subscribed", symbols=accepted, rejected=rejected, rejected_count=rejected_count)

    async def _admit(self, items: Sequence[object]) -> tuple[list[str], list[dict[str, str]], int]:
        """The symbols of a subscribe request this connection may have, why the first few others may not, and
        how many others there are. Only the shown refusals are built: a request of 10,000 made-up symbols
        must not leave 10,000 objects behind in the allocator's high-water mark."""
        service, fanout = self.service, self.service.fanout
        known = await service.known_symbols()
        if items == [WHOLE_MARKET]:
            if known is None:
                return (
                    [],
                    [{"symbol": WHOLE_MARKET, "reason": "the instrument list is unavailable; try again later"}],
                    1,
                )
            items = sorted(known)  # the whole market the source lists
        mine = fanout.symbols_of(self)
        accepted: dict[str, None] = {}
        rejected: list[dict[str, str]] = []
        refused = 0

        def refuse(symbol: str, reason: str) -> None:
            nonlocal refused
            refused += 1
            if len(rejected) < _MAX_REJECTED_SHOWN:
                rejected.append({"symbol": symbol, "reason": reason})

        for item in items:
            try:
                symbol = validate_symbol(item)
            except InvalidRequest as exc:
                refuse(str(item)[:24], str(exc))
                continue
            if known is not None and symbol not in known:
                refuse(symbol, "unknown instrument")
            elif symbol not in mine:
                accepted[symbol] = None
        settings = service.settings
        room = min(
            settings.max_symbols_per_client - len(mine),
            settings.max_symbols_per_token - service.token_symbols(self.token),
        )
        wanted = list(accepted)
        for symbol in wanted[max(room, 0) :]:
            refuse(symbol, "subscription limit reached")
        return wanted[: max(room, 0)], rejected, refused


async def serve_stream(ws: WebSocket, service: BridgeService) -> None:
    await StreamConnection(ws, service).run()
