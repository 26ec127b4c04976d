"""The bridge as one object: source, fan-out, tokens, metrics and limits, independent of HTTP and of Qt."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from core.bridge import API_VERSION, BRIDGE_VERSION
from core.bridge.auth import TokenStore
from core.bridge.fanout import Fanout
from core.bridge.metrics import BridgeMetrics
from core.bridge.sources.base import Source
from core.domain.ticks import Tick


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Limits and cadences; the defaults suit a LAN bridge serving a handful of desktops."""

    heartbeat_s: float = 5.0
    outbox_frames: int = 256  # frames queued per client before the oldest tick frame is dropped
    max_clients: int = 64
    max_symbols_per_client: int = 10_000
    requests_per_s: float = 50.0  # per client address, sustained
    request_burst: int = 200
    auth_failures_per_min: int = 20  # then the address is refused for a minute
    max_body_bytes: int = 16 * 1024
    max_url_bytes: int = 8 * 1024
    max_ws_message_bytes: int = 256 * 1024
    ws_ops_per_s: float = 20.0


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    """What a status display needs, as one immutable value other threads may read at any time."""

    source: str
    source_connected: bool
    qmt_connected: bool | None
    paused: bool
    clients: int
    subscribed_symbols: int
    ticks_per_s: float
    reconnects: int
    uptime_s: float
    stuck_calls: tuple[tuple[str, str, float], ...] = ()  # (lane, call, seconds running)


class BridgeService:
    def __init__(self, source: Source, tokens: TokenStore, settings: BridgeSettings | None = None) -> None:
        self.source = source
        self.tokens = tokens
        self.settings = settings or BridgeSettings()
        self.metrics = BridgeMetrics()
        self.fanout = Fanout(source, self.metrics)
        self.metrics.stuck_calls.set_function(lambda: len(source.stuck_calls()))
        self.instance = uuid.uuid4().hex[:12]  # tells clients a restarted bridge from the one they knew
        self.version = BRIDGE_VERSION
        self.api_version = API_VERSION
        self._started = time.monotonic()
        self.last_status = self.status()

    async def start(self) -> None:
        await self.source.start(self.fanout)
        self.metrics.source_connected.set(1 if self.source.connected else 0)
        self._started = time.monotonic()

    async def stop(self) -> None:
        await self.source.stop()

    def pause(self) -> None:
        """Stop streaming to clients (quotes stay current); a replay also holds its clock."""
        self.source.pause()
        self.fanout.set_paused(True)

    def resume(self) -> None:
        self.source.resume()
        self.fanout.set_paused(False)

    @property
    def paused(self) -> bool:
        return self.fanout.paused

    def status(self) -> BridgeStatus:
        source = self.source
        now = time.monotonic()
        return BridgeStatus(
            source=source.name,
            source_connected=source.connected,
            qmt_connected=source.connected if source.is_qmt else None,
            paused=self.fanout.paused,
            clients=self.fanout.clients,
            subscribed_symbols=self.fanout.subscribed_symbols,
            ticks_per_s=round(self.metrics.tick_rate.rate(), 1),
            reconnects=source.reconnects,
            uptime_s=round(time.monotonic() - self._started, 3),
            stuck_calls=tuple((c.lane, c.call, round(now - c.since, 1)) for c in source.stuck_calls()),
        )

    def refresh_status(self) -> BridgeStatus:
        """Recompute `last_status` (on the loop thread) for readers on other threads."""
        self.last_status = self.status()
        return self.last_status

    async def quotes(self, symbols: Sequence[str]) -> dict[str, tuple[Tick, int]]:
        """Latest tick and its ingest number per symbol: the stream's cache first, then the source."""
        found = self.fanout.latest(symbols)
        rest = [s for s in symbols if s not in found]
        if rest:
            found.update({s: (t, 0) for s, t in (await self.source.quotes(rest)).items()})
        return found
