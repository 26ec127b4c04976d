"""Bridge metrics in Prometheus text format, plus the rolling ticks-per-second shown in health and the tray."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class RateMeter:
    """Events per second over the last `window` seconds, in whole-second buckets (cheap to update)."""

    def __init__(self, window: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._buckets: deque[list[float]] = deque()  # [second, count]

    def add(self, count: int) -> None:
        second = float(int(self._clock()))
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += count
        else:
            self._buckets.append([second, float(count)])
            self._trim(second)

    def rate(self) -> float:
        now = self._clock()
        self._trim(float(int(now)))
        if not self._buckets:
            return 0.0
        # Average over the covered span, the running second counted by how much of it has passed.
        span = max(now - self._buckets[0][0], 1.0)
        return sum(b[1] for b in self._buckets) / min(span, float(self._window))

    def _trim(self, second: float) -> None:
        while self._buckets and self._buckets[0][0] <= second - self._window:
            self._buckets.popleft()


class BridgeMetrics:
    """One registry per bridge, so several bridges in one process (tests, benchmarks) never collide."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "qdesk_bridge_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "qdesk_bridge_http_request_duration_seconds",
            "HTTP request latency",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ticks_in = Counter("qdesk_bridge_ticks_in", "ticks received from the data source", registry=r)
        self.ticks_out = Counter("qdesk_bridge_ticks_out", "ticks sent to stream clients", registry=r)
        self.frames_out = Counter("qdesk_bridge_frames_out", "stream frames sent to clients", registry=r)
        self.dropped = Counter(
            "qdesk_bridge_dropped_messages", "stream frames dropped because a client read too slowly", registry=r
        )
        self.clients = Gauge("qdesk_bridge_clients", "connected stream clients", registry=r)
        self.subscribed = Gauge("qdesk_bridge_subscribed_symbols", "symbols subscribed at the source", registry=r)
        self.source_connected = Gauge(
            "qdesk_bridge_source_connected", "1 while the data source is connected", registry=r
        )
        self.reconnects = Counter("qdesk_bridge_source_reconnects", "reconnections to the data source", registry=r)
        self.auth_failures = Counter(
            "qdesk_bridge_auth_failures", "requests refused for a missing or bad token", ["kind"], registry=r
        )
        self.call_timeouts = Counter(
            "qdesk_bridge_source_call_timeouts",
            "calls to the data source (QMT) that ran past their time limit",
            ["lane", "call"],
            registry=r,
        )
        self.stuck_calls = Gauge(
            "qdesk_bridge_source_stuck_calls",
            "calls to the data source past their time limit, still running",
            registry=r,
        )
        self.rate_limited = Counter("qdesk_bridge_rate_limited", "requests refused by the rate limit", registry=r)
        self.tick_rate = RateMeter()

    def count_ticks_in(self, n: int) -> None:
        self.ticks_in.inc(n)
        self.tick_rate.add(n)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
