"""One listener registry: every handler runs, a failing one is logged by name, the emitter never sees it."""

from __future__ import annotations

import logging
import threading

import pytest

from core.util.listeners import Listeners


class View:
    def __init__(self) -> None:
        self.seen: list[int] = []

    def on_event(self, event: int) -> None:
        self.seen.append(event)

    def broken(self, event: int) -> None:
        raise ValueError(f"cannot show {event}")


def test_a_failing_handler_is_logged_by_name_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    listeners: Listeners[int] = Listeners("quote")
    first, last, bad = View(), View(), View()
    listeners.add(first.on_event)
    listeners.add(bad.broken)
    listeners.add(last.on_event)
    with caplog.at_level(logging.ERROR, logger="core.util.listeners"):
        assert listeners.emit(7) == 1
    assert first.seen == [7] and last.seen == [7]
    [record] = caplog.records
    assert "quote listener View.broken failed on int" in record.getMessage()
    assert record.exc_info is not None and "cannot show 7" in str(record.exc_info[1])


def test_remove_stops_delivery_and_is_idempotent() -> None:
    listeners: Listeners[int] = Listeners("order event")
    view = View()
    remove = listeners.add(view.on_event)
    listeners.emit(1)
    remove()
    remove()
    listeners.emit(2)
    assert view.seen == [1] and len(listeners) == 0


def test_a_handler_may_remove_itself_while_the_event_is_delivered() -> None:
    listeners: Listeners[int] = Listeners("state")
    seen: list[str] = []
    removers = {}

    def once(event: int) -> None:
        seen.append(f"once {event}")
        removers["once"]()

    removers["once"] = listeners.add(once)
    listeners.add(lambda event: seen.append(f"always {event}"))
    listeners.emit(1)
    listeners.emit(2)
    assert seen == ["once 1", "always 1", "always 2"]


def test_adding_from_many_threads_while_emitting_loses_no_handler() -> None:
    listeners: Listeners[int] = Listeners("tick")
    views = [View() for _ in range(200)]
    start = threading.Barrier(5)

    def add(part: list[View]) -> None:
        start.wait()
        for view in part:
            listeners.add(view.on_event)

    def emit() -> None:
        start.wait()
        for n in range(200):
            listeners.emit(n)

    threads = [threading.Thread(target=add, args=(views[k::4],)) for k in range(4)]
    threads.append(threading.Thread(target=emit))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(listeners) == 200
    listeners.emit(-1)
    assert all(view.seen[-1] == -1 for view in views)
