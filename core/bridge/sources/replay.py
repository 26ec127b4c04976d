"""Replay source: recorded real ticks, trades or minute bars played back at a chosen speed."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from core.bridge.sources.base import Source, SourceSink, SourceUnavailable
from core.bridge.sources.history import StoreHistory, adjust_bars
from core.bridge.sources.intraday import IntradayBars, day_bar
from core.bridge.sources.replay_files import Event, ReplayFile, discover, session_events
from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import parse_symbol
from core.domain.ticks import Tick

log = logging.getLogger(__name__)
# Long waits (the lunch break at speed 1) are slept in slices so pause takes effect at once.
_SLICE_S = 0.25


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class WallClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ReplaySource(Source):
    """Plays every trading day found under `root` in date order, preserving inter-arrival times / speed.

    Days follow each other without a wait. `speed=0` replays as fast as the bridge can send. Clients
    get ticks only for symbols they subscribe to; `/v1/quotes` and bars cover everything replayed so far.
    """

    name = "replay"

    def __init__(
        self,
        root: Path,
        speed: float = 1.0,
        loop: bool = True,
        history: StoreHistory | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        if speed < 0:
            raise ValueError("speed must be 0 (as fast as possible) or positive")
        self.root = root
        self.speed = speed
        self.loop = loop
        self.history = history
        self.clock: Clock = clock or WallClock()
        self.finished = False
        self.market_time: dt.datetime | None = None  # time of the last replayed event
        self._sessions: dict[dt.date, list[ReplayFile]] = {}
        self._latest: dict[str, Tick] = {}
        self._subscribed: set[str] = set()
        self._intraday = IntradayBars()
        self._running = asyncio.Event()
        self._running.set()
        self._task: asyncio.Task[None] | None = None
        self._anchor_wall = 0.0
        self._anchor_market: dt.datetime | None = None

    async def start(self, sink: SourceSink) -> None:
        await super().start(sink)
        if not self.root.is_dir():
            raise SourceUnavailable(f"replay folder {self.root} does not exist")
        self._sessions = await asyncio.to_thread(discover, self.root)
        if not self._sessions:
            raise SourceUnavailable(
                f"no replayable CSV files (Level-1 snapshots, trades or 1-minute bars) under {self.root}"
            )
        files = sum(len(v) for v in self._sessions.values())
        log.info(
            "replay: %d trading day(s), %d recording(s) under %s at speed %s%s",
            len(self._sessions),
            files,
            self.root,
            self.speed or "max",
            ", looping" if self.loop else "",
        )
        self._task = asyncio.get_running_loop().create_task(self._run(), name="replay-clock")
        self._task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    @property
    def symbols(self) -> list[str]:
        return sorted({rf.symbol for files in self._sessions.values() for rf in files})

    # -- the replay clock ------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            for day in sorted(self._sessions):
                await self._play(day)
            if not self.loop:
                self.finished = True
                log.info("replay: finished")
                return
            self._intraday.reset()

    async def _play(self, day: dt.date) -> None:
        self._anchor_market = None
        batch: list[Event] = []
        for event in session_events(self._sessions[day], day):
            if batch and event.time != batch[0].time:
                await self._emit(batch)
                batch = []
            batch.append(event)
        if batch:
            await self._emit(batch)

    async def _emit(self, batch: list[Event]) -> None:
        await self._wait_until(batch[0].time)
        self.market_time = batch[0].time
        out: dict[str, Tick] = {}  # one tick per symbol and instant: the state after all its prints
        for event in batch:
            tick = event.tick
            self._latest[tick.symbol] = tick
            if event.bar is not None:
                self._intraday.add_bar(event.bar)
            else:
                self._intraday.add_tick(tick)
            if tick.symbol in self._subscribed:
                out[tick.symbol] = tick
        if out:
            self.sink.ticks_arrived(list(out.values()))

    async def _wait_until(self, market: dt.datetime) -> None:
        if self._anchor_market is None:
            self._anchor_market, self._anchor_wall = market, self.clock.now()
        while True:
            if not self._running.is_set():
                paused_at = self.clock.now()
                await self._running.wait()
                self._anchor_wall += self.clock.now() - paused_at  # the paused stretch never happened
            if self.speed == 0:
                await asyncio.sleep(0)  # let the server breathe between batches
                return
            due = self._anchor_wall + (market - self._anchor_market).total_seconds() / self.speed
            delay = due - self.clock.now()
            if delay <= 0:
                return
            await self.clock.sleep(min(delay, _SLICE_S))

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    # -- queries ---------------------------------------------------------------------------
    async def subscribe(self, symbols: Sequence[str]) -> None:
        self._subscribed.update(symbols)

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        self._subscribed.difference_update(symbols)

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Tick]:
        return {s: self._latest[s] for s in symbols if s in self._latest}

    async def instruments(self) -> list[Instrument]:
        stored: dict[str, Instrument] = {}
        if self.history is not None:  # names and listing dates, as the store behind the replay knows them
            stored = {i.symbol: i for i in await asyncio.to_thread(self.history.instruments)}
        out = []
        for symbol in self.symbols:
            parsed = parse_symbol(symbol)
            out.append(stored.get(symbol) or Instrument(symbol, parsed.exchange.value, parsed.board))
        return out

    async def bars(
        self, symbol: str, freq: Freq, start: dt.datetime | None, end: dt.datetime | None, adjust: str
    ) -> list[Bar]:
        if freq is Freq.MINUTE:
            live = self._intraday.bars(symbol, None, None)
        else:
            tick = self._latest.get(symbol)
            bar = day_bar(tick) if tick is not None else None
            live = [bar] if bar is not None else []
        stored: list[Bar] = []
        if self.history is not None:
            before = live[0].time - dt.timedelta(seconds=1) if live else end
            stored = await self.history.bars(symbol, freq, start, before, "none")
        if stored and live:
            # Today's replayed bars continue the stored series, so they share its latest factor.
            live = [replace(b, factor=stored[-1].factor) for b in live]
        merged = [b for b in stored + live if (start is None or b.time >= start) and (end is None or b.time <= end)]
        latest_factor = (stored + live)[-1].factor if stored or live else None
        return adjust_bars(merged, adjust, latest_factor)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("replay stopped by an error", exc_info=task.exception())
