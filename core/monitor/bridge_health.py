"""Bridge collector: connection state, QMT link, latency p50/p99 over the last minute, reconnects, drops.

It listens to a BridgeClient's events (add_listener), so it works with any client that emits them
and reports n/a until one is attached.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from core.bridge.client.events import (
    ConnectionState,
    ConnectionStateChanged,
    GapDetected,
    StreamStatusChanged,
    TicksReceived,
)
from core.monitor.samples import Value

LATENCY_WINDOW_S = 60.0
_MAX_SAMPLES = 20_000  # bounded even under a full-market feed: one sample per frame, not per tick


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks, like numpy's default."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class BridgeHealth:
    """Turns client events into metrics. Call `on_event` on the client's loop (it is cheap)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.attached = False
        self.state = ConnectionState.IDLE
        self._down_since: float | None = None
        self._connected_once = False
        self.reconnects = 0
        self.dropped = 0
        self.qmt_connected: bool | None = None
        self._latency: deque[tuple[float, float]] = deque(maxlen=_MAX_SAMPLES)  # (clock, seconds)

    def attach(self, client: Any) -> Callable[[], None]:
        """Follow `client` (a BridgeClient); returns the function that stops following it."""
        self.attached = True
        self._set_state(client.state)
        return client.add_listener(self.on_event)

    def on_event(self, event: object) -> None:
        if isinstance(event, ConnectionStateChanged):
            self._set_state(event.state)
        elif isinstance(event, TicksReceived):
            if not event.reconciled and event.server_time > 0:
                # Includes any clock offset between the two machines; negative offsets count as zero.
                self._latency.append((self._clock(), max(0.0, event.received_at - event.server_time)))
        elif isinstance(event, GapDetected):
            self.dropped += max(0, event.received - event.expected)
        elif isinstance(event, StreamStatusChanged):
            self.qmt_connected = event.source_connected

    def _set_state(self, state: ConnectionState) -> None:
        if state is ConnectionState.CONNECTED:
            if self._connected_once and self.state is not ConnectionState.CONNECTED:
                self.reconnects += 1
            self._connected_once = True
            self._down_since = None
        elif self._down_since is None:
            self._down_since = self._clock()
        self.state = state

    def latencies(self) -> list[float]:
        cutoff = self._clock() - LATENCY_WINDOW_S
        while self._latency and self._latency[0][0] < cutoff:
            self._latency.popleft()
        return [seconds for _, seconds in self._latency]

    def collect(self) -> dict[str, Value]:
        if not self.attached:
            return dict.fromkeys(BRIDGE_METRICS)
        connected = self.state is ConnectionState.CONNECTED
        latencies = self.latencies()
        return {
            "bridge.state": self.state.value,
            "bridge.connected": 1 if connected else 0,
            "bridge.down_seconds": 0.0 if connected or self._down_since is None else self._clock() - self._down_since,
            "bridge.qmt_connected": None if self.qmt_connected is None or not connected else int(self.qmt_connected),
            "bridge.latency_p50_ms": 1000 * percentile(latencies, 50) if latencies else None,
            "bridge.latency_p99_ms": 1000 * percentile(latencies, 99) if latencies else None,
            "bridge.reconnects": self.reconnects,
            "bridge.dropped": self.dropped,
        }


BRIDGE_METRICS = (
    "bridge.state",
    "bridge.connected",
    "bridge.down_seconds",
    "bridge.qmt_connected",
    "bridge.latency_p50_ms",
    "bridge.latency_p99_ms",
    "bridge.reconnects",
    "bridge.dropped",
)
