"""The /v1/stream side of the client: connect, re-connect with jittered backoff, re-subscribe, spot gaps."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Callable, Iterable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from core.bridge import API_VERSION
from core.bridge.binary_frames import decode_binary, is_binary_frame
from core.bridge.client.events import (
    ClientEvent,
    ConnectionState,
    GapDetected,
    StreamErrorReported,
    StreamStatusChanged,
)
from core.bridge.client.http import bearer
from core.bridge.protocol import decode, ticks_from_columns, ticks_from_rows
from core.domain.ticks import Tick
from core.util.backoff import Backoff

log = logging.getLogger(__name__)
_SUBSCRIBE_CHUNK = 2000  # symbols per subscribe message, well under the bridge's message size limit


class _Final(Exception):
    def __init__(self, state: ConnectionState, detail: str) -> None:
        super().__init__(detail)
        self.state = state


class StreamSession:
    """Keeps one WebSocket to the bridge alive for as long as it runs.

    Hooks: `on_event` gets gaps and status frames; `on_ticks(ticks, seq, stamp, received_at)` gets each
    tick frame's (n, Tick) pairs;
    `on_subscribed(symbols, reason)` asks for those symbols to be re-read from /v1/quotes (after an ack,
    a gap or a resume);
    `on_hello(instance)` when a connection opens.
    """

    def __init__(
        self,
        ws_url: str,
        token: Callable[[], str | None],
        *,
        ssl_context: ssl.SSLContext | None,
        backoff: Backoff,
        connect_timeout: float,
        on_event: Callable[[ClientEvent], None],
        on_ticks: Callable[[list[tuple[int, Tick]], int, float, float], None],
        on_subscribed: Callable[[list[str], str], None],
        on_hello: Callable[[str], None],
        on_state: Callable[[ConnectionState, str], None],
        frames: str = "binary",
    ) -> None:
        self.ws_url = ws_url
        self.frames = frames
        self._token = token
        self._ssl = ssl_context
        self.backoff = backoff
        self.connect_timeout = connect_timeout
        self._on_event, self._on_ticks, self._on_subscribed = on_event, on_ticks, on_subscribed
        self._on_hello, self._on_state = on_hello, on_state
        self.desired: set[str] = set()
        self._ws: ClientConnection | None = None
        self._expected_seq = 1
        self._silence_s = 15.0
        self._paused: bool | None = None
        self._opened = False
        self._last_frame = 0.0
        self._silent = False

    async def run(self) -> None:
        """Connect and reconnect until cancelled or refused for good (bad token, other API version)."""
        attempt = 0
        ever_connected = False
        while True:
            self._on_state(
                ConnectionState.RECONNECTING if ever_connected or attempt else ConnectionState.CONNECTING, ""
            )
            self._opened = False
            try:
                await self._session()
            except _Final as final:
                self._on_state(final.state, str(final))
                return
            except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
                detail = _describe(exc)
            finally:
                self._ws = None
            if self._opened:  # a connection that worked resets the backoff
                attempt, ever_connected = 0, True
            delay = self.backoff.delay(attempt)
            attempt += 1
            self._on_state(ConnectionState.RECONNECTING, f"{detail}; retrying in {delay:.1f} s")
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        token = self._token()
        if not token:
            raise _Final(ConnectionState.AUTH_FAILED, "no token for this bridge; add one in the bridge settings")
        try:
            ws = await connect(
                _with_frames(self.ws_url, self.frames),
                additional_headers=bearer(token),
                ssl=self._ssl,
                open_timeout=self.connect_timeout,
                compression=None,
                max_size=None,
                ping_interval=20,
                ping_timeout=20,
                proxy=None,
                close_timeout=2,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise _Final(ConnectionState.AUTH_FAILED, "the bridge refused the token") from None
            raise ConnectionError(f"the bridge answered HTTP {status}") from None
        async with ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), self.connect_timeout))
            if not isinstance(hello, dict) or hello.get("type") != "hello":
                raise _Final(ConnectionState.INCOMPATIBLE, "the server is not a QDesk bridge")
            api = str(hello.get("api", ""))
            if api.split(".")[0] != API_VERSION:
                raise _Final(
                    ConnectionState.INCOMPATIBLE,
                    f"the bridge speaks API {api or '?'}; this QDesk speaks API {API_VERSION}",
                )
            self._silence_s = 3 * float(hello.get("heartbeat_s", 5.0)) + 1.0
            self._expected_seq = 1
            self._paused = bool(hello.get("paused"))  # so a resume after connecting while paused is repaired too
            self._ws = ws
            self._opened = True
            self._on_hello(str(hello.get("instance", "")))
            self._on_state(ConnectionState.CONNECTED, f"{hello.get('source', '?')} bridge {hello.get('version', '')}")
            await self.send_subscription("subscribe", sorted(self.desired))
            self._last_frame, self._silent = time.monotonic(), False
            watchdog = asyncio.get_running_loop().create_task(self._watch_silence(ws), name="bridge-stream-watchdog")
            try:
                # No wait_for around each recv: under load it can swallow a cancel (Python < 3.12), and
                # it costs a task per frame. A watchdog aborts a link that went silent instead.
                async for raw in ws:
                    self._last_frame = time.monotonic()
                    self._frame(raw)
            except WebSocketException:
                if not self._silent:
                    raise
            finally:
                watchdog.cancel()
            if self._silent:
                raise TimeoutError("the bridge went silent")
            raise ConnectionError("the bridge closed the stream")

    async def _watch_silence(self, ws: ClientConnection) -> None:
        # Heartbeats come every few seconds: silence for three of them means a dead link.
        while True:
            await asyncio.sleep(min(1.0, self._silence_s / 4))
            if time.monotonic() - self._last_frame > self._silence_s:
                self._silent = True
                ws.transport.abort()
                return

    def _frame(self, raw: str | bytes) -> None:
        received_at = time.time()
        if isinstance(raw, bytes) and is_binary_frame(raw):
            number, stamp, pairs = decode_binary(raw)
            self._sequenced(number)
            self._on_ticks(pairs, number, stamp, received_at)
            return
        message = decode(raw)
        if not isinstance(message, dict):
            return
        seq = message.get("seq")
        if isinstance(seq, int):
            self._sequenced(seq)
        kind = message.get("type")
        if kind == "ticks":
            columns = message.get("columns")
            ticks = ticks_from_columns(columns) if columns is not None else ticks_from_rows(message.get("ticks", []))
            self._on_ticks(ticks, int(message.get("seq", 0)), float(message.get("time", 0.0)), received_at)
        elif kind == "subscribed":
            if message.get("rejected"):
                log.warning("the bridge rejected: %s", message["rejected"])
            self._on_subscribed(list(message.get("symbols", [])), "subscribed")
        elif kind == "status":
            paused = bool(message.get("paused"))
            if self._paused and not paused:
                self._on_subscribed(sorted(self.desired), "resumed")  # what happened meanwhile is in /v1/quotes
            self._paused = paused
            self._on_event(StreamStatusChanged(paused, bool(message.get("source_connected", True))))
        elif kind == "error":
            self._on_event(StreamErrorReported(str(message.get("code")), str(message.get("message"))))

    def _sequenced(self, seq: int) -> None:
        if seq > self._expected_seq:
            self._on_event(GapDetected(self._expected_seq, seq))
            self._on_subscribed(sorted(self.desired), "gap")  # re-read everything subscribed
        self._expected_seq = max(self._expected_seq, seq + 1)

    async def send_subscription(self, op: str, symbols: Iterable[str]) -> None:
        """Send (un)subscribe requests now if connected; on reconnect `desired` is sent whole anyway."""
        ws = self._ws
        if ws is None:
            return
        items = list(symbols)
        for i in range(0, len(items), _SUBSCRIBE_CHUNK):
            try:
                await ws.send(json.dumps({"op": op, "symbols": items[i : i + _SUBSCRIBE_CHUNK]}))
            except WebSocketException:
                return  # the connection is going; the next one subscribes to `desired`

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


def _with_frames(url: str, frames: str) -> str:
    """Ask for a tick frame form; a bridge that does not know it ignores the parameter and sends rows."""
    return f"{url}{'&' if '?' in url else '?'}frames={frames}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "the bridge went silent"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
