"""LoopThread: an asyncio loop on a thread of its own, so blocking code (job threads, the CLI) can await."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopClosed(RuntimeError):
    """The loop was closed before the call finished, or before it was made; the coroutine was cancelled."""


class LoopThread:
    """One event loop running on a daemon thread; any other thread hands it coroutines with `call`.

    Async clients (httpx, websockets) belong to the loop they first run on, so a job creates its
    client and makes every call through the same LoopThread, and closes both when done. Calls from
    several threads run concurrently on the loop. A call that times out, and every call still pending
    at `close()`, is cancelled on the loop, never left running behind its caller's back.
    """

    def __init__(self, name: str = "async-calls") -> None:
        self.name = name
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()  # orders submissions against close(): none slips in after it
        self._closed = False
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            # Whatever close() cancelled gets to run its cleanup (finally blocks, aclose) before the loop goes.
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            if tasks:
                self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for it: its result, or the exception it raised.

        Raises TimeoutError (naming the loop and the limit) after `timeout` seconds, having cancelled the
        coroutine; LoopClosed when the loop is or gets closed first; RuntimeError on the loop's own thread,
        where waiting would block the loop that has to do the work.
        """
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(f"{self.name}: call() on the loop's own thread would wait forever; await instead")
        with self._lock:
            if self._closed:
                coro.close()
                raise LoopClosed(f"{self.name}: the loop is closed")
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
            self._pending.add(future)
        try:
            done, _ = concurrent.futures.wait([future], timeout)
            if not done:
                future.cancel()
                raise TimeoutError(f"{self.name}: no result within {timeout:g} s; the call was cancelled")
            try:
                return future.result()
            except concurrent.futures.CancelledError:
                if self._closed:
                    raise LoopClosed(f"{self.name}: the loop was closed while the call was pending") from None
                raise
        finally:
            with self._lock:
                self._pending.discard(future)

    def close(self, timeout: float | None = 10.0) -> None:
        """Cancel pending calls (their callers get LoopClosed), stop the loop and wait for its thread.

        Idempotent; from the loop's own thread it only stops the loop (the thread cannot wait for itself).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._pending)
        for future in pending:
            future.cancel()
        self._loop.call_soon_threadsafe(self._loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
