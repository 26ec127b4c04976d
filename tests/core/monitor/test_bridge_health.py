"""Bridge metrics from the client's own event types: state, down time, latency percentiles, reconnects, drops."""

from __future__ import annotations

import pytest

from core.bridge.client.events import (
    ConnectionState,
    ConnectionStateChanged,
    GapDetected,
    StreamStatusChanged,
    TicksReceived,
)
from core.monitor.bridge_health import BridgeHealth, percentile


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class EventSource:
    """Has the two members BridgeHealth uses of a BridgeClient: `state` and `add_listener`."""

    def __init__(self) -> None:
        self.state = ConnectionState.CONNECTING
        self.listeners: list = []

    def add_listener(self, listener):  # noqa: ANN001, ANN201
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def emit(self, event: object) -> None:
        for listener in self.listeners:
            listener(event)


def test_not_attached_is_not_available() -> None:
    values = BridgeHealth().collect()
    assert set(values.values()) == {None}


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(101)), 99) == 99
    assert percentile([5.0], 99) == 5.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_states_latency_reconnects_and_drops() -> None:
    clock = Clock()
    health = BridgeHealth(clock)
    source = EventSource()
    detach = health.attach(source)
    assert health.collect()["bridge.connected"] == 0
    clock.now += 3
    assert health.collect()["bridge.down_seconds"] == pytest.approx(3)

    source.emit(ConnectionStateChanged(ConnectionState.CONNECTED))
    source.emit(StreamStatusChanged(paused=False, source_connected=True))
    for i in range(100):  # latencies 1..100 ms
        source.emit(TicksReceived((), i, 5000.0, 5000.0 + (i + 1) / 1000))
    source.emit(TicksReceived((), 0, 6000.0, 6000.0, reconciled=True))  # repairs carry no latency
    source.emit(GapDetected(expected=10, received=14))
    values = health.collect()
    assert values["bridge.connected"] == 1 and values["bridge.qmt_connected"] == 1
    assert values["bridge.latency_p50_ms"] == pytest.approx(50.5)
    assert values["bridge.latency_p99_ms"] == pytest.approx(99.01)
    assert values["bridge.dropped"] == 4 and values["bridge.reconnects"] == 0

    source.emit(ConnectionStateChanged(ConnectionState.RECONNECTING, "connection lost"))
    clock.now += 12
    values = health.collect()
    assert values["bridge.state"] == "reconnecting" and values["bridge.down_seconds"] == pytest.approx(12)
    assert values["bridge.qmt_connected"] is None  # unknown while the bridge itself is unreachable
    source.emit(ConnectionStateChanged(ConnectionState.CONNECTED))
    source.emit(StreamStatusChanged(paused=False, source_connected=False))
    clock.now += 61  # latency samples older than a minute no longer count
    values = health.collect()
    assert values["bridge.reconnects"] == 1 and values["bridge.qmt_connected"] == 0
    assert values["bridge.latency_p50_ms"] is None
    detach()
    assert source.listeners == []
