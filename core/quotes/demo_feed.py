"""DemoReplayFeed: replays stored real daily bars as a live quote feed, one trading day per step.

This is what a new user sees with no bridge configured: the bundled demo data (real bars) moving
on the quote board, so every view works without a broker connection or network.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from core.domain.ticks import Tick
from core.quotes.hub import QuoteHub
from core.quotes.session import BEIJING
from core.rules.price_limits import limit_prices
from core.storage.market_store import MarketStore, StoredBar

log = logging.getLogger(__name__)
_CLOSE = dt.time(15, 0)


@dataclass(frozen=True, slots=True)
class ReplayDay:
    day: str
    ticks: tuple[Tick, ...]


def build_replay(store: MarketStore, symbols: Sequence[str], days: int = 250) -> list[ReplayDay]:
    """The last `days` trading days of `symbols` as one end-of-day snapshot per symbol per day."""
    per_day: dict[str, list[Tick]] = {}
    # Each day's tick needs the close before it, hence one bar more than the days replayed.
    for symbol, rows in store.recent_bars(symbols, "1d", days + 1).items():
        # pairwise, not two offset slices: with fewer than `days` + 1 rows those paired a row with itself.
        for prev, row in pairwise(rows):
            per_day.setdefault(row.time, []).append(_tick(symbol, row, float(prev.close)))
    ordered = sorted(per_day)[-days:]
    return [ReplayDay(d, tuple(per_day[d])) for d in ordered]


def _tick(symbol: str, row: StoredBar, pre_close: float) -> Tick:
    day = dt.date.fromisoformat(row.time)
    limits = limit_prices(symbol, day, pre_close) or (0.0, 0.0)
    amount = float(row.amount)
    return Tick(
        symbol=symbol,
        time=dt.datetime.combine(day, _CLOSE, BEIJING),
        last=float(row.close),
        open=float(row.open),
        high=float(row.high),
        low=float(row.low),
        pre_close=pre_close,
        volume=float(row.volume),
        amount=amount if amount == amount else 0.0,  # NaN: source had no amount
        limit_up=limits[0],
        limit_down=limits[1],
    )


class DemoReplayFeed:
    """Publishes one replay day to the hub every `step_seconds`, looping at the end."""

    name = "demo replay"

    def __init__(self, hub: QuoteHub, days: list[ReplayDay], step_seconds: float = 1.5) -> None:
        self._hub = hub
        self._days = days
        self._step = step_seconds
        self._task: asyncio.Task[None] | None = None
        self.current_day: str | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task[None]:
        """Start on the running loop; the task is named and its failure logged (never fire-and-forget)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="demo-replay-feed")
            self._task.add_done_callback(_log_failure)
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        if not self._days:
            log.warning("demo replay has no bars to play")
            return
        while True:
            for day in self._days:
                self.current_day = day.day
                self._hub.publish(day.ticks)
                await asyncio.sleep(self._step)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("demo replay feed stopped", exc_info=task.exception())
