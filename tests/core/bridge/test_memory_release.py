"""The bridge hands freed memory back once a large subscriber has left, not while clients come and go."""

from __future__ import annotations

import threading

from core.bridge.sources.sim import SimSource, sim_symbols
from core.util.memory import MemoryReleaser
from tests.core.bridge.test_stream import read_until, send, stream


class _Recording(MemoryReleaser):
    def __init__(self) -> None:
        super().__init__(min_interval_s=0.0)
        self.called = threading.Event()
        self.calls = 0

    def release(self) -> bool:
        self.calls += 1
        self.called.set()
        return super().release()


def test_the_heap_is_trimmed_after_a_large_subscriber_leaves(bridge_factory) -> None:  # noqa: ANN001
    with bridge_factory(SimSource(2000)) as running:
        recorder = _Recording()
        running.service.fanout.memory = recorder
        with stream(running) as small:
            send(small, "subscribe", sim_symbols(3))
            read_until(small, "subscribed")
            with stream(running) as large:
                send(large, "subscribe", sim_symbols(1500))
                read_until(large, "subscribed")
            assert recorder.called.wait(10)  # the large one left: trimmed though a client remains
            assert recorder.calls == 1
            assert running.service.fanout.clients == 1 and running.service.fanout.subscribed_symbols == 3
