"""A task that loses a cancel (as wait_for can on Python 3.11) is still stopped by cancel_and_wait."""

from __future__ import annotations

import asyncio

from core.util.tasks import cancel_and_wait


def test_a_task_that_swallows_the_first_cancel_is_stopped_by_the_next() -> None:
    swallowed: list[int] = []

    async def stubborn() -> None:
        forever = asyncio.Event()
        try:
            await forever.wait()
        except asyncio.CancelledError:
            swallowed.append(1)  # the lost cancel: the task carries on as if nothing happened
        await forever.wait()

    async def body() -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(stubborn())
        await asyncio.sleep(0)  # let it reach its first wait
        await asyncio.wait_for(cancel_and_wait(task), timeout=10)
        return task

    task = asyncio.run(body())
    assert swallowed == [1] and task.cancelled()


def test_a_finished_task_is_left_as_it_is() -> None:
    async def body() -> asyncio.Task[int]:
        task = asyncio.get_running_loop().create_task(asyncio.sleep(0, result=7))
        await task
        await cancel_and_wait(task)
        return task

    assert asyncio.run(body()).result() == 7
