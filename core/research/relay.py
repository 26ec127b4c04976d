"""Calls from Ray tasks back to the process that submitted them, through one small actor per executor.

A task (a study trial on another machine) holds a `RemoteCall`; calling it puts the arguments into the
`Relay` actor and waits for the answer. A thread here (`RelayServer`) takes the calls from the actor, runs
the function registered for them (e.g. ask the study's pruner, which lives next to the study's storage)
and puts the result back. Where no answer comes within the call's timeout (this process is busy, gone,
or the function was dropped), the task gets the call's default and goes on: it never hangs on us.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 30.0  # how long a task waits for an answer before it takes the default
_POLL_S = 0.5  # how long the server's one pending fetch waits, so that close() is prompt
_GRACE_S = 10.0  # the round trip on top of that, on a busy cluster


class Relay:
    """The actor's class (made remote by RelayServer): pending calls in, answers out."""

    def __init__(self) -> None:
        self._calls: asyncio.Queue[tuple[int, int, tuple[Any, ...]]] = asyncio.Queue()
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()

    async def call(self, key: int, args: tuple[Any, ...], timeout_s: float) -> tuple[bool, Any]:
        """(True, result) once the server answers, (False, None) after `timeout_s`."""
        call_id = next(self._ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._answers[call_id] = answer
        await self._calls.put((call_id, key, args))
        try:
            result: tuple[bool, Any] = await asyncio.wait_for(answer, timeout_s)
            return result
        except asyncio.TimeoutError:
            return False, None
        finally:
            self._answers.pop(call_id, None)

    async def next_call(self, timeout_s: float) -> tuple[int, int, tuple[Any, ...]] | None:
        try:
            return await asyncio.wait_for(self._calls.get(), timeout_s)
        except asyncio.TimeoutError:
            return None

    async def answer(self, call_id: int, ok: bool, value: Any) -> None:
        future = self._answers.get(call_id)
        if future is not None and not future.done():  # else the caller gave up already
            future.set_result((ok, value))


@dataclass(frozen=True)
class RemoteCall:
    """Callable inside a Ray task: runs the registered function in the submitting process, or gives `default`."""

    relay: Any  # the Relay actor's handle
    key: int
    default: Any
    timeout_s: float = ANSWER_TIMEOUT_S

    def __call__(self, *args: Any) -> Any:
        import ray

        try:
            reply = self.relay.call.remote(self.key, args, self.timeout_s)
            ok, value = ray.get(reply, timeout=self.timeout_s + _GRACE_S)
        except ray.exceptions.RayError:  # GetTimeoutError included
            return self.default  # the relay or this process went away: the task goes on
        return value if ok else self.default


class RelayServer:
    """Owns the Relay actor and the thread that answers its calls with the registered functions."""

    def __init__(self, ray: Any) -> None:
        self._ray = ray
        # No CPU reserved: the relay must not take a slot that a task would use.
        self._relay = ray.remote(num_cpus=0, max_restarts=0)(Relay).remote()
        self._handlers: dict[int, Callable[..., Any]] = {}
        self._keys = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="ray-relay", daemon=True)
        self._thread.start()

    def register(self, fn: Callable[..., Any], default: Any, timeout_s: float = ANSWER_TIMEOUT_S) -> RemoteCall:
        with self._lock:
            key = next(self._keys)
            self._handlers[key] = fn
        return RemoteCall(self._relay, key, default, timeout_s)

    def unregister(self, call: RemoteCall) -> None:
        with self._lock:
            self._handlers.pop(call.key, None)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=_POLL_S + _GRACE_S)  # never held up by a cluster that went away
        try:
            self._ray.kill(self._relay)
        except Exception:  # already gone with its cluster
            log.debug("the Ray relay was gone at close", exc_info=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                call = self._ray.get(self._relay.next_call.remote(_POLL_S), timeout=_POLL_S + _GRACE_S)
            except self._ray.exceptions.GetTimeoutError:  # a slow round trip: ask again
                continue
            except Exception:  # the cluster went away: the tasks are gone with it
                if not self._stop.is_set():
                    log.exception("the Ray relay stopped answering")
                return
            if call is None:
                continue
            call_id, key, args = call
            with self._lock:
                handler = self._handlers.get(key)
            ok, value = False, None
            if handler is not None:  # else: its task's caller is done with it; the task takes its default
                try:
                    ok, value = True, handler(*args)
                except Exception:
                    log.exception("a call from a Ray task failed here")
            self._relay.answer.remote(call_id, ok, value)
