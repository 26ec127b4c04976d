"""One /v1/stream WebSocket: subscriptions in, sequenced tick frames and heartbeats out, slow readers shed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from core.bridge.protocol import control_frame, hello_frame, ticks_frame
from core.bridge.server.guard import TokenBucket
from core.bridge.service import BridgeService
from core.bridge.validation import InvalidRequest, validate_symbols

log = logging.getLogger(__name__)
_MAX_BAD_MESSAGES = 20  # then the client is clearly broken or hostile and is disconnected


class StreamConnection:
    """Outgoing frames wait in a bounded outbox drained by one sender task. Sequence numbers are given
    when a frame is queued, so a tick frame dropped for a slow reader shows up as a gap on its side."""

    def __init__(self, ws: WebSocket, service: BridgeService) -> None:
        self.ws = ws
        self.service = service
        self._seq = 0
        self._outbox: deque[tuple[bool, int, str]] = deque()  # (is_ticks, tick count, frame)
        self._wake = asyncio.Event()
        self._closed = False
        self._ops = TokenBucket(service.settings.ws_ops_per_s, service.settings.ws_ops_per_s * 3, time.monotonic())

    # -- outgoing ------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _queue(self, is_ticks: bool, count: int, frame: str) -> None:
        if self._closed:
            return
        if len(self._outbox) >= self.service.settings.outbox_frames:
            for i, (ticks, _, _) in enumerate(self._outbox):
                if ticks:  # shed the oldest tick frame; acks, errors and heartbeats always go out
                    del self._outbox[i]
                    self.service.metrics.dropped.inc()
                    break
        self._outbox.append((is_ticks, count, frame))
        self._wake.set()

    def offer_ticks(self, stamp: float, encoded: list[str]) -> None:
        self._queue(True, len(encoded), ticks_frame(self._next_seq(), stamp, encoded))

    def offer_status(self, paused: bool, source_connected: bool) -> None:
        self._control("status", paused=paused, source_connected=source_connected)

    def _control(self, kind: str, **fields: object) -> None:
        self._queue(False, 0, control_frame(kind, self._next_seq(), **fields))

    async def _send_loop(self) -> None:
        metrics = self.service.metrics
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                _, count, frame = self._outbox.popleft()
                await self.ws.send_text(frame)
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
        if service.fanout.clients >= service.settings.max_clients:
            # A 503 in the handshake, not a close: clients retry it later, while a 403 would read as a bad token.
            refusal = JSONResponse(
                {"error": "unavailable", "message": "too many stream clients; try again later"},
                status_code=503,
                headers={"retry-after": "5"},
            )
            if "websocket.http.response" in self.ws.scope.get("extensions", {}):
                await self.ws.send_denial_response(refusal)
            else:
                await self.ws.close(code=1013, reason="too many clients; try again later")
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
            )
        )
        service.fanout.add(self)
        sender = asyncio.create_task(self._send_loop(), name="stream-send")
        beater = asyncio.create_task(self._heartbeat_loop(), name="stream-heartbeat")
        try:
            await self._receive_loop()
        except WebSocketDisconnect:
            pass
        finally:
            self._closed = True
            for task in (sender, beater):
                task.cancel()
            await asyncio.gather(sender, beater, return_exceptions=True)
            await service.fanout.remove(self)

    async def _receive_loop(self) -> None:
        bad = 0
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            try:
                text = message.get("text")
                if text is None:  # a binary frame: answered like any other bad message, never a crash
                    raise InvalidRequest("messages must be JSON text frames, not binary")
                await self._handle(text)
            except InvalidRequest as exc:
                bad += 1
                self._control("error", code="bad_request", message=str(exc))
                if bad >= _MAX_BAD_MESSAGES:
                    await self.ws.close(code=1008, reason="too many bad messages")
                    return

    async def _handle(self, text: str) -> None:
        if len(text) > self.service.settings.max_ws_message_bytes:
            raise InvalidRequest(f"message larger than {self.service.settings.max_ws_message_bytes} bytes")
        if self._ops.take(time.monotonic()):
            self._control("error", code="rate_limited", message="too many requests; slow down")
            return
        try:
            message = json.loads(text)
        except ValueError:
            raise InvalidRequest("messages must be JSON objects") from None
        if not isinstance(message, dict):
            raise InvalidRequest("messages must be JSON objects")
        op = message.get("op")
        if op not in ("subscribe", "unsubscribe"):
            raise InvalidRequest("op must be subscribe or unsubscribe")
        symbols = message.get("symbols")
        if not isinstance(symbols, list):
            raise InvalidRequest('symbols must be a list such as ["600000.SH"]')
        fanout = self.service.fanout
        if op == "unsubscribe":
            removed = await fanout.unsubscribe(self, validate_symbols(symbols, len(symbols)))
            self._control("unsubscribed", symbols=removed)
            return
        accepted, rejected = [], []
        for item in symbols:
            try:
                accepted.append(validate_symbols([item])[0])
            except InvalidRequest as exc:
                rejected.append({"symbol": str(item)[:24], "reason": str(exc)})
        room = self.service.settings.max_symbols_per_client - len(fanout.symbols_of(self))
        over = [s for s in accepted if s not in fanout.symbols_of(self)][max(room, 0) :]
        rejected += [{"symbol": s, "reason": "subscription limit reached"} for s in over]
        over_set = set(over)
        accepted = [s for s in accepted if s not in over_set]
        try:
            await fanout.subscribe(self, accepted)
        except Exception as exc:  # noqa: BLE001 (a source failure is reported, the connection lives on)
            log.warning("subscribe failed at the source: %s", exc)
            self._control("error", code="source_error", message=f"the data source refused: {exc}")
            return
        self._control("subscribed", symbols=accepted, rejected=rejected)


async def serve_stream(ws: WebSocket, service: BridgeService) -> None:
    await StreamConnection(ws, service).run()
