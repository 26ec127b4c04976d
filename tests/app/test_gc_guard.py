"""The GUI-thread garbage collector: automatic collection off, cycles collected by its timer."""

from __future__ import annotations

import gc
import threading

from app.gc_guard import MainThreadGarbageCollector


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_cycles_made_on_a_worker_are_collected_on_the_gui_thread(qtbot) -> None:
    collector = MainThreadGarbageCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []

        class Tracked(_Node):
            def __del__(self) -> None:
                freed_on.append(threading.current_thread().name)

        def make_garbage() -> None:
            for _ in range(5000):  # well past generation 0's threshold
                Tracked()

        worker = threading.Thread(target=make_garbage, name="worker")
        worker.start()
        worker.join()
        assert freed_on == []  # the worker allocated past the threshold, yet collected nothing
        qtbot.waitUntil(lambda: len(freed_on) == 5000, timeout=5000)
        assert set(freed_on) == {threading.main_thread().name}
        assert collector.collections >= 1
    finally:
        collector.stop()
    # stop() restores what it found (the suite's fixture keeps collection off during a test).
    assert not gc.isenabled()


def test_stop_restores_automatic_collection_when_it_was_on(qtbot) -> None:
    gc.enable()
    collector = MainThreadGarbageCollector()
    collector.start()
    assert not gc.isenabled()
    collector.stop()
    assert gc.isenabled()
    gc.disable()
