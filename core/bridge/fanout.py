"""Ticks from the source to every subscribed stream client; reference-counted source subscriptions."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from core.bridge.metrics import BridgeMetrics
from core.bridge.protocol import TickBatch
from core.bridge.sources.base import Source
from core.domain.ticks import Tick
from core.util.memory import MemoryReleaser

# A connection holding this many symbols leaves enough freed memory behind to be worth returning.
_LARGE_SUBSCRIPTION = 1000
_RELEASE_AFTER_S = 1.0  # quiet time after the last large departure before memory is handed back


class Subscriber(Protocol):
    """A stream connection as the fan-out sees it."""

    def offer_ticks(self, stamp: float, batch: TickBatch) -> None: ...

    def offer_status(self, paused: bool, source_connected: bool) -> None: ...


class Fanout:
    """The source's sink. Each tick is numbered (`n`) and cached as the symbol's latest; each connection
    then gets the ticks of the symbols it subscribed to in one frame per batch, as rows or columns, each
    encoding made once per batch and shared (TickBatch).
    """

    def __init__(self, source: Source, metrics: BridgeMetrics) -> None:
        self.source = source
        self.metrics = metrics
        self.paused = False
        self._n = 0
        self._latest: dict[str, tuple[Tick, int]] = {}
        self._refs: Counter[str] = Counter()
        self._by_symbol: dict[str, set[Subscriber]] = {}
        self._subscribers: dict[Subscriber, set[str]] = {}
        self._lock = asyncio.Lock()  # refcount changes and the source calls they cause happen in order
        self.memory = MemoryReleaser()
        self._release_timer: asyncio.TimerHandle | None = None

    # -- SourceSink (event-loop thread) ------------------------------------------------------
    def ticks_arrived(self, ticks: Sequence[Tick]) -> None:
        stamp = time.time()  # the server stamp: latency is measured from here to the client's receipt
        self.metrics.count_ticks_in(len(ticks))
        picked: dict[Subscriber, list[int]] = {}
        items: list[tuple[Tick, int]] = []
        by_symbol, latest, paused = self._by_symbol, self._latest, self.paused
        for tick in ticks:
            self._n += 1
            entry = latest[tick.symbol] = (tick, self._n)
            subs = by_symbol.get(tick.symbol)
            if not subs or paused:
                continue
            index = len(items)
            items.append(entry)
            for sub in subs:
                picked.setdefault(sub, []).append(index)
        shared: dict = {}
        for sub, indices in picked.items():
            sub.offer_ticks(stamp, TickBatch(items, indices, shared))

    def connection_changed(self, connected: bool) -> None:
        self.metrics.source_connected.set(1 if connected else 0)
        self._broadcast_status()

    def reconnected(self) -> None:
        self.metrics.reconnects.inc()

    def call_timed_out(self, lane: str, call: str) -> None:
        self.metrics.call_timeouts.labels(lane, call).inc()

    # -- subscriptions -----------------------------------------------------------------------
    def add(self, sub: Subscriber) -> None:
        self._subscribers[sub] = set()
        self.metrics.clients.set(len(self._subscribers))

    @property
    def clients(self) -> int:
        return len(self._subscribers)

    @property
    def subscribed_symbols(self) -> int:
        return len(self._refs)

    def subscribers(self) -> list[Subscriber]:
        return list(self._subscribers)

    def symbols_of(self, sub: Subscriber) -> set[str]:
        return self._subscribers.get(sub, set())

    async def subscribe(self, sub: Subscriber, symbols: Iterable[str]) -> list[str]:
        """Add symbols to a connection; the source hears only of symbols nobody had subscribed to."""
        async with self._lock:
            mine = self._subscribers[sub]
            added = [s for s in symbols if s not in mine]
            first = [s for s in added if self._refs[s] == 0]
            for s in added:
                mine.add(s)
                self._refs[s] += 1
                self._by_symbol.setdefault(s, set()).add(sub)
            if first:
                try:
                    await self.source.subscribe(first)
                except BaseException:
                    self._release(sub, added)  # keep the counts true to what the source has
                    raise
            self.metrics.subscribed.set(len(self._refs))
            return added

    async def unsubscribe(self, sub: Subscriber, symbols: Iterable[str]) -> list[str]:
        async with self._lock:
            mine = self._subscribers.get(sub, set())
            removed = [s for s in symbols if s in mine]
            last = self._release(sub, removed)
            if last:
                await self.source.unsubscribe(last)
            self.metrics.subscribed.set(len(self._refs))
            return removed

    async def remove(self, sub: Subscriber) -> None:
        """A connection closed: drop its subscriptions, and hand memory back once a burst is over."""
        held = list(self._subscribers.get(sub, ()))
        await self.unsubscribe(sub, held)
        self._subscribers.pop(sub, None)
        self.metrics.clients.set(len(self._subscribers))
        if not self._subscribers or len(held) >= _LARGE_SUBSCRIPTION:
            self._release_memory_soon()

    def _release_memory_soon(self) -> None:
        # Once the burst is over, not at each departure: clients tend to leave together, and the heap
        # is only worth trimming after the last of them.
        if self._release_timer is not None:
            self._release_timer.cancel()
        self._release_timer = asyncio.get_running_loop().call_later(_RELEASE_AFTER_S, self._release_memory)

    def _release_memory(self) -> None:
        self._release_timer = None
        self.memory.release()

    def _release(self, sub: Subscriber, symbols: list[str]) -> list[str]:
        mine = self._subscribers.get(sub, set())
        last = []
        for s in symbols:
            mine.discard(s)
            self._refs[s] -= 1
            holders = self._by_symbol.get(s)
            if holders is not None:
                holders.discard(sub)
            if self._refs[s] <= 0:
                del self._refs[s]
                self._by_symbol.pop(s, None)
                # Nobody keeps this symbol current any more; quotes for it go to the source again.
                self._latest.pop(s, None)
                last.append(s)
        return last

    # -- state -------------------------------------------------------------------------------
    def latest(self, symbols: Iterable[str]) -> dict[str, tuple[Tick, int]]:
        return {s: self._latest[s] for s in symbols if s in self._latest}

    def set_paused(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self._broadcast_status()

    def _broadcast_status(self) -> None:
        for sub in list(self._subscribers):
            sub.offer_status(self.paused, self.source.connected)
