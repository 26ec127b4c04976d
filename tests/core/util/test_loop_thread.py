"""Worker threads awaiting through one LoopThread: concurrent callers, errors, time-outs and close mid-call."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from core.util.loop_thread import LoopClosed, LoopThread

CALLERS = 6
WAIT = 10.0  # a safety net so a broken helper fails the test instead of hanging it


@pytest.fixture()
def loop() -> Iterator[LoopThread]:
    runner = LoopThread("test-loop")
    yield runner
    runner.close()


def test_calls_from_several_threads_run_together_and_each_caller_gets_its_own_answer(loop: LoopThread) -> None:
    arrived = 0
    everyone_in = asyncio.Event()

    async def meet(i: int) -> tuple[int, str]:
        nonlocal arrived
        arrived += 1
        if arrived == CALLERS:
            everyone_in.set()
        await everyone_in.wait()  # only returns once all callers are on the loop at the same time
        if i == 3:
            raise ValueError(f"caller {i} was refused")
        return i * i, threading.current_thread().name

    results: dict[int, object] = {}

    def caller(i: int) -> None:
        try:
            results[i] = loop.call(meet(i), timeout=WAIT)
        except ValueError as exc:
            results[i] = exc

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    failed = results.pop(3)
    assert isinstance(failed, ValueError) and str(failed) == "caller 3 was refused"
    assert results == {i: (i * i, "test-loop") for i in range(CALLERS) if i != 3}


def test_a_hung_call_times_out_with_a_clear_error_and_is_cancelled_on_the_loop(loop: LoopThread) -> None:
    cancelled = threading.Event()

    async def hang() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def answer() -> int:
        return 42

    with pytest.raises(TimeoutError, match=r"^test-loop: no result within 0.05 s; the call was cancelled$"):
        loop.call(hang(), timeout=0.05)
    assert cancelled.wait(WAIT)
    assert loop.call(answer(), timeout=WAIT) == 42  # the loop itself is unharmed


def test_a_coroutine_raising_timeout_error_is_not_mistaken_for_a_time_out(loop: LoopThread) -> None:
    async def own_timeout() -> None:
        raise TimeoutError("the bridge took too long")

    with pytest.raises(TimeoutError, match="^the bridge took too long$"):
        loop.call(own_timeout(), timeout=WAIT)


def test_close_while_a_call_is_pending_cancels_it_and_the_caller_hears_why() -> None:
    loop = LoopThread("closing-loop")
    started, cleaned_up = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    async def hang() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()  # a client's aclose() in a finally block gets to run

    def caller() -> None:
        try:
            loop.call(hang())
        except BaseException as exc:  # noqa: BLE001 (the test inspects whatever arrives)
            outcome.append(exc)

    worker = threading.Thread(target=caller)
    worker.start()
    assert started.wait(WAIT)
    loop.close()
    worker.join(WAIT)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], LoopClosed)
    assert str(outcome[0]) == "closing-loop: the loop was closed while the call was pending"
    assert cleaned_up.is_set() and loop.closed

    async def late() -> int:
        return 1

    with pytest.raises(LoopClosed, match="closing-loop: the loop is closed"):
        loop.call(late())
    loop.close()  # a second close is harmless


def test_a_call_from_the_loop_thread_itself_is_refused_instead_of_deadlocking(loop: LoopThread) -> None:
    async def inner() -> int:
        return 1

    async def outer() -> int:
        return loop.call(inner())

    with pytest.raises(RuntimeError, match="on the loop's own thread would wait forever"):
        loop.call(outer(), timeout=WAIT)
