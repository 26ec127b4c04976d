"""The one thread that talks to xtquant: every call is queued and run there, in submission order."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], concurrent.futures.Future[Any]]


class WorkerStopped(RuntimeError):
    """A call was made after the worker was stopped."""


class XtWorker:
    """Serializes xtquant calls: xtquant is not thread-safe, so it only ever sees this one thread."""

    def __init__(self, name: str = "xtquant-worker") -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        if self._stopped:
            raise WorkerStopped("the xtquant worker is stopped")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((fn, args, future))
        return future

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """Run `fn(*args)` on the worker and await its result without blocking the event loop."""
        future = asyncio.wrap_future(self.submit(fn, *args))
        if timeout is None:
            return await future
        return await asyncio.wait_for(future, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Finish queued calls, then end the thread; a call stuck inside xtquant is left behind (daemon)."""
        if self._stopped:
            return
        self._stopped = True
        self._jobs.put(None)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, future = job
            if not future.set_running_or_notify_cancel():
                continue  # the awaiting side gave up (timeout, shutdown) before the call began
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 (vendor code raises bare Exception and worse)
                future.set_exception(exc)
