"""Stopping an asyncio task for sure: on Python < 3.12 `asyncio.wait_for` can swallow a cancel."""

from __future__ import annotations

import asyncio
from typing import Any

_RETRY_S = 0.5


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has ended, cancelling again while it still runs.

    A cancel that lands just as an inner `wait_for` completes is lost on Python 3.11 (gh-86296): the task
    then carries on, and a plain `await task` after one `cancel()` waits for ever.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_RETRY_S)
