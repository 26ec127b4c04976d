"""BridgeClient: QDesk's handle on a bridge: typed HTTP calls plus a self-healing quote stream."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from core.bridge.client.credentials import load_token
from core.bridge.client.events import (
    BridgeError,
    BridgeRequestError,
    ClientEvent,
    ConnectionState,
    ConnectionStateChanged,
    QuotesReconciled,
    TicksReceived,
)
from core.bridge.client.http import BridgeHttp, tls_context, ws_url
from core.bridge.client.stream import StreamSession
from core.bridge.validation import InvalidRequest, validate_symbols
from core.domain.bars import Bar, Freq, Instrument
from core.domain.ticks import Tick
from core.util.backoff import Backoff
from core.util.listeners import Listeners
from core.util.tasks import cancel_and_wait

log = logging.getLogger(__name__)
Listener = Callable[[ClientEvent], None]


class BridgeClient:
    """Talks to one bridge. Runs on any asyncio loop (QDesk's is qasync's); all callbacks come on it.

    Without `token` the client reads it from the OS keyring (service "QDesk Bridge", user `host:port`).
    After `start()` it keeps the stream connected; subscriptions survive reconnects, and ticks missed
    while disconnected or shed by the bridge are repaired from /v1/quotes. Every task it starts is
    named, logged if it fails and cancelled by `close()`.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        ca_file: str | None = None,
        keyring_backend: Any | None = None,
        backoff: Backoff | None = None,
        timeout: float = 10.0,
        frames: str = "binary",
    ) -> None:
        # `frames`: the tick frame form to ask for (binary, columns or rows); all read into the same Ticks.
        if frames not in ("binary", "columns", "rows"):
            raise ValueError(f"frames must be binary, columns or rows, not {frames!r}")
        self.url = url.rstrip("/")
        self._token = token if token is not None else load_token(self.url, keyring_backend)
        self.ca_file = ca_file  # a trading client of the same bridge verifies alike
        self.http = BridgeHttp(self.url, self._token, ca_file, timeout)
        stream_url = ws_url(self.url, "/v1/stream")
        self._stream = StreamSession(
            stream_url,
            lambda: self._token,
            # wss:// verifies like https:// (system CAs, SSL_CERT_FILE, ca_file); ws:// takes no context at all.
            ssl_context=tls_context(ca_file) if stream_url.startswith("wss://") else None,
            backoff=backoff or Backoff(),
            connect_timeout=timeout,
            on_event=self._emit,
            on_ticks=self._on_ticks,
            on_subscribed=self._request_reconcile,
            on_hello=self._on_hello,
            on_state=self._set_state,
            frames=frames,
        )
        self._listeners: Listeners[ClientEvent] = Listeners("bridge client")
        self._state = ConnectionState.IDLE
        self._state_detail = ""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._run_task: asyncio.Task[None] | None = None
        self._instance = ""
        self._last_n: dict[str, int] = {}  # newest ingest number seen per symbol
        self._latest: dict[str, Tick] = {}
        self._live_count: dict[str, int] = {}  # live ticks per symbol, to judge reconcile answers
        self._reconcile_wanted: set[str] = set()
        self._reconciling: asyncio.Task[None] | None = None
        self._reconcile_reason = ""

    # -- observing ---------------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def state_detail(self) -> str:
        return self._state_detail

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event; returns a function that removes it."""
        return self._listeners.add(listener)

    def latest(self, symbol: str) -> Tick | None:
        """The newest tick delivered for `symbol`, live or reconciled."""
        return self._latest.get(symbol)

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._stream.desired)

    async def wait_for_state(self, *states: ConnectionState, timeout: float = 10.0) -> ConnectionState:
        if self._state in states:
            return self._state
        future: asyncio.Future[ConnectionState] = asyncio.get_running_loop().create_future()

        def watch(event: ClientEvent) -> None:
            if isinstance(event, ConnectionStateChanged) and event.state in states and not future.done():
                future.set_result(event.state)

        remove = self.add_listener(watch)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            remove()

    def _emit(self, event: ClientEvent) -> None:
        self._listeners.emit(event)  # one bad listener must not stop the stream

    def _set_state(self, state: ConnectionState, detail: str) -> None:
        if state is self._state and detail == self._state_detail:
            return
        self._state, self._state_detail = state, detail
        log.info("bridge %s: %s%s", self.url, state.value, f" ({detail})" if detail else "")
        self._emit(ConnectionStateChanged(state, detail))

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start (or, after an auth failure, restart) the stream."""
        if self._run_task is None or self._run_task.done():
            self._run_task = self._track(self._stream.run(), "bridge-stream")

    def set_token(self, token: str) -> None:
        """Use a new token from now on; a client refused for its old token reconnects."""
        self._token = token
        self.http.set_token(token)
        if self._state is ConnectionState.AUTH_FAILED:
            self.start()

    async def close(self) -> None:
        await asyncio.gather(*(cancel_and_wait(task) for task in list(self._tasks)))
        await self._stream.close()
        await self.http.aclose()
        self._set_state(ConnectionState.CLOSED, "")

    def _track(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("bridge client task %s failed", task.get_name(), exc_info=task.exception())

    # -- subscriptions -----------------------------------------------------------------------
    async def subscribe(self, symbols: Iterable[str]) -> None:
        """Add symbols to the stream; they stay subscribed across reconnects until unsubscribed."""
        try:
            wanted = validate_symbols(symbols, limit=100_000)
        except InvalidRequest as exc:
            raise BridgeRequestError(str(exc), 400) from None
        new = [s for s in wanted if s not in self._stream.desired]
        self._stream.desired.update(new)
        await self._stream.send_subscription("subscribe", new)

    async def unsubscribe(self, symbols: Iterable[str]) -> None:
        gone = [s for s in symbols if s in self._stream.desired]
        self._stream.desired.difference_update(gone)
        for s in gone:
            self._latest.pop(s, None)
        await self._stream.send_subscription("unsubscribe", gone)

    # -- incoming ticks and repairs ------------------------------------------------------------
    def _on_hello(self, instance: str) -> None:
        if instance != self._instance:
            self._instance = instance
            self._last_n.clear()  # a restarted bridge numbers its ticks from 1 again

    def _on_ticks(self, ticks: list[tuple[int, Tick]], seq: int, stamp: float, received_at: float) -> None:
        fresh = []
        # Locals, not attributes, in this loop: it runs for every tick the bridge sends.
        desired, last_n, live, latest = self._stream.desired, self._last_n, self._live_count, self._latest
        for n, tick in ticks:
            symbol = tick.symbol
            if symbol not in desired or n <= last_n.get(symbol, 0):
                continue  # unsubscribed meanwhile, or older than what a reconcile already delivered
            last_n[symbol] = n
            live[symbol] = live.get(symbol, 0) + 1
            latest[symbol] = tick
            fresh.append(tick)
        if fresh:
            self._emit(TicksReceived(tuple(fresh), seq, stamp, received_at))

    def _request_reconcile(self, symbols: list[str], reason: str) -> None:
        self._reconcile_wanted.update(symbols)
        self._reconcile_reason = reason
        if self._reconciling is None or self._reconciling.done():
            self._reconciling = self._track(self._reconcile_loop(), "bridge-reconcile")

    async def _reconcile_loop(self) -> None:
        # Requests that come while one runs are merged into the next round, not run in parallel.
        while self._reconcile_wanted:
            symbols = sorted(self._reconcile_wanted & self._stream.desired)
            reason = self._reconcile_reason
            self._reconcile_wanted.clear()
            if symbols:
                try:
                    await self.reconcile(symbols, reason)
                except BridgeError as exc:
                    log.warning("could not re-read quotes after %s: %s", reason, exc)

    async def reconcile(self, symbols: Sequence[str], reason: str = "requested") -> int:
        """Re-read the latest quotes of `symbols` and deliver those newer than what arrived live."""
        before = {s: self._live_count.get(s, 0) for s in symbols}
        numbered = await self.http.quotes_numbered(symbols)
        updated = []
        for tick, n in numbered:
            s = tick.symbol
            if s not in self._stream.desired:
                continue
            if n > 0:
                if n <= self._last_n.get(s, 0):
                    continue
                self._last_n[s] = n
            elif self._live_count.get(s, 0) != before.get(s, 0) or self._latest.get(s) == tick:
                continue  # live data arrived while we asked, so it is at least as new as this answer
            self._latest[s] = tick
            updated.append(tick)
        if updated:
            now = time.time()
            self._emit(TicksReceived(tuple(updated), 0, now, now, reconciled=True))
        self._emit(QuotesReconciled(reason, len(symbols), len(updated)))
        return len(updated)

    # -- typed HTTP API ------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        return await self.http.health()

    async def instruments(self) -> list[Instrument]:
        return await self.http.instruments()

    async def trading_calendar(self) -> list[dt.date]:
        return await self.http.trading_calendar()

    async def bars(
        self,
        symbol: str,
        period: Freq | str = Freq.DAY,
        start: dt.date | dt.datetime | str | None = None,
        end: dt.date | dt.datetime | str | None = None,
        adjust: str = "none",
        page_size: int | None = None,
    ) -> list[Bar]:
        return await self.http.bars(symbol, period, start, end, adjust, page_size)

    async def quotes(self, symbols: Sequence[str]) -> list[Tick]:
        return [tick for tick, _ in await self.http.quotes_numbered(symbols)]
