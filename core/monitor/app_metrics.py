"""App collector: event-loop lag, ticks/s in, coalesced repaints, background jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass

from core.monitor.samples import Value
from core.quotes.hub import QuoteHub
from core.quotes.session import MarketSession, beijing_now, market_session

_TRADING = (MarketSession.CONTINUOUS,)


class LoopLagProbe:
    """How late the event loop runs a callback scheduled `interval` ahead: the lag a user feels as jank.

    It rides on the loop it measures (with qasync that is Qt's own loop), so a blocked GUI thread
    shows up as a late tick. The reported lag is the worst of the last `window` ticks.
    """

    def __init__(self, interval: float = 0.1, window: int = 20) -> None:
        self._interval = interval
        self._lags: deque[float] = deque(maxlen=window)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._expected = 0.0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.stop()
        self._loop = loop
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def lag_ms(self) -> float | None:
        return 1000.0 * max(self._lags) if self._lags and self.running else None

    def _schedule(self) -> None:
        assert self._loop is not None
        self._expected = self._loop.time() + self._interval
        self._handle = self._loop.call_at(self._expected, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        self._lags.append(max(0.0, self._loop.time() - self._expected))
        if self._loop.is_closed():
            self._handle = None
            return
        self._schedule()


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A background job as the monitor lists it; `fraction` is None when the job reports no progress."""

    name: str
    running: bool
    fraction: float | None = None
    message: str = ""


class AppCollector:
    """Each source is optional; a missing one reports n/a rather than a made-up zero."""

    def __init__(
        self,
        hub: QuoteHub | None = None,
        probe: LoopLagProbe | None = None,
        repaints: Callable[[], int] | None = None,
        jobs: Callable[[], Sequence[JobInfo]] | None = None,
        live_source: Callable[[], bool] = lambda: False,
        now: Callable[[], dt.datetime] = beijing_now,
        holidays: Container[dt.date] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hub, self._probe, self._repaints, self._jobs = hub, probe, repaints, jobs
        self._live_source, self._now, self._holidays, self._clock = live_source, now, holidays, clock
        self._last_repaints: tuple[float, int] | None = None

    def collect(self) -> dict[str, Value]:
        rate = self._hub.ticks_per_second() if self._hub is not None else None
        trading = market_session(self._now(), self._holidays) in _TRADING
        values: dict[str, Value] = {
            "app.loop_lag_ms": self._probe.lag_ms() if self._probe is not None else None,
            "app.ticks_per_s": rate,
            "app.ticks_total": self._hub.ticks_total if self._hub is not None else None,
            # Only meaningful while the market trades and a live source is expected to deliver.
            "app.session_ticks_per_s": rate if trading and self._live_source() else None,
            "app.repaints_per_s": self._repaint_rate(),
        }
        values.update(self._job_values())
        return values

    def _repaint_rate(self) -> float | None:
        if self._repaints is None:
            return None
        now, count = self._clock(), self._repaints()
        last, self._last_repaints = self._last_repaints, (now, count)
        if last is None or now <= last[0]:
            return None
        return max(0, count - last[1]) / (now - last[0])

    def _job_values(self) -> dict[str, Value]:
        if self._jobs is None:
            return {"app.jobs_running": None, "app.jobs": None}
        running = [j for j in self._jobs() if j.running]
        parts = [j.name if j.fraction is None else f"{j.name} {100 * j.fraction:.0f}%" for j in running]
        return {"app.jobs_running": len(running), "app.jobs": ", ".join(parts)}
