"""Synthetic source for load tests: N instruments, each snapshotted once per cadence, spread evenly."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from itertools import repeat

import numpy as np

from core.bridge.sources.base import Source, SourceSink
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.replay import Clock, WallClock
from core.bridge.sources.replay_files import day_limits
from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import parse_symbol
from core.domain.ticks import Tick

log = logging.getLogger(__name__)
_BEIJING = dt.timezone(dt.timedelta(hours=8))  # China keeps UTC+8 all year
# Real code ranges, visited round-robin so any N mixes SH/SZ main boards, ChiNext and STAR.
_CODE_BLOCKS = (
    (600000, 602000, "SH"),
    (0, 2000, "SZ"),
    (300000, 302000, "SZ"),
    (603000, 606000, "SH"),
    (2000, 3000, "SZ"),
    (688000, 689000, "SH"),
)
MAX_SYMBOLS = sum(hi - lo for lo, hi, _ in _CODE_BLOCKS) - 1  # 000000 is not a code
_STEP_S = 0.01  # emission granularity: small batches keep latency low at any rate
_BID_VOLUMES = (1200.0, 3400.0, 5600.0, 7800.0, 9000.0)
_ASK_VOLUMES = (1100.0, 3300.0, 5500.0, 7700.0, 9900.0)
_STEPS = np.arange(1.0, 6.0)  # the book's five levels, in fen from the last price


def sim_symbols(n: int) -> list[str]:
    """The first `n` synthetic symbols, deterministic."""
    if not 0 < n <= MAX_SYMBOLS:
        raise ValueError(f"the sim offers 1 to {MAX_SYMBOLS} symbols, not {n}")
    blocks = [iter(range(lo, hi)) for lo, hi, _ in _CODE_BLOCKS]
    out: list[str] = []
    while len(out) < n:
        for (_, _, exch), codes in zip(_CODE_BLOCKS, blocks, strict=True):
            code = next(codes, None)
            if code and len(out) < n:
                out.append(f"{code:06d}.{exch}")
    return out


class SimSource(Source):
    """Random-walk Level-1 snapshots within the rule engine's daily limits (carried on every tick), with a
    five-level book around the last price."""

    name = "sim"

    def __init__(
        self,
        n_symbols: int = 5500,
        interval: float = 3.0,
        seed: int = 7,
        history: StoreHistory | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.symbols = sim_symbols(n_symbols)
        self.interval = interval
        self.history = history
        self.clock: Clock = clock or WallClock()
        # The walk is computed a step's symbols at a time in numpy: at full-market rates a per-tick Python
        # random walk cost more than everything the bridge does with the tick afterwards.
        self._rng = np.random.default_rng(seed)
        n = len(self.symbols)
        self._index = {s: i for i, s in enumerate(self.symbols)}
        self._pre = np.round(self._rng.uniform(3.0, 80.0, n), 2)
        self._last = self._pre.copy()
        # The day's limits from the one rule engine (20% on ChiNext and STAR, 10% on the main boards).
        today = dt.date.today()
        limits = [day_limits(s, today, p) for s, p in zip(self.symbols, self._pre.tolist(), strict=True)]
        self._up = np.array([up for up, _ in limits])
        self._down = np.array([down for _, down in limits])
        self._open = np.zeros(n)
        self._high = np.zeros(n)
        self._low = np.zeros(n)
        self._volume = np.zeros(n)
        self._amount = np.zeros(n)
        self._subscribed = bytearray(n)  # a flag per symbol: cheaper than a set at 5,500 symbols
        self._running = asyncio.Event()
        self._running.set()
        self._task: asyncio.Task[None] | None = None

    async def start(self, sink: SourceSink) -> None:
        await super().start(sink)
        log.info(
            "sim: %d symbols, one snapshot each every %.3g s (%.0f ticks/s)",
            len(self.symbols),
            self.interval,
            len(self.symbols) / self.interval,
        )
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sim-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def _run(self) -> None:
        n = len(self.symbols)
        per_step = n * _STEP_S / self.interval  # fractional: the remainder carries to the next step
        start, step, due_index = self.clock.now(), 0, 0.0
        cursor = 0
        while True:
            await self._running.wait()
            step += 1
            delay = start + step * _STEP_S - self.clock.now()
            if delay > 0:
                await self.clock.sleep(delay)
            else:
                # Behind schedule: still yield, or a saturated loop would never let the stream tasks send.
                await asyncio.sleep(0)
                if delay < -1.0:
                    start, step = self.clock.now(), 0  # fell far behind (paused, suspended): do not burst
            due_index += per_step
            count = int(due_index)
            due_index -= count
            now = dt.datetime.now(_BEIJING).replace(tzinfo=None)
            ticks: list[Tick] = []
            while count > 0:  # a step never moves a symbol twice: at most n at a time
                chunk = min(count, n)
                moved = (cursor + np.arange(chunk)) % n
                self._move(moved)
                ticks.extend(self._ticks(moved[np.frombuffer(self._subscribed, np.uint8)[moved] == 1], now))
                cursor, count = (cursor + chunk) % n, count - chunk
            if ticks:
                self.sink.ticks_arrived(ticks)

    def _move(self, i: np.ndarray) -> None:
        """One random-walk step for the symbols at indices `i` (distinct), clamped to the day's limits."""
        price = np.round(
            np.clip(self._last[i] * (1.0 + self._rng.normal(0.0, 0.0015, len(i))), self._down[i], self._up[i]), 2
        )
        self._last[i] = price
        fresh = i[self._open[i] == 0.0]
        self._open[fresh] = self._high[fresh] = self._low[fresh] = self._last[fresh]
        self._high[i] = np.maximum(self._high[i], price)
        self._low[i] = np.minimum(self._low[i], price)
        shares = 100.0 * self._rng.integers(1, 201, len(i))
        self._volume[i] += shares
        self._amount[i] += shares * price

    def _ticks(self, i: np.ndarray, now: dt.datetime) -> list[Tick]:
        """Snapshots of the symbols at indices `i`, as plain Python floats (what the wire encoder expects)."""
        last = self._last[i]
        # The book in whole fen, divided back: the same doubles as round(p ± k * 0.01, 2).
        fen = np.rint(last * 100.0)[:, None]
        # One list per level, zipped into each tick's tuple: no list per tick on the way.
        bids = zip(*((fen - _STEPS) / 100.0).T.tolist(), strict=True)
        asks = zip(*((fen + _STEPS - 1.0) / 100.0).T.tolist(), strict=True)
        return list(
            map(
                Tick,
                [self.symbols[k] for k in i.tolist()],
                repeat(now),
                last.tolist(),
                self._open[i].tolist(),
                self._high[i].tolist(),
                self._low[i].tolist(),
                self._pre[i].tolist(),
                self._volume[i].tolist(),
                self._amount[i].tolist(),
                bids,
                repeat(_BID_VOLUMES),
                asks,
                repeat(_ASK_VOLUMES),
                self._up[i].tolist(),
                self._down[i].tolist(),
            )
        )

    async def subscribe(self, symbols: Sequence[str]) -> None:
        for i in self._indices(symbols):
            self._subscribed[i] = 1

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        for i in self._indices(symbols):
            self._subscribed[i] = 0

    def _indices(self, symbols: Sequence[str]) -> Iterator[int]:
        return (self._index[s] for s in symbols if s in self._index)

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Tick]:
        now = dt.datetime.now(_BEIJING).replace(tzinfo=None)
        known = [s for s in symbols if s in self._index]
        ticks = self._ticks(np.array([self._index[s] for s in known], dtype=np.intp), now)
        return dict(zip(known, ticks, strict=True))

    async def instruments(self) -> list[Instrument]:
        out = []
        for s in self.symbols:
            parsed = parse_symbol(s)
            out.append(Instrument(s, parsed.exchange.value, parsed.board, f"SIM{parsed.code}"))
        return out

    async def bars(
        self, symbol: str, freq: Freq, start: dt.datetime | None, end: dt.datetime | None, adjust: str
    ) -> list[Bar]:
        if self.history is None:
            return []
        return await self.history.bars(symbol, freq, start, end, adjust)
