"""A lane of xtquant calls: one thread runs them in submission order; a call past its time limit is isolated."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from core.bridge.sources.base import SourceDisconnected, StuckCall

log = logging.getLogger(__name__)
T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], concurrent.futures.Future[Any]]
MAX_STUCK = 4  # stuck calls per lane before the lane refuses new calls instead of starting more threads


class WorkerStopped(RuntimeError):
    """A call was made after the worker was stopped."""


class XtCallTimeout(SourceDisconnected, TimeoutError):
    """QMT did not answer a call in time (or a lane is full of such calls); the message names the call."""


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", type(fn).__name__).lstrip("_").removesuffix("_now")


class XtWorker:
    """Serializes xtquant calls on one thread: xtquant is not thread-safe within a lane of calls.

    When a call outlives its time limit, the caller gets XtCallTimeout and the thread running it is
    retired (left inside xtquant until the call returns, then it ends): a fresh thread serves the lane's
    next calls, so one hung call never holds up the calls queued behind it. Stuck calls are listed by
    `stuck()` until they return.
    """

    def __init__(self, name: str = "xtquant-worker", on_timeout: Callable[[StuckCall], None] | None = None) -> None:
        self.name = name
        self._on_timeout = on_timeout
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._generation = 0
        self._running: dict[int, tuple[concurrent.futures.Future[Any], str, float]] = {}  # by generation
        self._stuck: dict[int, StuckCall] = {}
        self._thread = self._new_thread()
        self._stopped = False

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def _new_thread(self) -> threading.Thread:
        generation = self._generation
        suffix = f"-{generation}" if generation else ""
        return threading.Thread(target=self._run, args=(generation,), name=f"{self.name}{suffix}", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def stuck(self) -> list[StuckCall]:
        with self._lock:
            return list(self._stuck.values())

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        if self._stopped:
            raise WorkerStopped("the xtquant worker is stopped")
        with self._lock:
            stuck = len(self._stuck)
        if stuck >= MAX_STUCK:
            raise XtCallTimeout(f"{stuck} calls to QMT are stuck on the {self.name} lane; try again when they return")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((fn, args, future))
        return future

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Run `fn(*args)` on the lane and await its result without blocking the event loop."""
        future = self.submit(fn, *args)
        if timeout is None:
            return await asyncio.wrap_future(future)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            self._isolate(future)
            raise XtCallTimeout(f"QMT did not answer {_name(fn)} within {timeout:g} s") from None

    def _isolate(self, future: concurrent.futures.Future[Any]) -> None:
        """Retire the thread running `future`, if it is running, and start a fresh one for the lane."""
        with self._lock:
            running = self._running.get(self._generation)
            if running is None or running[0] is not future or self._stopped:
                return  # never started (dropped when its turn comes) or already finished
            stuck = StuckCall(self.name, running[1], running[2])
            self._stuck[self._generation] = stuck
            self._generation += 1
            self._thread = self._new_thread()
            self._thread.start()
        log.warning(
            "QMT call %s on the %s lane did not return within its time limit; isolated, the lane goes on",
            stuck.call,
            stuck.lane,
        )
        if self._on_timeout is not None:
            self._on_timeout(stuck)

    def stop(self, timeout: float = 5.0) -> None:
        """Finish queued calls, then end the thread; a call stuck inside xtquant is left behind (daemon)."""
        if self._stopped:
            return
        self._stopped = True
        self._jobs.put(None)
        thread = self._thread
        if thread.is_alive() and threading.current_thread() is not thread:
            thread.join(timeout)

    def _run(self, generation: int) -> None:
        while generation == self._generation:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, future = job
            if not future.set_running_or_notify_cancel():
                continue  # the awaiting side gave up (timeout, shutdown) before the call began
            with self._lock:
                self._running[generation] = (future, _name(fn), time.monotonic())
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 (vendor code raises bare Exception and worse)
                future.set_exception(exc)
            finally:
                with self._lock:
                    self._running.pop(generation, None)
                    if self._stuck.pop(generation, None) is not None:
                        log.info("the stuck QMT call %s on the %s lane returned at last", _name(fn), self.name)
